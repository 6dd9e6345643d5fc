"""Which checkpoints the public sees (audit/publication.py): one a period, signed at its start whatever reporters did.

Without it, anyone polling /audit/checkpoint on a quiet log saw the tree grow within ten minutes of a report
(outside probe, stop 27); a first version that published the first checkpoint of a period's first minutes still
placed a report made in those minutes to the minute, and its answers took longer for signed sizes (outside
probe, stop 28). The clock is moved with time-machine; times are local (Asia/Jakarta), like the reporter time
windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from audit.actions import Action
from audit.checkpoints import create_checkpoint
from audit.clock import reporter_time
from audit.models import AuditCheckpoint, AuditEvent
from audit.publication import (
    PUBLICATION_SLACK,
    latest_published,
    periodic_checkpoint,
    publication_period,
    publish_if_due,
)
from tests.audit.helpers import run, write_events

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(hour: int, minute: int, second: int = 0, *, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=JAKARTA)


def served_size(client: Client) -> int | None:
    """The tree size /audit/checkpoint serves, or None for its 404."""
    response = client.get("/audit/checkpoint")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.content
    return int(response.content.decode().split("\n")[1])


def report() -> None:
    """What a reporter's submission writes to the log: events dated to the hour (``reporter_time``)."""
    with reporter_time():
        write_events(2)


@pytest.mark.parametrize(
    ("granularity", "period"),
    [
        (1, None),
        (60, 600),
        (400, 800),  # periods are whole reporter time windows that divide a day
        (450, 900),
        (600, 600),
        (900, 900),
        (3600, 3600),
        (7200, 7200),
        (86_400, 86_400),
    ],
)
def test_the_period_is_made_of_reporter_time_windows_at_least_ten_minutes_long(
    settings: Any, granularity: int, period: int | None
) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = granularity
    assert publication_period() == period
    if period is not None:
        assert period % granularity == 0 and 86_400 % period == 0
        assert period - PUBLICATION_SLACK >= 0.9 * period  # published checkpoints lie nearly a period apart


def test_the_public_log_changes_once_an_hour_at_its_start_whatever_reporters_do(client: Client) -> None:
    """Beat as it runs (the ten-minute checkpoints; the publication asked at every minute's start), exports at
    odd moments, and someone polling /audit/checkpoint every minute from 09:00 to 12:05: the served tree changes
    at the start of an hour only, and a report at 10:02 shows at 11:00, not at the next minute."""
    served: dict[datetime, int | None] = {}
    with time_machine.travel(at(8, 55), tick=False) as clock:
        write_events(3)
        for minute in range(186):
            now = at(9, 0) + timedelta(minutes=minute)
            clock.move_to(now)
            publish_if_due()  # beat's tick at the minute's start
            clock.move_to(now + timedelta(seconds=30))
            if now == at(11, 1):
                write_events(1)  # staff at work (exact times)
            if now in (at(10, 2), at(10, 37), at(11, 44), at(12, 1)):
                report()
            if now in (at(10, 51), at(12, 0), at(12, 3)):
                create_checkpoint()  # exports, one in the first minutes of a period
            if minute % 10 == 5:
                periodic_checkpoint()  # beat's ten-minute checkpoints, on the clock
            served[now] = served_size(client)
    changes = [moment for previous, moment in pairwise(served) if served[moment] != served[previous]]
    assert served[at(9, 0)] is not None, served
    # Every hour (the ten-minute checkpoints are signed on the clock, so no hour is quiet), at its start only.
    assert changes == [at(10, 0), at(11, 0), at(12, 0)], changes
    # Each published checkpoint covers what was written before its hour began, and nothing after its tick.
    for hour in (9, 10, 11, 12):
        checkpoint = AuditCheckpoint.objects.get(tree_size=served[at(hour, 0)])
        event = AuditEvent.objects.get(seq=checkpoint.tree_size)
        assert event.action == Action.CHECKPOINT_PUBLISHED
        assert event.at == at(hour, 0)
    assert run("audit_verify").status == 0  # published checkpoints are checkpoints like any other


def test_a_report_right_after_a_quiet_period_waits_for_the_next_period(client: Client, settings: Any) -> None:
    """A day's granularity: a report at 00:00:20 after a quiet day is published the next midnight, not at 00:01."""
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 86_400
    with time_machine.travel(at(0, 0, 5, day=7), tick=False) as clock:
        write_events(1)
        clock.move_to(at(0, 0, 5, day=8))
        first = publish_if_due()
        assert first is not None  # yesterday's event
        clock.move_to(at(0, 0, 20, day=9))
        report()
        for minute in range(1, 5):
            clock.move_to(at(0, minute, day=9))
            assert publish_if_due() is None
        clock.move_to(at(0, 0, 10, day=10))
        second = publish_if_due()
    assert second is not None and second.tree_size > first.tree_size
    assert served_size(client) == second.tree_size


def test_an_unpublished_size_is_answered_as_a_size_never_signed(client: Client) -> None:
    with time_machine.travel(at(14, 0, 10), tick=False) as clock:
        write_events(2)
        clock.move_to(at(15, 0, 10))
        opening = publish_if_due()
        assert opening is not None
        clock.move_to(at(15, 1))
        assert publish_if_due() is None  # once a period
        clock.move_to(at(15, 20))
        write_events(2)
        unpublished = create_checkpoint()  # an export
        clock.move_to(at(15, 59))
        assert publish_if_due() is None  # a late task signs nothing
    assert latest_published() == opening
    assert served_size(client) == opening.tree_size
    signed = client.get(f"/audit/proof?old=1&new={unpublished.tree_size}")
    never = client.get(f"/audit/proof?old=1&new={unpublished.tree_size + 1}")
    assert signed.status_code == never.status_code == 404
    assert signed.content == never.content and signed.headers == never.headers
    # A checkpoint held from a PDF (not published) is still proved consistent with a later published one.
    with time_machine.travel(at(16, 0, 20), tick=False):
        later = publish_if_due()
    assert later is not None
    assert client.get(f"/audit/proof?old={unpublished.tree_size}&new={later.tree_size}").status_code == 200


def test_a_witness_cannot_cosign_an_unpublished_checkpoint(client: Client, settings: Any) -> None:
    from audit import signing
    from audit.note import parse_signed_note
    from vault.checkpoint_signer import Ed25519Signer

    signer = Ed25519Signer.from_secret("witness secret", purpose="witness")
    name = "inspektorat.example.go.id/witness"
    witness = signing.VerifierKey(name, signer.public_key(), signing.COSIGNATURE_ED25519)
    settings.PELUIT_AUDIT_WITNESSES = [witness.encode()]

    def cosign(checkpoint: AuditCheckpoint) -> Any:
        text = parse_signed_note(checkpoint.note).text
        body = checkpoint.note + signing.cosign(text, signer=signer, name=name, timestamp=1_750_000_000)
        return client.post("/audit/cosignature", body, content_type="text/plain")

    with time_machine.travel(at(9, 0, 5), tick=False) as clock:
        write_events(1)
        clock.move_to(at(10, 0, 5))
        published = publish_if_due()
        clock.move_to(at(10, 30))
        write_events(1)
        unpublished = create_checkpoint()
    assert published is not None
    refused = cosign(unpublished)
    assert refused.status_code == 400 and "bukan titik periksa" in refused.content.decode().lower()
    assert cosign(published).status_code == 201


@pytest.mark.parametrize("document", ["service standard, public download", "annual report, made by staff"])
def test_documents_for_the_public_embed_the_published_checkpoint_and_sign_none(
    client: Client, make_staff: Any, document: str
) -> None:
    """A public download must not sign checkpoints at a moment a stranger chooses, and a PDF meant for the public
    must not carry an unpublished checkpoint (the log's size at a known second: outside probe, stop 28)."""
    from casework.staff.roles import Role
    from reports.checkpoint import extract_checkpoint
    from reports.kinds import ExportKind
    from reports.periods import make_period
    from reports.services import ExportRequest, make_export

    supervisor = make_staff(Role.SUPERVISOR)
    with time_machine.travel(at(9, 0, 5), tick=False) as clock:
        write_events(1)
        clock.move_to(at(10, 0, 5))
        published = publish_if_due()
        clock.move_to(at(10, 20))
        report()
        before = AuditCheckpoint.objects.count()
        if document.startswith("service standard"):
            response = client.get("/standar-layanan/pdf/")
            assert response.status_code == 200
            pdf = response.content
        else:
            request = ExportRequest(kind=ExportKind.ANNUAL, period=make_period("2026-01-01", "2026-11-30"))
            pdf = make_export(request=request, actor=supervisor).signed.data
    assert published is not None and pdf.startswith(b"%PDF")
    assert extract_checkpoint(pdf) == published.note
    assert AuditCheckpoint.objects.count() == before


def test_exact_reporter_times_publish_every_checkpoint(client: Client, settings: Any) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 1
    with time_machine.travel(at(10, 33), tick=False):
        write_events(2)
        checkpoint = create_checkpoint()
        assert publish_if_due() is None
    assert served_size(client) == checkpoint.tree_size


def test_beat_asks_for_the_published_checkpoint_every_minute() -> None:
    from django.conf import settings as django_settings

    from audit.tasks import publish_if_due_task

    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-publish-checkpoint"]
    assert entry["task"] == publish_if_due_task.name == "audit.tasks.publish_if_due"
    schedule = entry["schedule"]
    assert schedule.minute == set(range(60)) and schedule.hour == set(range(24))


def test_the_console_tells_the_auditor_which_checkpoint_the_public_sees(client: Client, make_staff: Any) -> None:
    from casework.staff.roles import Role
    from tests.support.staff import login

    with time_machine.travel(at(9, 20), tick=True):
        login(client, make_staff(Role.AUDITOR, username="auditor"))
        write_events(2)
        create_checkpoint()
        page = client.get("/console/audit/").content.decode()
    assert "Belum ada titik periksa yang diterbitkan untuk saksi" in page and "setiap 60 menit" in page
    with time_machine.travel(at(10, 0, 30), tick=True):
        login(client, make_staff(Role.AUDITOR, username="auditor2"))  # idle sessions end after 30 minutes
        opening = publish_if_due()
        assert opening is not None
        write_events(1)
        create_checkpoint()
        page = client.get("/console/audit/").content.decode()
    assert f"Diterbitkan untuk saksi di /audit/checkpoint: {opening.tree_size} peristiwa" in page


def _published_at_ten(client: Client, make_staff: Any) -> AuditCheckpoint:
    """Publish a checkpoint at 10:00 (Jakarta) and log an auditor in; return the published checkpoint."""
    from casework.staff.roles import Role
    from tests.support.staff import login

    with time_machine.travel(at(9, 30), tick=False) as clock:
        write_events(2)
        clock.move_to(at(10, 0, 5))
        published = publish_if_due()
    assert published is not None
    login(client, make_staff(Role.AUDITOR, username="auditor"))
    return published


def test_a_deleted_published_checkpoint_row_is_named_in_the_console_not_said_to_be_missing(
    client: Client, make_staff: Any
) -> None:
    """Someone with the database deletes the published checkpoint's row: the public log answers 409, and the
    console says the table was altered (it said "no checkpoint is published yet")."""
    from tests.audit.helpers import tamper

    published = _published_at_ten(client, make_staff)
    write_events(1)
    create_checkpoint()  # a later, unpublished checkpoint stays
    tamper("DELETE FROM audit_auditcheckpoint WHERE id = %s", [published.pk])
    assert Client().get("/audit/checkpoint").status_code == 409
    page = client.get("/console/audit/").content.decode()
    assert "Titik periksa yang diterbitkan untuk saksi tidak dapat ditampilkan" in page
    assert "Belum ada titik periksa yang diterbitkan" not in page


def test_a_published_time_edited_past_the_calendar_shows_no_none_and_raises_the_banner(
    client: Client, make_staff: Any
) -> None:
    from audit.note import parse_signed_note
    from tests.audit.helpers import tamper

    published = _published_at_ten(client, make_staff)
    line = next(x for x in parse_signed_note(published.note).text.splitlines() if x.startswith("time "))
    tamper(
        "UPDATE audit_auditcheckpoint SET note = %s WHERE id = %s",
        [published.note.replace(line, "time 9999-12-31T23:59:59Z"), published.pk],
    )
    response = client.get("/console/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Diterbitkan untuk saksi di /audit/checkpoint: {published.tree_size} peristiwa." in page
    assert "None" not in page and response.context["altered"]


def test_a_published_mark_edited_into_text_stops_publication_with_a_clear_error() -> None:
    from audit.exceptions import AuditError
    from tests.audit.helpers import skip_unless, tamper

    skip_unless("sqlite")
    with time_machine.travel(at(9, 30), tick=False) as clock:
        write_events(2)
        clock.move_to(at(10, 0, 5))
        published = publish_if_due()
        assert published is not None
        write_events(1)
        tamper("UPDATE audit_auditevent SET seq = 'x' WHERE seq = %s", [published.tree_size])
        clock.move_to(at(11, 0, 5))
        with pytest.raises(AuditError, match="published checkpoint was altered"):
            publish_if_due()


def test_the_ten_minute_checkpoints_do_not_tell_in_which_ten_minutes_a_report_came(client: Client) -> None:
    """An outsider writes events of their own (wrong receipts) into every ten-minute slot of the hour but one.
    When the ten-minute checkpoints were signed only after growth, their number told whether a report fell in
    the empty slot (growth 15 against 14: outside probe, stop 28). Signed on the clock, the growth of an hour
    with the report in the empty slot equals that of an hour with it in a filled one."""
    growth = []
    with time_machine.travel(at(7, 59), tick=False) as clock:
        write_events(1)
        for hour, report_minute in ((8, None), (9, 27), (10, 17)):  # 08: the outsider alone, a warm-up
            for minute in range(60):
                clock.move_to(at(hour, minute))
                publish_if_due()
                clock.move_to(at(hour, minute, 30))
                if minute in (7, 17, 37, 47, 57):
                    write_events(1)  # the outsider's wrong receipts: the 25-35 slot stays empty
                if minute == report_minute:
                    report()
                if minute % 10 == 5:
                    periodic_checkpoint()
            clock.move_to(at(hour + 1, 0, 1))
            publish_if_due()
            growth.append(served_size(client))
    sizes = [size or 0 for size in growth]  # published at 09:00, 10:00 and 11:00
    assert sizes[1] - sizes[0] == sizes[2] - sizes[1], sizes  # the 09:00-10:00 hour, the 10:00-11:00 hour
