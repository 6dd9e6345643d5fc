"""``audit.inserts.insert_rows``: the rows it writes are the rows Django's own save writes, on either database.

Every row is written twice, once by ``insert_rows`` and once by Django (``save``/``bulk_create``), and the two are
read back and compared column by column. Runs on SQLite and, in CI, on PostgreSQL (where several rows go in as
UNNEST of one array per column).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import inserts
from audit.inserts import insert_rows
from casework.cases.models import Case, CaseKind, CaseStatus
from intake.models import SubmissionToken
from vault.models import CaseKey

pytestmark = pytest.mark.django_db


def _columns(row: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the row as the database holds it (read back), without ``skip``."""
    fresh = type(row).objects.get(pk=row.pk)
    values = {}
    for field in type(row)._meta.local_concrete_fields:
        if field.attname in skip:
            continue
        value = getattr(fresh, field.attname)
        values[field.attname] = bytes(value) if isinstance(value, memoryview) else value
    return values


def _case(number: str, **fields: Any) -> Case:
    return Case(
        id=uuid.uuid4(),
        number=number,
        kind=CaseKind.WBS,
        status=CaseStatus.DITERIMA,
        received_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        content=b"\x01sealed\x00bytes",
        **fields,
    )


def test_a_case_is_written_as_save_writes_it() -> None:
    ours = _case("WBS-2026-900001", due_on=dt.date(2026, 3, 20), identity_given=True, forward_reference="x" * 100)
    theirs = _case("WBS-2026-900002", due_on=dt.date(2026, 3, 20), identity_given=True, forward_reference="x" * 100)
    insert_rows([ours])
    theirs.save(force_insert=True)
    assert not ours._state.adding
    assert _columns(ours, skip=("id", "number")) == _columns(theirs, skip=("id", "number"))
    assert Case.objects.get(pk=ours.pk).content == b"\x01sealed\x00bytes"


@pytest.mark.parametrize("count", [1, 2, 5, 70])
def test_rows_with_automatic_keys_are_written_as_bulk_create_writes_them(count: int) -> None:
    """Several rows in one statement (three statements for 70), keys left to the database, in order."""
    now = timezone.now()
    ours = [SubmissionToken(digest=f"{i:064x}", used_at=now - dt.timedelta(seconds=i)) for i in range(count)]
    theirs = [SubmissionToken(digest=f"{i + 1000:064x}", used_at=now - dt.timedelta(seconds=i)) for i in range(count)]
    insert_rows(ours)
    SubmissionToken.objects.bulk_create(theirs)
    assert all(row.pk is None for row in ours), "keys are not read back"
    stored = list(SubmissionToken.objects.order_by("pk").values_list("digest", "used_at"))
    assert stored[:count] == [(row.digest, row.used_at) for row in ours]
    assert [used for _digest, used in stored[count:]] == [used for _digest, used in stored[:count]]


def test_field_defaults_and_auto_now_are_filled_as_a_save_fills_them() -> None:
    before = timezone.now()
    key = CaseKey(report_id=uuid.uuid4(), scope=CaseKey.Scope.DATA, sealed_key=b"k" * 40)
    insert_rows([key])
    stored = CaseKey.objects.get(report_id=key.report_id)
    assert stored.created_at >= before - dt.timedelta(seconds=1)
    assert stored.created_at == key.created_at


def test_a_duplicate_raises_integrity_error_and_writes_nothing() -> None:
    now = timezone.now()
    insert_rows([SubmissionToken(digest="a" * 64, used_at=now)])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([SubmissionToken(digest="a" * 64, used_at=now)])
    assert SubmissionToken.objects.filter(digest="a" * 64).count() == 1


def test_the_statement_is_compiled_once_per_shape() -> None:
    now = timezone.now()
    insert_rows([SubmissionToken(digest="b" * 64, used_at=now)])
    kept = dict(inserts._STATEMENTS)
    with CaptureQueriesContext(connection) as queries:
        insert_rows([SubmissionToken(digest="c" * 64, used_at=now)])
    assert inserts._STATEMENTS == kept, "no new statement for a shape seen before"
    assert len(queries.captured_queries) == 1
    assert SubmissionToken.objects.filter(digest__in=["b" * 64, "c" * 64]).count() == 2


def test_what_it_cannot_write_as_save_would_is_refused() -> None:
    with pytest.raises(TypeError, match="expression"):
        insert_rows([CaseKey(report_id=uuid.uuid4(), scope=CaseKey.Scope.DATA, sealed_key=F("sealed_key"))])
    with pytest.raises(TypeError, match="same model"):
        insert_rows([SubmissionToken(digest="d" * 64, used_at=timezone.now()), _case("WBS-2026-900004")])
    with pytest.raises(TypeError, match="automatic key"):
        insert_rows(
            [
                SubmissionToken(id=10_000, digest="e" * 64, used_at=timezone.now()),
                SubmissionToken(digest="f" * 64, used_at=timezone.now()),
            ]
        )
    assert not SubmissionToken.objects.filter(digest__in=["d" * 64, "e" * 64, "f" * 64]).exists()


# --- new_row: an unsaved instance, as Django's constructor makes it ---------------------------------------------
def _state_free(row: models.Model) -> dict[str, Any]:
    return {name: value for name, value in vars(row).items() if name != "_state"}


def _submission_rows(case: Case) -> list[tuple[type[models.Model], dict[str, Any]]]:
    from audit.models import AuditEvent
    from casework.cases.models import CaseMessage
    from casework.workflow.models import CaseClock
    from vault.models import ReceiptKey

    now = timezone.now()
    return [
        (Case, {"id": case.id, "kind": CaseKind.WBS, "status": CaseStatus.DITERIMA, "received_at": now}),
        (CaseKey, {"report_id": case.id, "scope": CaseKey.Scope.DATA, "officer_id": None, "sealed_key": b"k"}),
        (
            ReceiptKey,
            {"report_id": case.id, "lookup_id": b"l" * 32, "kdf_ops": 2, "kdf_mem": 1024, "wrapped_data_key": b"w"},
        ),
        (CaseMessage, {"case": case, "sender": CaseMessage.Sender.INSPECTORATE, "author": None, "created_at": now}),
        (CaseMessage, {"case_id": case.id, "sender": CaseMessage.Sender.REPORTER, "created_at": now}),
        (SubmissionToken, {"digest": b"d" * 32, "used_at": now}),
        (AuditEvent, {"actor_kind": "reporter", "actor_staff_id": None, "action": "case.created", "case_ref": "X"}),
        (
            CaseClock,
            {
                "case": case,
                "rule_code": "ADUAN",
                "amount": 5,
                "unit": "working_days",
                "started_at": now,
                "start_day": now.date(),
                "due_on": now.date(),
                "due_at": now,
            },
        ),
    ]


def test_a_new_row_is_what_djangos_constructor_makes() -> None:
    """Every model a submission writes, with related objects by name and by attname and fields left to their
    defaults: the same values, the same cached relations, a fresh state."""
    case = _case("WBS-2026-900010")
    for model, values in _submission_rows(case):
        ours, djangos = inserts.new_row(model, **values), model(**values)
        assert type(ours) is model and set(_state_free(ours)) == set(_state_free(djangos))
        for field in model._meta.concrete_fields:
            mine, theirs = vars(ours)[field.attname], vars(djangos)[field.attname]
            if callable(field.default) and field.name not in values and field.attname not in values:
                assert type(mine) is type(theirs), (model, field.name)  # made anew each time (uuid4, now)
            else:
                assert mine == theirs and type(mine) is type(theirs), (model, field.name)
        assert ours._state.adding and ours._state.fields_cache == djangos._state.fields_cache, model
        assert ours._state.db == djangos._state.db, model


def test_a_new_row_is_saved_and_read_as_djangos() -> None:
    from casework.cases.models import CaseMessage

    case = _case("WBS-2026-900011")
    insert_rows([case])
    ours = inserts.new_row(CaseMessage, case=case, sender=CaseMessage.Sender.INSPECTORATE, created_at=timezone.now())
    assert ours.case is case  # cached as Django caches it: no query
    ours.body = b"sealed"
    ours.save(force_insert=True)
    fresh = CaseMessage.objects.get(pk=ours.pk)
    assert (
        fresh.case_id == case.id and fresh.sender == CaseMessage.Sender.INSPECTORATE and bytes(fresh.body) == b"sealed"
    )


def test_a_new_row_refuses_what_the_model_does_not_have_and_leaves_signals_to_django() -> None:
    from django.db.models.signals import post_init

    with pytest.raises(TypeError, match="nonsense"):
        inserts.new_row(SubmissionToken, digest=b"d", nonsense=1)
    seen: list[Any] = []

    def remember(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(remember, sender=SubmissionToken)
    try:
        row = inserts.new_row(SubmissionToken, digest=b"d" * 32)
    finally:
        post_init.disconnect(remember, sender=SubmissionToken)
    assert seen == [row]
