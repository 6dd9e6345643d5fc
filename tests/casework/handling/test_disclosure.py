"""Issue 11.7: the sealed identity opens only after an officer states a reason and a supervisor other than that
officer approves with a second factor; for that officer only, for that case; every step audited and shown.
Also: the case header's "identity given" line tells the truth for gratification reports."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.assignment import case_assign
from casework.cases.services import CaseActionRefused, case_grant
from casework.handling import disclosure
from casework.handling.models import IdentityDisclosure
from casework.models import Case
from intake import services as intake_services
from intake.forms import GratificationReportForm
from tests.casework.handling.conftest import IDENTITY_NAME, Staff, case_url, file_report, logged_in
from tests.intake.conftest import gratification_post
from tests.support.staff import totp_code
from vault import services as vault

pytestmark = pytest.mark.django_db
REASON = "Pelapor perlu dipanggil sebagai saksi dalam pemeriksaan khusus."


def next_code(user: Any) -> str:
    """A TOTP code not used yet by ``user`` (each code works once; the next step is within the tolerance)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return totp_code(device, offset_steps=1)


def events(action: Action, case: Case) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action.value, case_ref=case.number).order_by("seq"))


def assigned_case(staff: Staff, **overrides: Any) -> Case:
    case = file_report(**overrides).case
    case_assign(
        case=case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    return case


def request_disclosure(staff: Staff, case: Case) -> tuple[Client, IdentityDisclosure]:
    officer = logged_in(staff.officer)
    response = officer.post(case_url(case, "disclosure/"), {"disclosure-reason": REASON}, follow=True)
    assert "Permintaan Anda telah dikirim" in response.content.decode()
    return officer, IdentityDisclosure.objects.get(case=case)


def test_request_approval_by_a_second_supervisor_release_and_opening(staff: Staff) -> None:
    case = assigned_case(staff)
    officer, request = request_disclosure(staff, case)
    assert request.status == IdentityDisclosure.Status.REQUESTED and REASON.encode() not in bytes(request.reason)
    requested = events(Action.DISCLOSURE_REQUESTED, case)
    assert len(requested) == 1 and REASON not in requested[0].details
    # Before anything is decided the identity stays closed for the officer.
    assert officer.get(case_url(case, "identity/")).status_code == 403

    deputy = logged_in(staff.deputy)  # a supervisor, not the escrow holder
    page = deputy.get(case_url(case)).content.decode()
    assert REASON in page and 'class="decide"' in page  # the decider reads the reason
    decide = case_url(case, f"disclosure/{request.id}/decide/")
    # Without a second factor: the confirmation page, nothing decided.
    response = deputy.post(decide, {"decision": "approve"})
    assert response.status_code == 200 and 'id="step-up"' in response.content.decode()
    assert 'name="decision" value="approve"' in response.content.decode()  # carried, hidden
    # The password is no second factor here; a wrong code neither.
    from tests.support.staff import PASSWORD

    for secret in (PASSWORD, "000000"):
        response = deputy.post(decide, {"decision": "approve", "step_up_secret": secret})
        assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == IdentityDisclosure.Status.REQUESTED
    time.sleep(1.1)  # a wrong code makes the authenticator wait a second before the next try
    response = deputy.post(decide, {"decision": "approve", "step_up_secret": next_code(staff.deputy)}, follow=True)
    assert "Pemegang kunci eskrow kini harus membuka" in response.content.decode()
    request.refresh_from_db()
    assert request.status == IdentityDisclosure.Status.APPROVED and request.decided_by == staff.deputy
    assert not vault.holds_identity(user=staff.officer, report_id=case.id)  # not yet: the escrow step is missing

    # The escrow holder sees it waiting and releases it.
    head = logged_in(staff.supervisor)
    listing = head.get("/console/disclosures/").content.decode()
    assert case.number in listing and "buka identitas" in listing
    response = head.post(case_url(case, f"disclosure/{request.id}/release/"), {"confirm": "on"}, follow=True)
    assert "Identitas kini terbuka untuk petugas yang meminta." in response.content.decode()
    request.refresh_from_db()
    assert request.status == IdentityDisclosure.Status.RELEASED and request.released_by == staff.supervisor

    # The officer opens it; each opening is audited; it is theirs alone.
    page = officer.get(case_url(case, "identity/"))
    assert page.status_code == 200 and IDENTITY_NAME in page.content.decode()
    officer.get(case_url(case, "identity/"))
    openings = [
        e
        for e in events(Action.REPORT_UNSEALED, case)
        if e.details_dict.get("scope") == "identity" and e.actor_username == "petugas1"
    ]
    assert len(openings) == 2
    assert vault.holds_identity(user=staff.officer, report_id=case.id)
    assert not vault.holds_identity(user=staff.deputy, report_id=case.id)
    assert logged_in(staff.deputy, offset_steps=1).get(case_url(case, "identity/")).status_code == 403
    # The steps are audited and shown on the case.
    for action in (Action.DISCLOSURE_REQUESTED, Action.DISCLOSURE_APPROVED, Action.DISCLOSURE_RELEASED):
        assert len(events(action, case)) == 1, action
    timeline = officer.get(case_url(case, lang="en")).content.decode().split('id="timeline"')[1]
    for label in (
        "Identity disclosure requested",
        "Identity disclosure approved",
        "Identity released by the escrow holder",
    ):
        assert label in timeline
    assert "Reporter&#x27;s identity opened" in timeline
    assert IDENTITY_NAME not in officer.get(case_url(case)).content.decode()  # only on its own page


def test_the_escrow_holder_approves_and_releases_in_one_step(staff: Staff) -> None:
    case = file_report().case
    for officer in (staff.officer,):
        case_assign(
            case=case, officer=officer, lead=True, assigned_by=staff.deputy, keyring=staff.keyring(staff.deputy)
        )
    _officer, request = request_disclosure(staff, case)
    head = logged_in(staff.supervisor)
    response = head.post(
        case_url(case, f"disclosure/{request.id}/decide/"),
        {"decision": "approve", "step_up_secret": next_code(staff.supervisor)},
        follow=True,
    )
    assert "Identitas kini terbuka untuk petugas yang meminta." in response.content.decode()
    request.refresh_from_db()
    assert request.status == IdentityDisclosure.Status.RELEASED
    assert vault.holds_identity(user=staff.officer, report_id=case.id)


def test_a_supervisor_cannot_approve_their_own_request(staff: Staff) -> None:
    case = file_report().case  # held by both supervisors from intake
    own = disclosure.disclosure_request(case=case, keyring=staff.keyring(staff.deputy), reason=REASON)
    deputy = logged_in(staff.deputy)
    response = deputy.post(
        case_url(case, f"disclosure/{own.id}/decide/", lang="en"),
        {"decision": "approve", "step_up_secret": next_code(staff.deputy)},
        follow=True,
    )
    assert "You cannot decide on your own request" in response.content.decode()
    own.refresh_from_db()
    assert own.status == IdentityDisclosure.Status.REQUESTED
    assert not events(Action.DISCLOSURE_APPROVED, case)
    with pytest.raises(CaseActionRefused):
        disclosure.disclosure_decide(disclosure=own, keyring=staff.keyring(staff.deputy), approve=True)


def test_refusal_is_recorded_and_opens_nothing(staff: Staff) -> None:
    case = assigned_case(staff)
    officer, request = request_disclosure(staff, case)
    disclosure.disclosure_decide(disclosure=request, keyring=staff.keyring(staff.deputy), approve=False)
    request.refresh_from_db()
    assert request.status == IdentityDisclosure.Status.REFUSED
    assert len(events(Action.DISCLOSURE_REFUSED, case)) == 1
    assert officer.get(case_url(case, "identity/")).status_code == 403
    with pytest.raises(CaseActionRefused):  # decided once, for good
        disclosure.disclosure_decide(disclosure=request, keyring=staff.keyring(staff.supervisor), approve=True)
    with pytest.raises(CaseActionRefused):
        disclosure.disclosure_release(
            disclosure=request,
            escrow=vault.escrow_keyring_for(keyring=staff.keyring(staff.supervisor)),
            released_by=staff.supervisor,
        )
    # A new request may follow the refusal.
    disclosure.disclosure_request(
        case=case, keyring=staff.keyring(staff.officer), reason="Alasan baru yang lebih kuat."
    )


def test_bad_requests_are_refused(staff: Staff, make_staff: Any) -> None:
    case = assigned_case(staff)
    keyring = staff.keyring(staff.officer)
    with translation.override("en"):
        with pytest.raises(CaseActionRefused, match="State why"):
            disclosure.disclosure_request(case=case, keyring=keyring, reason="   ")
        disclosure.disclosure_request(case=case, keyring=keyring, reason=REASON)
        with pytest.raises(CaseActionRefused, match="already asked"):
            disclosure.disclosure_request(case=case, keyring=keyring, reason=REASON)
        anonymous = assigned_case(staff, identity_name="")
        with pytest.raises(CaseActionRefused, match="no identity"):
            disclosure.disclosure_request(case=anonymous, keyring=keyring, reason=REASON)
        with pytest.raises(CaseActionRefused, match="do not hold"):
            disclosure.disclosure_request(case=case, keyring=staff.keyring(staff.other_officer), reason=REASON)
    # An officer cannot decide; the page refuses with 403.
    request = IdentityDisclosure.objects.get(case=case)
    other = logged_in(staff.other_officer)
    assert other.post(case_url(case, f"disclosure/{request.id}/decide/"), {"decision": "approve"}).status_code == 403
    assert other.post(case_url(case, f"disclosure/{request.id}/release/"), {"confirm": "on"}).status_code == 403


def test_release_refuses_a_requester_who_lost_the_case(staff: Staff) -> None:
    case = assigned_case(staff)
    _officer, request = request_disclosure(staff, case)
    disclosure.disclosure_decide(disclosure=request, keyring=staff.keyring(staff.deputy), approve=True)
    vault.revoke_case(report_id=case.id, officer=staff.officer)
    escrow = vault.escrow_keyring_for(keyring=staff.keyring(staff.supervisor))
    with translation.override("en"), pytest.raises(CaseActionRefused, match="no longer holds"):
        disclosure.disclosure_release(disclosure=request, escrow=escrow, released_by=staff.supervisor)
    assert not vault.holds_identity(user=staff.officer, report_id=case.id)


def test_a_granted_colleague_does_not_get_the_identity(staff: Staff) -> None:
    case = assigned_case(staff)
    _officer, request = request_disclosure(staff, case)
    disclosure.disclosure_decide(disclosure=request, keyring=staff.keyring(staff.supervisor), approve=True)
    case_grant(case=case, keyring=staff.keyring(staff.officer), officer=staff.other_officer)
    assert vault.holds_identity(user=staff.officer, report_id=case.id)
    assert not vault.holds_identity(user=staff.other_officer, report_id=case.id)
    assert logged_in(staff.other_officer).get(case_url(case, "identity/")).status_code == 403


def test_the_header_tells_the_truth_about_the_reporters_identity(staff: Staff) -> None:
    form = GratificationReportForm(gratification_post())
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    gratification = intake_services.submit_gratification_report(data=data, attachments=[]).case
    anonymous = file_report(identity_name="").case
    identified = file_report().case
    client = logged_in(staff.supervisor)

    def identity_line(case: Case) -> str:
        html = client.get(case_url(case, lang="en")).content.decode()
        return html.split('id="identity">')[1].split("</span>")[0]

    line = identity_line(gratification)
    assert "named in the report" in line and "anonymous" not in line
    assert "no (anonymous report)" in identity_line(anonymous)
    assert "sealed separately" in identity_line(identified)
    page = client.get(case_url(gratification, lang="en")).content.decode()
    assert "Rina Penerima" in page and "identified by law" in page.split('id="disclosure"')[1]
