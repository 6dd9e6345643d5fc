"""Every service or view that changes state (or unseals content) writes exactly the audit events listed here.

To cover a new state change, add a ``Scenario`` to ``SCENARIOS``: ``setup`` prepares what the action needs
(its own events are not counted), ``act`` performs the one action under test, and ``expected`` lists the
actions it must write, in order. The test fails when an action writes an event too many, one too few, or in
another order, and when any event holds the scenario's secrets (passwords, codes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases import sealed
from casework.cases.assignment import case_assign, hand_over_cases
from casework.handling import disclosure, notes
from casework.models import Case, CaseClock, StaffUser, Transition
from casework.staff import services, step_up, two_factor
from casework.staff.roles import Role
from casework.workflow import retention
from casework.workflow.reminders import send_reminders
from casework.workflow.retention import shred_expired_cases
from casework.workflow.tables import calendar_override_add
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import wbs_post
from tests.support.staff import PASSWORD, login, totp_code
from vault import services as vault
from vault.access import Keyring
from vault.console import console_cookies
from vault.exceptions import UnknownReceipt
from vault.officers import unwrap_private_key

NEW_PASSWORD = "a brand new passphrase 2026"
# Report content and reporter words that must never reach the log.
REASON_CANARY = "Alasan kanari: terlapor disebut jelas."
CONTENT_CANARIES = [wbs_post()["what"], wbs_post()["who_name"], wbs_post()["title"], "Ada bukti baru.", REASON_CANARY]


@dataclass
class World:
    """What a scenario may use: a test client, a staff factory and a place to keep state between steps."""

    client: Client
    make_staff: Callable[..., StaffUser]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """One state change: how to prepare it, how to do it, and the audit actions it must write."""

    name: str
    act: Callable[[World], object]
    expected: tuple[Action, ...]
    setup: Callable[[World], object] = lambda world: None


def _officer(world: World) -> None:
    world.state["user"] = world.make_staff(Role.OFFICER)


def _logged_in_officer(world: World) -> None:
    _officer(world)
    login(world.client, world.state["user"])


def _password_step(world: World, password: str = PASSWORD) -> None:
    user = world.state["user"]
    world.client.post("/auth/login/", {"username": user.username, "password": password})


def _verify(world: World) -> None:
    device = TOTPDevice.objects.get(user=world.state["user"], confirmed=True)
    response = world.client.post("/auth/verify/", {"code": totp_code(device)})
    assert response.status_code == 302


def _enrol(world: World) -> None:
    world.client.get("/auth/enrol/")
    device = TOTPDevice.objects.get(user=world.state["user"], confirmed=False)
    response = world.client.post("/auth/enrol/", {"code": totp_code(device)})
    assert response.status_code == 302


def _new_account_without_authenticator(world: World) -> None:
    world.state["user"] = world.make_staff(Role.AUDITOR, with_totp=False)
    _password_step(world)


def _change_password(world: World) -> None:
    response = world.client.post(
        "/console/security/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302


def _officer_and_admin(world: World) -> None:
    _officer(world)
    world.state["admin"] = world.make_staff(Role.ADMIN)


def _inspectorate(world: World) -> None:
    """A supervisor (first one: escrow holder) and two officers who receive new reports."""
    world.state["supervisor"] = world.make_staff(Role.SUPERVISOR, username="kepala")
    world.state["officer"] = world.make_staff(Role.OFFICER, username="petugas1")
    world.state["other"] = world.make_staff(Role.OFFICER, username="petugas2")


def _submit_report(world: World) -> None:
    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    submission = intake_services.submit_wbs_report(data=data, attachments=[])
    world.state["receipt"] = submission.receipt
    world.state["report_id"] = submission.case.pk


def _submitted(world: World) -> None:
    """A report filed (it reaches the supervisor) and assigned to ``officer`` (as triage would)."""
    _inspectorate(world)
    _submit_report(world)
    case = Case.objects.get(pk=world.state["report_id"])
    supervisor = world.state["supervisor"]
    case_assign(
        case=case, officer=world.state["officer"], lead=True, assigned_by=supervisor, keyring=_keyring(supervisor)
    )


def _in_followup(world: World) -> None:
    _submitted(world)
    world.state["access"] = intake_services.open_followup(receipt=world.state["receipt"])


def _wrong_receipt(world: World) -> None:
    with pytest.raises(UnknownReceipt):
        intake_services.open_followup(receipt="0000 0000 0000 0000")


def _keyring(user: StaffUser) -> Keyring:
    return Keyring(user=user, _private_key=unwrap_private_key(user=user, password=PASSWORD))


def _unseal(world: World) -> None:
    """An officer who received the report opens it (twice in one request: one event)."""
    case = Case.objects.get(pk=world.state["report_id"])
    keyring = _keyring(world.state["officer"])
    sealed.open_content(access=keyring, case=case)
    sealed.open_content(access=keyring, case=case)


def _submitted_and_new_officer(world: World) -> None:
    _submitted(world)
    world.state["new_officer"] = world.make_staff(Role.OFFICER, username="petugas3")


def _grant(world: World) -> None:
    keyring = _keyring(world.state["officer"])
    vault.grant_case(report_id=world.state["report_id"], keyring=keyring, officer=world.state["new_officer"])


def _case_url(world: World, suffix: str = "") -> str:
    return f"/console/cases/{Case.objects.get(pk=world.state['report_id']).number}/{suffix}"


def _submitted_officer_logged_in(world: World) -> None:
    _submitted_and_new_officer(world)
    login(world.client, world.state["officer"])


def _submitted_supervisor_logged_in(world: World) -> None:
    _submitted(world)
    login(world.client, world.state["supervisor"])


def _submitted_escrow_holder_without_the_case(world: World) -> None:
    _submitted(world)
    vault.revoke_case(report_id=world.state["report_id"], officer=world.state["supervisor"])
    login(world.client, world.state["supervisor"])


def _console_post(world: World, suffix: str, data: dict[str, Any]) -> None:
    response = world.client.post(_case_url(world, suffix), data)
    assert response.status_code == 302, response.content[:300]


def _case(world: World) -> Case:
    return Case.objects.get(pk=world.state["report_id"])


def _transition_url(world: World, to_status: str) -> str:
    case = _case(world)
    step = Transition.objects.get(kind=case.kind, from_status=case.status, to_status=to_status)
    return f"status/{step.pk}/"


def _verified_officer_logged_in(world: World) -> None:
    _submitted_officer_logged_in(world)
    _console_post(world, _transition_url(world, "verifikasi"), {"version": "0"})


def _overdue_clock(world: World) -> None:
    """An overdue clock on a case whose lead officer and one team member are both reminded."""
    _submitted(world)
    supervisor = world.state["supervisor"]
    case_assign(
        case=_case(world),
        officer=world.state["other"],
        lead=False,
        assigned_by=supervisor,
        keyring=_keyring(supervisor),
    )
    CaseClock.objects.filter(case_id=world.state["report_id"]).update(due_on=date(2026, 1, 5))


def _closed_long_ago(world: World) -> None:
    _submitted(world)
    Case.objects.filter(pk=world.state["report_id"]).update(
        status="selesai", outcome="terbukti", closed_at=timezone.now() - timedelta(days=6 * 366)
    )


def _second_supervisor_and_request(world: World) -> None:
    _submitted(world)
    world.state["second"] = world.make_staff(Role.SUPERVISOR, username="kepala2")
    world.state["request"] = retention.destruction_request(
        case=_case(world), actor=world.state["supervisor"], grounds="Laporan ganda"
    )


def _case_number(world: World) -> str:
    return str(Case.objects.get(pk=world.state["report_id"]).number)


def _reports_post(world: World, path: str, data: dict[str, Any]) -> None:
    response = world.client.post(f"/console/reports/{path}", data)
    assert response.status_code in (200, 302), response.content[:300]


SCENARIOS = [
    Scenario(
        "staff_create (auditor)",
        lambda w: services.staff_create(username="auditor1", role=Role.AUDITOR, password=PASSWORD),
        (Action.STAFF_CREATED,),
    ),
    Scenario(
        "staff_create (officer: gets a vault key)",
        lambda w: services.staff_create(username="officer1", role=Role.OFFICER, password=PASSWORD),
        (Action.STAFF_CREATED, Action.OFFICER_KEY_CREATED),
    ),
    Scenario(
        "staff_create (first supervisor: vault key and escrow)",
        lambda w: services.staff_create(username="kepala", role=Role.SUPERVISOR, password=PASSWORD),
        (Action.STAFF_CREATED, Action.OFFICER_KEY_CREATED, Action.ESCROW_CREATED),
    ),
    Scenario(
        "login: wrong password", lambda w: _password_step(w, "not the password"), (Action.LOGIN_FAILED,), setup=_officer
    ),
    Scenario(
        "login: unknown username",
        lambda w: w.client.post("/auth/login/", {"username": "nobody", "password": "whatever it is"}),
        (Action.LOGIN_FAILED,),
    ),
    Scenario(
        "login: password then TOTP",
        lambda w: (_password_step(w), _verify(w)),
        (Action.LOGIN_SUCCEEDED,),
        setup=_officer,
    ),
    Scenario(
        "login: wrong TOTP code",
        lambda w: w.client.post("/auth/verify/", {"code": "000000"}),
        (Action.LOGIN_FAILED,),
        setup=lambda w: (_officer(w), _password_step(w)),
    ),
    Scenario(
        "first login: enrol an authenticator",
        _enrol,
        (Action.TOTP_ENROLLED, Action.BACKUP_CODES_ISSUED, Action.LOGIN_SUCCEEDED),
        setup=_new_account_without_authenticator,
    ),
    Scenario(
        "first login: wrong enrolment code",
        lambda w: (w.client.get("/auth/enrol/"), w.client.post("/auth/enrol/", {"code": "000000"})),
        (Action.LOGIN_FAILED,),
        setup=_new_account_without_authenticator,
    ),
    Scenario(
        "console: issue new backup codes",
        lambda w: w.client.post("/console/security/backup-codes/"),
        (Action.BACKUP_CODES_ISSUED,),
        setup=_logged_in_officer,
    ),
    Scenario(
        "console: change password (re-wraps the vault key)",
        _change_password,
        (Action.OFFICER_KEY_REWRAPPED, Action.PASSWORD_CHANGED),
        setup=_logged_in_officer,
    ),
    Scenario("logout", lambda w: w.client.post("/auth/logout/"), (Action.LOGOUT,), setup=_logged_in_officer),
    # Staff management by an administrator (casework.staff.services)
    Scenario(
        "staff_reset_password (officer: new, empty vault key)",
        lambda w: services.staff_reset_password(
            user=w.state["user"], new_password=NEW_PASSWORD, reset_by=w.state["admin"]
        ),
        (Action.STAFF_PASSWORD_RESET, Action.OFFICER_KEY_RESET),
        setup=_officer_and_admin,
    ),
    Scenario(
        "staff_reset_second_factor",
        lambda w: services.staff_reset_second_factor(user=w.state["user"], reset_by=w.state["admin"]),
        (Action.STAFF_SECOND_FACTOR_RESET,),
        setup=_officer_and_admin,
    ),
    Scenario(
        "staff_set_active(False)",
        lambda w: services.staff_set_active(user=w.state["user"], active=False, changed_by=w.state["admin"]),
        (Action.STAFF_DEACTIVATED,),
        setup=_officer_and_admin,
    ),
    Scenario(
        "staff_set_role (officer becomes auditor)",
        lambda w: services.staff_set_role(user=w.state["user"], role=Role.AUDITOR, changed_by=w.state["admin"]),
        (Action.STAFF_ROLE_CHANGED,),
        setup=_officer_and_admin,
    ),
    Scenario(
        "staff_set_role to the same role changes nothing",
        lambda w: services.staff_set_role(user=w.state["user"], role=Role.OFFICER, changed_by=w.state["admin"]),
        (),
        setup=_officer_and_admin,
    ),
    Scenario(
        "staff_set_active(True) on an active account changes nothing",
        lambda w: services.staff_set_active(user=w.state["user"], active=True, changed_by=w.state["admin"]),
        (),
        setup=_officer_and_admin,
    ),
    # The reporter's side (intake.services) and the vault's grants and unseals
    Scenario(
        "submit_wbs_report (sealed to the supervisor, its first clock started; officers get it by assignment)",
        _submit_report,
        (Action.CASE_GRANTED, Action.CLOCK_STARTED, Action.REPORT_SUBMITTED),
        setup=_inspectorate,
    ),
    Scenario(
        "open_followup (right receipt)",
        lambda w: intake_services.open_followup(receipt=w.state["receipt"]),
        (Action.FOLLOWUP_LOGIN,),
        setup=_submitted,
    ),
    Scenario("open_followup (wrong receipt)", _wrong_receipt, (Action.FOLLOWUP_FAILED,), setup=_submitted),
    Scenario(
        "post_reporter_message",
        lambda w: intake_services.post_reporter_message(access=w.state["access"], body="Ada bukti baru."),
        (Action.REPORTER_MESSAGE,),
        setup=_in_followup,
    ),
    Scenario(
        "vault.open (unseal the report, twice in one request)", _unseal, (Action.REPORT_UNSEALED,), setup=_submitted
    ),
    Scenario("vault.grant_case", _grant, (Action.CASE_GRANTED,), setup=_submitted_and_new_officer),
    Scenario(
        "vault.revoke_case",
        lambda w: vault.revoke_case(report_id=w.state["report_id"], officer=w.state["officer"]),
        (Action.CASE_REVOKED,),
        setup=_submitted,
    ),
    # The case console (casework.cases.views, casework.cases.services)
    Scenario(
        "console: open a case (one unseal for content, messages and files)",
        lambda w: w.client.get(_case_url(w)),
        (Action.REPORT_UNSEALED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: case_reply (Inspektorat writes to the reporter)",
        lambda w: _console_post(w, "reply/", {"body": "Ada bukti baru."}),
        (Action.INSPECTORATE_MESSAGE,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: case_grant by an officer who holds the case",
        lambda w: _console_post(w, "grant/", {"officer": w.state["new_officer"].pk}),
        (Action.CASE_GRANTED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: case_revoke by a supervisor",
        lambda w: _console_post(w, "revoke/", {"officer": w.state["officer"].pk}),
        (Action.CASE_REVOKED,),
        setup=_submitted_supervisor_logged_in,
    ),
    Scenario(
        "console: case_escrow_regrant by the escrow holder",
        lambda w: _console_post(w, "regrant/", {"officer": w.state["supervisor"].pk}),
        (Action.CASE_REGRANTED_BY_ESCROW,),
        setup=_submitted_escrow_holder_without_the_case,
    ),
    # Lifecycles, clocks, triage, reminders, retention (casework.workflow)
    Scenario(
        "console: case_transition (received -> administrative check)",
        lambda w: _console_post(w, _transition_url(w, "verifikasi"), {"version": "0"}),
        (Action.CASE_STATUS_CHANGED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: case_transition with a sealed reason (needs completion: clocks pause)",
        lambda w: _console_post(w, _transition_url(w, "perlu_dilengkapi"), {"version": "1", "reason": REASON_CANARY}),
        (Action.CASE_STATUS_CHANGED, Action.CLOCK_PAUSED),
        setup=_verified_officer_logged_in,
    ),
    Scenario(
        "console: case_set_triage",
        lambda w: _console_post(w, "triage/", {"version": "0", "violation_type": "suap", "organisation": ""}),
        (Action.CASE_TRIAGED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: case_start_clock (PDP_BREACH)",
        lambda w: _console_post(w, "clocks/start/", {"rule_code": "PDP_BREACH"}),
        (Action.CLOCK_STARTED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "console: legal hold",
        lambda w: _console_post(w, "retention/hold/", {"hold": "on", "grounds": "Surat PN 1/2026"}),
        (Action.LEGAL_HOLD_SET,),
        setup=_submitted_supervisor_logged_in,
    ),
    Scenario(
        "console: destruction request",
        lambda w: _console_post(w, "retention/request/", {"grounds": "Laporan ganda"}),
        (Action.DESTRUCTION_REQUESTED,),
        setup=_submitted_supervisor_logged_in,
    ),
    Scenario(
        "destruction approved by a second supervisor (the case is shredded)",
        lambda w: retention.destruction_decide(request=w.state["request"], actor=w.state["second"], approve=True),
        (Action.DESTRUCTION_APPROVED, Action.CLOCK_STOPPED, Action.CASE_SHREDDED),
        setup=_second_supervisor_and_request,
    ),
    Scenario(
        "beat: deadline reminders (the lead officer and the team member)",
        lambda w: send_reminders(),
        (Action.REMINDER_SENT, Action.REMINDER_SENT),
        setup=_overdue_clock,
    ),
    Scenario(
        "beat: retention shreds an expired case",
        lambda w: shred_expired_cases(),
        (Action.CLOCK_STOPPED, Action.CASE_SHREDDED),
        setup=_closed_long_ago,
    ),
    Scenario(
        "calendar_override_add",
        lambda w: calendar_override_add(
            actor=w.state["admin"], day=date(2026, 8, 18), kind="holiday", note="Keputusan lokal"
        ),
        (Action.CALENDAR_OVERRIDE_ADDED,),
        setup=_officer_and_admin,
    ),
    Scenario(
        "reports: recap asked for (the task runs after commit)",
        lambda w: _reports_post(w, "request/recap/", {"date_from": "2026-01-01", "date_to": "2026-12-31"}),
        (Action.EXPORT_REQUESTED,),
        setup=_submitted_supervisor_logged_in,
    ),
    Scenario(
        "reports: dossier (checkpoint for the PDF, one unseal, the export with its SHA-256)",
        lambda w: _reports_post(w, "dossier/", {"case": _case_number(w)}),
        (Action.CHECKPOINT_CREATED, Action.REPORT_UNSEALED, Action.EXPORT_CREATED),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "reports: forwarding package (what was sent to whom)",
        lambda w: _reports_post(
            w, f"forwarding/{_case_number(w)}/", {"authority": "kpk", "parts": ["what"], "passages": ""}
        ),
        (Action.REPORT_UNSEALED, Action.CHECKPOINT_CREATED, Action.FORWARDING_EXPORTED),
        setup=_submitted_officer_logged_in,
    ),
]


# --- people: console hardening, assignment, notes, links, disclosure (issues 9.10-9.12, 11.5-11.7) -------------
def _stale(world: World) -> None:
    session = world.client.session
    session[step_up.FACTOR_AT] -= 3600
    session.save()


def _code(user: StaffUser) -> str:
    return totp_code(TOTPDevice.objects.get(user=user, confirmed=True), offset_steps=1)


def _submitted_deputy(world: World) -> None:
    _submitted(world)
    world.state["deputy"] = world.make_staff(Role.SUPERVISOR, username="wakil")


def _filed_with_identity(world: World) -> None:
    _inspectorate(world)
    world.state["deputy"] = world.make_staff(Role.SUPERVISOR, username="wakil")
    form = WbsReportForm(wbs_post(identity_name="Nama Rahasia Pelapor"))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    case = intake_services.submit_wbs_report(data=data, attachments=[]).case
    world.state["report_id"] = case.pk
    supervisor = world.state["supervisor"]
    case_assign(
        case=case, officer=world.state["officer"], lead=True, assigned_by=supervisor, keyring=_keyring(supervisor)
    )


def _requested(world: World) -> None:
    _filed_with_identity(world)
    world.state["disclosure"] = disclosure.disclosure_request(
        case=_case(world), keyring=_keyring(world.state["officer"]), reason="Alasan yang disegel."
    )


def _approved(world: World) -> None:
    _requested(world)
    disclosure.disclosure_decide(
        disclosure=world.state["disclosure"], keyring=_keyring(world.state["deputy"]), approve=True
    )


def _released(world: World) -> None:
    _approved(world)
    escrow = vault.escrow_keyring_for(keyring=_keyring(world.state["supervisor"]))
    disclosure.disclosure_release(
        disclosure=world.state["disclosure"], escrow=escrow, released_by=world.state["supervisor"]
    )
    login(world.client, world.state["officer"])


def _requested_deputy_in(world: World) -> None:
    _requested(world)
    login(world.client, world.state["deputy"])


def _requested_head_in(world: World) -> None:
    _requested(world)
    login(world.client, world.state["supervisor"])


def _approved_head_in(world: World) -> None:
    _approved(world)
    login(world.client, world.state["supervisor"])


def _identity_officer_in(world: World) -> None:
    _filed_with_identity(world)
    login(world.client, world.state["officer"])


def _decide_in_console(world: World, who: str, decision: str) -> None:
    url = _case_url(world, f"disclosure/{world.state['disclosure'].pk}/decide/")
    response = world.client.post(url, {"decision": decision, "step_up_secret": _code(world.state[who])})
    assert response.status_code == 302, response.content[:300]


def _two_cases(world: World) -> None:
    _submitted(world)
    first = _case(world)
    _submit_report(world)
    world.state["other_case"] = _case(world)
    world.state["report_id"] = first.pk
    login(world.client, world.state["supervisor"])


def _linked(world: World) -> None:
    _two_cases(world)
    world.state["link"] = notes.case_link(
        case=_case(world), other=world.state["other_case"], reason="same_person", linked_by=world.state["supervisor"]
    )


def _hand_over(world: World) -> None:
    hand_over_cases(
        departing=world.state["officer"],
        successor=world.state["other"],
        handed_over_by=world.state["supervisor"],
        keyring=_keyring(world.state["supervisor"]),
    )


def _spread_campaign(world: World) -> None:
    _officer(world)
    user = world.state["user"]
    for host in range(10):
        for _ in range(5):
            Client().post(
                "/auth/login/",
                {"username": user.username, "password": "not the password"},
                REMOTE_ADDR=f"10.9.8.{host}",
            )


PEOPLE_SCENARIOS = [
    Scenario(
        "console: a session without its console cookie (stolen) is refused and ended",
        lambda w: ([w.client.cookies.pop(name) for name, _path in console_cookies()], w.client.get("/console/")),
        (Action.CONSOLE_ACCESS_DENIED,),
        setup=_logged_in_officer,
    ),
    Scenario(
        "console: a denied page",
        lambda w: w.client.get("/console/staff/"),
        (Action.CONSOLE_ACCESS_DENIED,),
        setup=_logged_in_officer,
    ),
    Scenario(
        "console: step-up with a code, then the action",
        lambda w: (
            _stale(w),
            w.client.post("/console/security/backup-codes/", {"step_up_secret": _code(w.state["user"])}),
        ),
        (Action.STEP_UP_SUCCEEDED, Action.BACKUP_CODES_ISSUED),
        setup=_logged_in_officer,
    ),
    Scenario(
        "console: step-up with a wrong answer",
        lambda w: (_stale(w), w.client.post("/console/security/backup-codes/", {"step_up_secret": "not the password"})),
        (Action.STEP_UP_FAILED,),
        setup=_logged_in_officer,
    ),
    Scenario(
        "login: a campaign from many addresses reaches the username ceiling",
        lambda w: _password_step(w),
        (Action.LOGIN_FAILED,),
        setup=_spread_campaign,
    ),
    Scenario(
        "case_assign (the supervisor holds the case: granted with their keyring)",
        lambda w: _console_post(w, "assign/", {"assign-officer": w.state["other"].pk, "assign-role": "member"}),
        (Action.CASE_GRANTED, Action.CASE_ASSIGNED),
        setup=_submitted_supervisor_logged_in,
    ),
    Scenario(
        "case_assign (the supervisor does not hold the case: granted from escrow)",
        lambda w: _console_post(w, "assign/", {"assign-officer": w.state["other"].pk, "assign-role": "lead"}),
        (Action.CASE_REGRANTED_BY_ESCROW, Action.CASE_ASSIGNED),
        setup=_submitted_escrow_holder_without_the_case,
    ),
    Scenario(
        "case_declare_conflict",
        lambda w: _console_post(w, "conflict/", {"conflict-confirm": "on"}),
        (Action.CASE_REVOKED, Action.CONFLICT_DECLARED),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "hand_over_cases (one case: granted to the successor, revoked from the departing)",
        _hand_over,
        (Action.CASE_GRANTED, Action.CASE_REVOKED, Action.CASE_HANDED_OVER),
        setup=_submitted,
    ),
    Scenario(
        "case_add_note",
        lambda w: _console_post(w, "notes/", {"note-body": "Ada bukti baru."}),
        (Action.NOTE_ADDED,),
        setup=_submitted_officer_logged_in,
    ),
    Scenario(
        "case_link (recorded on both cases)",
        lambda w: _console_post(w, "links/", {"link-other": w.state["other_case"].number, "link-reason": "other"}),
        (Action.CASES_LINKED, Action.CASES_LINKED),
        setup=_two_cases,
    ),
    Scenario(
        "case_unlink (recorded on both cases)",
        lambda w: _console_post(w, f"links/{w.state['link'].pk}/remove/", {"confirm": "on"}),
        (Action.CASES_UNLINKED, Action.CASES_UNLINKED),
        setup=_linked,
    ),
    Scenario(
        "disclosure_request",
        lambda w: _console_post(w, "disclosure/", {"disclosure-reason": "Perlu."}),
        (Action.DISCLOSURE_REQUESTED,),
        setup=_identity_officer_in,
    ),
    Scenario(
        "disclosure_decide: approved by a supervisor without the escrow key (a second factor each time)",
        lambda w: _decide_in_console(w, "deputy", "approve"),
        (Action.STEP_UP_SUCCEEDED, Action.DISCLOSURE_APPROVED),
        setup=_requested_deputy_in,
    ),
    Scenario(
        "disclosure_decide: approved by the escrow holder (released at once)",
        lambda w: _decide_in_console(w, "supervisor", "approve"),
        (Action.STEP_UP_SUCCEEDED, Action.DISCLOSURE_APPROVED, Action.CASE_GRANTED, Action.DISCLOSURE_RELEASED),
        setup=_requested_head_in,
    ),
    Scenario(
        "disclosure_decide: refused",
        lambda w: _decide_in_console(w, "deputy", "refuse"),
        (Action.STEP_UP_SUCCEEDED, Action.DISCLOSURE_REFUSED),
        setup=_requested_deputy_in,
    ),
    Scenario(
        "disclosure_release by the escrow holder",
        lambda w: _console_post(w, f"disclosure/{w.state['disclosure'].pk}/release/", {"confirm": "on"}),
        (Action.CASE_GRANTED, Action.DISCLOSURE_RELEASED),
        setup=_approved_head_in,
    ),
    Scenario(
        "console: the officer opens the disclosed identity",
        lambda w: w.client.get(_case_url(w, "identity/")),
        (Action.REPORT_UNSEALED,),
        setup=_released,
    ),
]
SCENARIOS += PEOPLE_SCENARIOS


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_state_change_writes_its_audit_events(scenario: Scenario, client: Client, make_staff: Any) -> None:
    world = World(client=client, make_staff=make_staff)
    scenario.setup(world)
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    scenario.act(world)
    written = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [event.action for event in written] == [action.value for action in scenario.expected]
    secrets = [PASSWORD, NEW_PASSWORD, "not the password", "whatever it is", "Alasan", "Rahasia", *CONTENT_CANARIES]
    if "receipt" in world.state:
        secrets += [world.state["receipt"], vault.format_receipt(world.state["receipt"])]
    for event in written:
        text = f"{event.actor_username} {event.case_ref} {event.details}"
        for secret in secrets:
            assert secret not in text


@pytest.mark.django_db
def test_events_roll_back_with_the_change() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.staff_create(username="ghost", role=Role.AUDITOR, password=PASSWORD)
        raise RuntimeError("the caller's transaction fails after the change")
    assert not StaffUser.objects.filter(username="ghost").exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_failed_login_names_the_staff_member_but_never_an_unknown_username(client: Client, make_staff: Any) -> None:
    user = make_staff()
    client.post("/auth/login/", {"username": user.username, "password": "not the password"})
    client.post("/auth/login/", {"username": "my secret password", "password": "x"})
    known, unknown = AuditEvent.objects.filter(action=Action.LOGIN_FAILED).order_by("seq")
    assert (known.actor_kind, known.actor_staff_id, known.actor_username) == ("staff", user.pk, user.username)
    assert (unknown.actor_kind, unknown.actor_staff_id, unknown.actor_username) == ("system", None, "")
    assert "secret" not in unknown.details


@pytest.mark.django_db
def test_backup_code_login_is_recorded_as_such(client: Client, make_staff: Any) -> None:
    user = make_staff()
    with transaction.atomic():
        code = two_factor.issue_backup_codes(user)[0]
    client.post("/auth/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/auth/verify/", {"code": code}).status_code == 302
    event = AuditEvent.objects.filter(action=Action.LOGIN_SUCCEEDED).get()
    assert event.details_dict == {"second_factor": "backup_code"}
