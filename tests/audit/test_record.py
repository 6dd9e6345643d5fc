"""``audit.services.record``: the only writer, its hash chain and the rules on its arguments."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, transaction

from audit import chain
from audit.actions import Action
from audit.exceptions import AuditError
from audit.models import AuditEvent
from audit.services import record


@pytest.mark.django_db
def test_record_chains_events_from_genesis(make_staff) -> None:
    staff = make_staff()
    start = AuditEvent.objects.count()
    with transaction.atomic():
        first = record(action=Action.LOGIN_SUCCEEDED, actor=staff)
        second = record(action=Action.REPORT_SUBMITTED, actor="reporter", case_ref="WBS-2026-000001")
        third = record(action=Action.CHECKPOINT_CREATED, actor="system", details={"tree_size": 2, "ok": True})
    assert [first.seq, second.seq, third.seq] == [start + 1, start + 2, start + 3]
    assert (first.actor_kind, first.actor_staff_id, first.actor_username) == ("staff", staff.pk, staff.username)
    assert (second.actor_kind, second.actor_staff_id, second.actor_username) == ("reporter", None, "")
    assert third.details == '{"ok":true,"tree_size":2}'
    previous = chain.GENESIS if start == 0 else bytes(AuditEvent.objects.get(seq=start).chain_hash)
    for event in (first, second, third):
        event.refresh_from_db()
        data = chain.event_bytes(
            salt=event.salt,
            seq=event.seq,
            at_us=event.at_us,
            actor_kind=event.actor_kind,
            actor_staff_id=event.actor_staff_id,
            actor_username=event.actor_username,
            action=event.action,
            case_ref=event.case_ref,
            details=event.details,
        )
        assert bytes(event.leaf_hash) == hashlib.sha256(b"\x00" + data).digest()
        assert bytes(event.chain_hash) == hashlib.sha256(previous + bytes(event.leaf_hash)).digest()
        previous = bytes(event.chain_hash)
    assert first.at_us <= second.at_us <= third.at_us


def test_event_bytes_are_the_documented_format() -> None:
    data = chain.event_bytes(
        salt="00112233445566778899aabbccddeeff",
        seq=7,
        at_us=1_700_000_000_000_000,
        actor_kind="staff",
        actor_staff_id=3,
        actor_username="ani",
        action="auth.logout",
        case_ref="",
        details="{}",
    )
    assert data == (
        b"peluit-audit/2\n00112233445566778899aabbccddeeff\n7\n1700000000000000\nstaff\n3\nani\nauth.logout\n\n{}"
    )


def test_an_event_without_salt_has_the_format_1_bytes_written_before_salted_leaves() -> None:
    data = chain.event_bytes(
        salt="",
        seq=7,
        at_us=1_700_000_000_000_000,
        actor_kind="staff",
        actor_staff_id=3,
        actor_username="ani",
        action="auth.logout",
        case_ref="",
        details="{}",
    )
    assert data == b"peluit-audit/1\n7\n1700000000000000\nstaff\n3\nani\nauth.logout\n\n{}"


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    with pytest.raises(AuditError, match=r"transaction\.atomic"):
        record(action=Action.LOGOUT, actor="system")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "no.such_action"}, "unknown audit action"),
        ({"actor": "anonymous"}, "actor must be"),
        ({"details": {"ip_address": "x"}}, "forbidden"),
        ({"details": {"note": "10.0.0.1"}}, "IP address"),
        ({"details": {"note": "2001:db8::1"}}, "IP address"),
        ({"details": {"note": "1234 5678 9012 3456"}}, "receipt"),
        ({"details": {"note": "two\nlines"}}, "one short line"),
        ({"details": {"note": "x" * 201}}, "one short line"),
        ({"details": {"Bad-Key": 1}}, "lower_snake_case"),
        ({"details": {"note": 1.5}}, "str, int, bool or None"),
        ({"case_ref": "WBS 2026\n1"}, "case_ref"),
    ],
)
def test_bad_arguments_are_refused_and_write_nothing(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"action": Action.LOGOUT, "actor": "system", **kwargs}
    with pytest.raises(AuditError, match=message), transaction.atomic():
        record(**arguments)  # type: ignore[arg-type]
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_unsaved_staff_is_not_an_actor() -> None:
    from casework.models import StaffUser

    with pytest.raises(AuditError, match="saved staff member"), transaction.atomic():
        record(action=Action.LOGOUT, actor=StaffUser(username="ghost"))


@pytest.mark.django_db
def test_the_database_rejects_update_and_delete() -> None:
    with transaction.atomic():
        record(action=Action.LOGOUT, actor="system")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="auth.login_succeeded")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "auth.logout"


@pytest.mark.django_db
def test_the_database_builds_the_same_leaf_bytes_as_python(make_staff) -> None:
    from django.db import connection

    from audit.verify import _batches

    staff = make_staff(username="dewi.lestari")
    with transaction.atomic():
        record(action=Action.LOGIN_SUCCEEDED, actor=staff, details={"second_factor": "totp"})
        record(action=Action.REPORT_SUBMITTED, actor="reporter", case_ref="WBS-2026-000123", details={"k": None})
    rows = {seq: text for batch in _batches(connection, None) for seq, text, _leaf, _chain, _at in batch}
    for event in AuditEvent.objects.all():
        expected = chain.row_bytes(*(getattr(event, name) for name in chain.FIELDS))
        assert rows[event.seq] == expected
        assert chain.leaf_hash(expected) == bytes(event.leaf_hash)


@pytest.mark.django_db
def test_a_batch_appends_its_events_at_its_end_in_order() -> None:
    from audit.services import batch
    from audit.verify import verify_log

    start = AuditEvent.objects.count()
    with transaction.atomic():
        with batch():
            events = [
                record(action=Action.CASE_GRANTED, actor="system", case_ref="WBS-2026-000001", details={"n": n})
                for n in range(5)
            ]
            with batch():  # a nested block joins the outer one
                events.append(record(action=Action.REPORT_SUBMITTED, actor="reporter", case_ref="WBS-2026-000001"))
            assert AuditEvent.objects.count() == start, "held back until the block ends"
            assert events[0].seq is None
        assert [e.seq for e in events] == list(range(start + 1, start + 7))
    assert list(AuditEvent.objects.filter(seq__gt=start).order_by("seq").values_list("action", flat=True)) == [
        *["vault.case_granted"] * 5,
        "intake.report_submitted",
    ]
    assert verify_log().intact


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_raises_appends_nothing_and_needs_a_transaction() -> None:
    from audit.services import batch

    start = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), batch():
        record(action=Action.CASE_GRANTED, actor="system", case_ref="X")
        raise RuntimeError("fails")
    assert AuditEvent.objects.count() == start
    with pytest.raises(AuditError), batch():
        pass
