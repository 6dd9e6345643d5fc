"""The auditor view under /console/audit/: who reaches it, filters, event detail with a verified inclusion
proof, checkpoint download; bad input never gives a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit import merkle
from audit.actions import Action
from audit.checkpoints import create_checkpoint
from audit.exceptions import AuditError
from audit.models import AuditCheckpoint, AuditEvent
from audit.note import parse_checkpoint, parse_signed_note
from audit.services import record
from casework.staff.roles import Role
from tests.audit.helpers import assert_served_proof_verifies, run, skip_unless, stop_database_for, tamper, write_events
from tests.support.staff import PASSWORD, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client: Client, make_staff: Any) -> Client:
    login(client, make_staff(Role.AUDITOR, username="auditor"))
    return client


def test_without_second_factor_the_view_is_out_of_reach(client: Client, make_staff: Any) -> None:
    assert client.get("/console/audit/")["Location"].startswith("/auth/login/")
    user = make_staff(Role.AUDITOR)
    client.post("/auth/login/", {"username": user.username, "password": PASSWORD})  # password only
    for url in ("/console/audit/", "/console/audit/checkpoint/", "/console/audit/events/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_roles_that_may_not_read_the_log_get_403(client: Client, make_staff: Any, role: Role) -> None:
    login(client, make_staff(role))
    assert client.get("/console/audit/").status_code == 403
    assert client.get("/console/audit/checkpoint/").status_code == 403
    assert client.post("/console/audit/checkpoint/new/").status_code == 403
    assert b"/console/audit/" not in client.get("/console/").content


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SUPERVISOR])
def test_auditors_and_supervisors_see_the_log_and_the_nav_link(client: Client, make_staff: Any, role: Role) -> None:
    login(client, make_staff(role))
    assert b'href="/console/audit/"' in client.get("/console/").content
    response = client.get("/console/audit/")
    assert response.status_code == 200
    assert "auth.login_succeeded" in response.content.decode()


def test_filters_by_action_actor_case_and_period(auditor_client: Client, make_staff: Any) -> None:
    officer = make_staff(Role.OFFICER, username="petugas")
    write_events(2, case_ref="WBS-2026-000007")
    write_events(1, case_ref="GRT-2026-000001")

    def seqs(**query: str) -> list[int]:
        response = auditor_client.get("/console/audit/", query)
        assert response.status_code == 200
        return [event.seq for event in response.context["page"]]

    unsealed = list(AuditEvent.objects.filter(action=Action.REPORT_UNSEALED).values_list("seq", flat=True))
    assert sorted(seqs(action=Action.REPORT_UNSEALED)) == unsealed
    assert len(seqs(case_ref="WBS-2026-000007")) == 2
    staff_created = AuditEvent.objects.get(action=Action.STAFF_CREATED, details__contains=officer.username)
    assert staff_created.seq in seqs(actor="system", action=Action.STAFF_CREATED)
    auditor = AuditEvent.objects.get(action=Action.LOGIN_SUCCEEDED)
    assert seqs(actor=f"staff:{auditor.actor_staff_id}") == [auditor.seq]
    today = timezone.localdate()
    assert len(seqs(date_from=str(today), date_to=str(today))) == AuditEvent.objects.count()
    assert seqs(date_to=str(today - timedelta(days=1))) == []


def test_case_filter_finds_the_events_written_before_the_case_had_its_number(auditor_client: Client) -> None:
    """Intake seals and grants a report (events named by its report id) before the case number is allocated."""
    report_id = "74b63c10-8c3e-48a0-b3e8-548b644895df"
    granted = record(action=Action.CASE_GRANTED, actor="system", case_ref=report_id, details={"via": "intake"})
    submitted = record(
        action=Action.REPORT_SUBMITTED, actor="reporter", case_ref="WBS-2026-000006", details={"report_id": report_id}
    )
    record(action=Action.CASE_GRANTED, actor="system", case_ref="0b7c1e7e-0000-4000-8000-000000000000")
    for ref in ("WBS-2026-000006", report_id):
        response = auditor_client.get("/console/audit/", {"case_ref": ref})
        assert [event.seq for event in response.context["page"]] == [submitted.seq, granted.seq]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-45"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"actor": "staff:not-a-number"},
        {"action": "no.such_action"},
        {"case_ref": "WBS 2026\n<script>"},
        {"page": "999999"},
        {"page": "-1"},
    ],
)
def test_bad_filters_give_a_message_not_a_500(auditor_client: Client, query: dict[str, str]) -> None:
    response = auditor_client.get("/console/audit/", query)
    assert response.status_code == 200


def test_event_detail_shows_a_verified_inclusion_proof(auditor_client: Client) -> None:
    write_events(6)
    checkpoint = create_checkpoint()
    response = auditor_client.get("/console/audit/events/4/")
    assert response.status_code == 200
    proof = response.context["proof"]
    assert proof.verified and proof.content_matches and proof.checkpoint == checkpoint
    leaves = [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    assert list(proof.proof) == merkle.inclusion_proof(3, leaves)
    assert merkle.verify_inclusion(
        index=3, size=checkpoint.tree_size, leaf=leaves[3], proof=proof.proof, root_hash=bytes(checkpoint.root_hash)
    )
    assert proof.proof[0].hex() in response.content.decode()


def test_event_not_yet_under_a_checkpoint_says_so(auditor_client: Client) -> None:
    write_events(1)
    seq = AuditEvent.objects.order_by("-seq").first().seq  # type: ignore[union-attr]
    response = auditor_client.get(f"/console/audit/events/{seq}/")
    assert response.status_code == 200 and response.context["proof"].checkpoint is None


EDITED_HASH_CELLS = [
    ("leaf_hash", "%s", "zeros"),  # both databases
    ("leaf_hash", "'abc'", "sqlite"),  # SQLite keeps a value of any type
    ("leaf_hash", "leaf_hash || x'00'", "sqlite"),  # TEXT that is not UTF-8: cannot even be read as text
    ("chain_hash", "chain_hash || x'00'", "sqlite"),
]


@pytest.mark.usefixtures("every_checkpoint_published")  # the public log serves it at any hour
@pytest.mark.parametrize(("column", "value", "vendor"), EDITED_HASH_CELLS)
def test_an_edited_hash_cell_fails_its_proofs_without_a_server_error(
    auditor_client: Client, column: str, value: str, vendor: str
) -> None:
    """Someone with the database edits one event's stored hash: the log and the event's page still answer; the
    proofs built from the edited leaf no longer verify (audit_verify names the event), and the public proof is
    the 409 that says so."""
    from django.db import connection

    if vendor != "zeros" and connection.vendor != vendor:
        pytest.skip("SQLite only: PostgreSQL's columns keep their types")
    write_events(6)
    old = create_checkpoint()
    write_events(3)
    new = create_checkpoint()
    params = [bytes(32)] if value == "%s" else []
    tamper(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = 3", params)  # noqa: S608
    assert auditor_client.get("/console/audit/").status_code == 200
    page = auditor_client.get("/console/audit/events/3/")
    assert page.status_code == 200
    if column == "leaf_hash":
        assert not page.context["proof"].content_matches
        assert "peristiwa ini atau hash tersimpannya telah diubah" in page.content.decode()  # Indonesian first
        # Event 4's proof has event 3's stored leaf as its first sibling: it no longer verifies.
        assert not auditor_client.get("/console/audit/events/4/").context["proof"].verified
    proof = auditor_client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}")
    if column == "leaf_hash":
        # A proof from the edited leaf does not lead to the signed root: refused, never served (was a 200).
        assert proof.status_code == 409 and "audit_verify" in proof.content.decode()
        return
    assert_served_proof_verifies(proof, old, new)


@pytest.mark.parametrize("details", ["not json", "[1, 2]", "7", '"text"'])
def test_details_altered_into_no_json_object_still_show_the_event(auditor_client: Client, details: str) -> None:
    write_events(3)
    tamper("UPDATE audit_auditevent SET details = %s WHERE seq = 2", [details])
    page = auditor_client.get("/console/audit/events/2/")
    assert page.status_code == 200
    assert "tidak terbaca: peristiwa ini telah diubah (jalankan audit_verify)" in page.content.decode()
    assert not page.context["proof"].content_matches  # the leaf recomputed from the altered details differs


def test_unknown_event_is_404(auditor_client: Client) -> None:
    assert auditor_client.get("/console/audit/events/999999/").status_code == 404


def test_checkpoint_download_and_on_demand_signing(auditor_client: Client) -> None:
    assert auditor_client.get("/console/audit/checkpoint/").status_code == 404
    response = auditor_client.post("/console/audit/checkpoint/new/")
    assert response.status_code == 302
    download = auditor_client.get("/console/audit/checkpoint/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/plain")
    assert "attachment" in download["Content-Disposition"]
    body = parse_checkpoint(parse_signed_note(download.content.decode()).text)
    assert body.tree_size == AuditEvent.objects.count()
    assert auditor_client.get("/console/audit/checkpoint/new/").status_code == 405  # signing needs a POST


ALTERED = "Log audit telah diubah"  # the banner and the 409 page, Indonesian first
UNREADABLE = "tidak terbaca: peristiwa ini telah diubah"

EDITED_EVENT_CELLS = [
    # (what is set on the event, its seq afterwards (None: no whole number to link), which database)
    ("at_us = 'abc'", 3, "sqlite"),  # SQLite keeps a value of any type
    ("at_us = 9223372036854775807", 3, "any"),  # a whole number beyond any datetime
    ("at_us = -9223372036854775807", 3, "any"),
    ("actor_kind = 'staff', actor_staff_id = 'abc'", 3, "sqlite"),
    ("seq = 'abc'", None, "sqlite"),
    ("seq = 5.5", None, "sqlite"),
    ("seq = -3", None, "any"),
    ("seq = 0", None, "any"),
]


@pytest.mark.parametrize(("change", "seq", "vendor"), EDITED_EVENT_CELLS)
def test_an_event_row_edited_into_values_its_columns_cannot_hold_is_shown_as_not_readable(
    auditor_client: Client, change: str, seq: int | None, vendor: str
) -> None:
    """The list and the event's page still answer: the row is marked not readable (no link without a usable seq),
    under a banner that sends the auditor to audit_verify."""
    skip_unless(vendor)
    write_events(6)
    create_checkpoint()
    events = AuditEvent.objects.count()
    tamper(f"UPDATE audit_auditevent SET {change} WHERE seq = 3")  # noqa: S608
    response = auditor_client.get("/console/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ALTERED in page and "manage.py audit_verify" in page and UNREADABLE in page
    assert [event.altered for event in response.context["page"]].count(True) == 1
    links = events if seq is not None else events - 1  # the row without a whole seq gets no link
    assert page.count('href="/console/audit/events/') == links
    if seq is not None:
        detail = auditor_client.get(f"/console/audit/events/{seq}/")
        assert detail.status_code == 200
        assert ALTERED in detail.content.decode()
    assert auditor_client.get("/console/audit/events/0/").status_code == 404  # seq numbers start at 1
    if "actor_staff_id" in change:
        tamper("UPDATE audit_auditevent SET actor_staff_id = NULL WHERE seq = 3")  # SQLite checks foreign keys last


@pytest.mark.parametrize(
    "change",
    [
        "action = CAST(x'ff' AS TEXT)",
        "details = details || x'ff'",
        "case_ref = CAST(x'ff' AS TEXT)",
        "at_us = CAST(x'ff' AS TEXT)",
        "actor_kind = 'staff', actor_username = CAST(x'ff' AS TEXT)",
    ],
)
def test_an_event_cell_that_is_not_utf8_gives_a_409_page_not_a_database_outage(
    auditor_client: Client, change: str
) -> None:
    """SQLite cannot read text that is not UTF-8 at all; that is an altered log (409), not an unavailable database
    (the 503 that says to try again later)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps its text valid")
    write_events(6)
    tamper(f"UPDATE audit_auditevent SET {change} WHERE seq = 3")  # noqa: S608
    for url in ("/console/audit/", "/console/audit/events/3/"):
        response = auditor_client.get(url)
        assert response.status_code == 409, url
        page = response.content.decode()
        assert "tidak dapat dibaca" in page and "manage.py audit_verify" in page
    assert auditor_client.get("/console/audit/events/4/").status_code == 200  # other events still show
    english = auditor_client.get("/en/console/audit/")
    assert english.status_code == 409
    assert "The audit log was altered: it holds entries that cannot be read" in english.content.decode()


def test_an_unavailable_database_still_gives_the_503(auditor_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only SQLite's error for unreadable text is an altered log; any other operational error keeps the 503."""
    from django.db import OperationalError

    def stopped(**filters: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("audit.views.events_filtered", stopped)
    auditor_client.raise_request_exception = False
    response = auditor_client.get("/console/audit/")
    assert response.status_code == 503 and response["Retry-After"]


EDITED_CHECKPOINT_CELLS = [
    ("note = 'not a signed note'", "any"),
    ("root_hash = %s", "any"),  # 32 zero bytes: no longer the root its note signs
    ("note = note || x'ff'", "sqlite"),  # text that is not UTF-8
    ("root_hash = 'abc'", "sqlite"),
    ("tree_size = 'abc'", "sqlite"),
]


@pytest.mark.parametrize(("change", "vendor"), EDITED_CHECKPOINT_CELLS)
def test_an_edited_latest_checkpoint_is_named_on_the_console(auditor_client: Client, change: str, vendor: str) -> None:
    skip_unless(vendor)
    write_events(3)
    checkpoint = create_checkpoint()
    params = [bytes(32), checkpoint.pk] if "%s" in change else [checkpoint.pk]
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", params)  # noqa: S608
    response = auditor_client.get("/console/audit/")
    assert response.status_code == 200 and ALTERED in response.content.decode()
    assert response.context["checkpoint"] is None
    download = auditor_client.get("/console/audit/checkpoint/")
    assert download.status_code == 409 and ALTERED in download.content.decode()
    assert auditor_client.get("/console/audit/events/2/").status_code == 200  # the proof reads no note


NOT_SIGNED = (
    "Log audit tidak lolos verifikasi, sehingga tidak ada titik periksa yang ditandatangani. Jalankan audit_verify."
)

SIGNING_OVER_EDITED_CHECKPOINT = [
    # (what is set on the latest checkpoint's row, which database)
    ("note = 'not a signed note'", "any"),  # a new checkpoint was signed on top of it
    ("note = note || x'ff'", "sqlite"),  # text that is not UTF-8: was the database-outage 503
    ("note = x'00'", "sqlite"),
    ("root_hash = 'abc'", "sqlite"),  # was a 500
    ("tree_size = 'abc'", "sqlite"),
    ("tree_size = CAST(x'ff' AS TEXT)", "sqlite"),
]


@pytest.mark.parametrize(("change", "vendor"), SIGNING_OVER_EDITED_CHECKPOINT)
def test_signing_on_top_of_an_edited_checkpoint_row_is_refused_with_the_usual_message(
    auditor_client: Client, monkeypatch: pytest.MonkeyPatch, change: str, vendor: str
) -> None:
    """ "Sign a checkpoint now" over an edited latest checkpoint: the log's "does not verify" message and nothing
    signed (not a 500, not the 503 that says to try again); an unavailable database still gives the 503."""
    skip_unless(vendor)
    write_events(3)
    checkpoint = create_checkpoint()
    write_events(1)  # the log has grown: the button signs a new checkpoint on top of the latest
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", [checkpoint.pk])  # noqa: S608
    response = auditor_client.post("/console/audit/checkpoint/new/", follow=True)
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [NOT_SIGNED]
    assert AuditCheckpoint.objects.count() == 1
    with pytest.raises(AuditError, match="latest checkpoint's row was altered"):
        create_checkpoint()
    stop_database_for(AuditCheckpoint, monkeypatch)
    auditor_client.raise_request_exception = False
    response = auditor_client.post("/console/audit/checkpoint/new/")
    assert response.status_code == 503 and response["Retry-After"]


ALTERED_SIGNING_TIMES = [
    # (what created_at is set to, which database)
    ("CAST(x'ff' AS TEXT)", "sqlite"),  # text that is not UTF-8
    ("'abc'", "sqlite"),  # SQLite keeps a value of any type
    ("5", "sqlite"),
    ("x'00'", "sqlite"),
    ("'infinity'", "any"),  # PostgreSQL: beyond year 9999 (no Python datetime); SQLite: text that is no time
    ("'9999-12-31 23:59:59'", "any"),  # the site's time zone (UTC+7) takes it past year 9999
    ("'2020-01-01 00:00:00'", "any"),  # readable, but not when the note says it was signed (outside probe)
]


@pytest.mark.usefixtures("every_checkpoint_published")  # the public log serves it at any hour
@pytest.mark.parametrize(("value", "vendor"), ALTERED_SIGNING_TIMES)
def test_a_checkpoint_whose_signing_time_was_altered_is_listed_without_it(
    auditor_client: Client, value: str, vendor: str
) -> None:
    """``created_at`` is not signed: the list still shows the checkpoint (with its note's signed time, under the
    banner), the checkpoint is still served, and the next one is signed on top of it, dated no earlier than its
    signed note. ``audit_verify`` names the edited row, and only it."""
    skip_unless(vendor)
    write_events(3)
    checkpoint = create_checkpoint()
    intact = auditor_client.get("/console/audit/").content.decode()
    assert "peristiwa, ditandatangani" in intact and ALTERED not in intact  # the time, as always
    tamper(f"UPDATE audit_auditcheckpoint SET created_at = {value} WHERE id = %s", [checkpoint.pk])  # noqa: S608
    response = auditor_client.get("/console/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ALTERED in page and "peristiwa, ditandatangani" in page  # the time its note signed, under the banner
    assert auditor_client.get("/console/audit/checkpoint/").content.decode() == checkpoint.note
    assert Client().get("/audit/checkpoint").content.decode() == checkpoint.note
    write_events(1)
    signed = auditor_client.post("/console/audit/checkpoint/new/", follow=True)
    assert "Titik periksa terbaru mencakup" in signed.content.decode()
    assert AuditCheckpoint.objects.count() == 2
    verified = run("audit_verify")
    assert verified.status == 1, verified
    assert f"checkpoint of tree size {checkpoint.tree_size}: its row's created_at" in verified.err
    assert "is not when its note was signed" in verified.err
    assert verified.err.count("FAIL: ") == 1  # the new checkpoint's time does not run backwards


@pytest.mark.parametrize(
    "change",
    ["tree_size = 'abc'", "tree_size = CAST(x'ff' AS TEXT)", "note = CAST(x'ff' AS TEXT)", "note = 'not a note'"],
)
def test_an_altered_latest_checkpoint_is_named_in_the_list_not_said_to_be_missing(
    auditor_client: Client, change: str
) -> None:
    """Earlier checkpoints are fine; the latest row cannot be read: the list says the checkpoint table was
    altered (under the banner), not "no checkpoint signed yet"."""
    if "CAST" in change or "'abc'" in change:
        skip_unless("sqlite")
    write_events(3)
    create_checkpoint()
    write_events(2)
    latest = create_checkpoint()
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", [latest.pk])  # noqa: S608
    response = auditor_client.get("/console/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ALTERED in page
    assert "Belum ada titik periksa yang ditandatangani." not in page
    assert "Titik periksa terbaru tidak dapat ditampilkan: tabel titik periksa telah diubah." in page


def test_an_event_page_after_a_deleted_event_says_why_there_is_no_proof(auditor_client: Client) -> None:
    """An event deleted under a checkpoint: the other events' pages say the log no longer holds every event, not
    that the tree has one leaf (outside probe)."""
    write_events(5)
    checkpoint = create_checkpoint()
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")
    page = auditor_client.get("/console/audit/events/4/").content.decode()
    assert "log tidak lagi memuat setiap peristiwa" in page and "pohon hanya memiliki satu daun" not in page
    assert checkpoint.tree_size > 1
