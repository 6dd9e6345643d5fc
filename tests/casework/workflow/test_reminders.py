"""Daily deadline reminders: in the console for the staff working on the case, and by e-mail when configured
(Django's locmem backend and a real SMTP server, aiosmtpd on a free port). Never report content."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import Case, CaseClock, Notification
from casework.workflow.reminders import send_reminders
from casework.workflow.tasks import deadline_reminders
from tests.casework.workflow.conftest import WHAT, file_wbs, logged_in
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def overdue(case: Case) -> CaseClock:
    clock = CaseClock.objects.get(case=case)
    clock.due_on = timezone.localdate() - timedelta(days=3)
    clock.save()
    return clock


@pytest.fixture
def emails_on(settings: Any, staff: IntakeStaff) -> IntakeStaff:
    settings.PELUIT_EMAIL_REMINDERS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user, address in ((staff.officer, "budi@example.test"), (staff.other_officer, "dewi@example.test")):
        user.email = address
        user.save()
    return staff


def test_overdue_and_near_clocks_remind_the_officers_once(emails_on: IntakeStaff) -> None:
    late = file_wbs()
    overdue(late)
    far = file_wbs()  # due in 14 working days: no reminder yet
    run = send_reminders()
    assert run.notifications == 2 and run.emails == 2  # both officers hold the case; supervisors are not nagged
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        ("petugas1", "overdue"),
        ("petugas2", "overdue"),
    }
    assert not Notification.objects.filter(case=far).exists()
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert late.number in message.subject and "ADUAN_TIDAK_BERKADAR" in message.body
    assert WHAT not in message.body + message.subject and "pungli" not in message.body.lower()
    assert sorted(m.to[0] for m in mail.outbox) == ["budi@example.test", "dewi@example.test"]
    events = AuditEvent.objects.filter(action=Action.REMINDER_SENT)
    assert events.count() == 2 and all(e.case_ref == late.number for e in events)
    # Running again the same day (or the next) reminds nobody twice.
    assert send_reminders().notifications == 0 and len(mail.outbox) == 2
    # Near clocks are "due soon".
    near = file_wbs()
    clock = CaseClock.objects.get(case=near)
    clock.due_on = timezone.localdate()
    clock.save()
    assert send_reminders().notifications == 2
    assert Notification.objects.filter(case=near, kind="due_soon").count() == 2


def test_without_email_the_reminders_stay_in_the_console(staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_EMAIL_REMINDERS = False
    staff.officer.email = "budi@example.test"
    staff.officer.save()
    overdue(file_wbs())
    assert deadline_reminders.apply().get() == {"notifications": 2, "emails": 0, "email_failures": 0}
    assert mail.outbox == []


def test_the_console_home_lists_reminders_and_marks_them_read(staff: IntakeStaff) -> None:
    case = file_wbs()
    overdue(case)
    send_reminders()
    client = logged_in(staff.officer)
    html = client.get("/console/").content.decode()
    assert 'id="reminders"' in html and case.number in html and WHAT not in html
    ids = [str(n.pk) for n in Notification.objects.filter(recipient=staff.officer)]
    other = Notification.objects.get(recipient=staff.other_officer)
    assert client.post("/console/notifications/read/", {"notification": [*ids, str(other.pk), "x"]}).status_code == 302
    assert 'id="reminders"' not in client.get("/console/").content.decode()
    other.refresh_from_db()
    assert other.read_at is None  # nobody marks another person's reminders


# --- A real SMTP server ---------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[Any]]]:
    """An SMTP server (aiosmtpd) on a free loopback port that keeps what it receives."""
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_reminders_go_through_a_real_smtp_server(staff: IntakeStaff, settings: Any, smtp_sink: Any) -> None:
    port, received = smtp_sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.PELUIT_EMAIL_REMINDERS = True
    settings.DEFAULT_FROM_EMAIL = "peluit@inspektorat.example.test"
    staff.officer.email = "budi@example.test"
    staff.officer.save()
    case = file_wbs()
    overdue(case)
    run = send_reminders()
    assert (run.notifications, run.emails, run.email_failures) == (2, 1, 0)  # petugas2 has no address
    assert len(received) == 1
    envelope = received[0]
    text = envelope.content.decode("utf-8", "replace")
    assert envelope.rcpt_tos == ["budi@example.test"] and envelope.mail_from == "peluit@inspektorat.example.test"
    assert case.number in text and WHAT not in text
    assert Notification.objects.get(recipient=staff.officer).emailed


def test_a_mail_server_outage_keeps_the_console_reminders(staff: IntakeStaff, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PELUIT_EMAIL_REMINDERS = True
    staff.officer.email = "budi@example.test"
    staff.officer.save()
    overdue(file_wbs())
    run = send_reminders()
    assert (run.notifications, run.emails, run.email_failures) == (2, 0, 1)
    assert not Notification.objects.get(recipient=staff.officer).emailed


def test_reminders_go_to_the_assignees_and_to_the_supervisors_before_assignment(staff: IntakeStaff) -> None:
    """The lead officer and team are reminded; a conflict takes a person off; unassigned cases remind the
    supervisors holding them (they are the ones to assign)."""
    from casework.cases.assignment import case_assign, case_declare_conflict
    from casework.cases.services import case_grant
    from intake import services as intake_services
    from intake.forms import WbsReportForm
    from tests.intake.conftest import wbs_post

    form = WbsReportForm(wbs_post(what=WHAT))
    assert form.is_valid(), form.errors
    unassigned = intake_services.submit_wbs_report(
        data={k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    ).case
    overdue(unassigned)
    send_reminders()
    assert set(Notification.objects.filter(case=unassigned).values_list("recipient__username", flat=True)) == {"kepala"}
    # Once assigned to one officer as lead, only that officer is reminded: a colleague the lead shared the
    # key with (a grant, not an assignment) holds the case but is not on its team.
    case_assign(
        case=unassigned,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    case_grant(case=unassigned, keyring=staff.keyring(staff.officer), officer=staff.other_officer)
    Notification.objects.all().delete()
    send_reminders()
    assert list(Notification.objects.filter(case=unassigned).values_list("recipient__username", flat=True)) == [
        "petugas1"
    ]
    # The lead declares a conflict: they lose the key and are no longer reminded; the supervisors are again.
    case_declare_conflict(case=Case.objects.get(pk=unassigned.pk), officer=staff.officer)
    Notification.objects.all().delete()
    send_reminders()
    assert set(Notification.objects.filter(case=unassigned).values_list("recipient__username", flat=True)) == {"kepala"}
