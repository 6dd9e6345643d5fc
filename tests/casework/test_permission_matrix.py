"""Issue 11.13: the permission matrix. Every role x every console view and action, GET and POST.

The URL patterns under /console/ are enumerated from the resolver, so a new console view cannot escape: it
fails ``test_every_console_view_is_in_the_matrix`` until its row is written here. Each cell says what the role
gets: ``A`` allowed (any answer but 403/405 and no trip to the login page), ``D`` denied (403, audited), ``M``
method not allowed (405; the role passed the permission check). An empty POST is harmless by design: every
action needs a choice, a text or a confirmation, so "allowed" means "reached the form", not "did something".

Content canaries (report text, the reporter's identity, a message, a note, a disclosure reason, a file name)
must never reach an administrator, an auditor or an officer who does not hold the case, whatever they ask.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from audit.checkpoints import current_checkpoint
from audit.models import AuditEvent
from casework.cases.assignment import case_assign
from casework.cases.services import case_reply
from casework.handling import disclosure, notes
from casework.handling.models import CaseLink
from casework.models import Case, StaffUser, Transition
from casework.staff.roles import Role
from casework.workflow.tables import calendar_override_add
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, jpeg_with_gps, upload, wbs_post
from tests.support.staff import login

pytestmark = pytest.mark.django_db

ROLES = ("officer_holding", "officer_other", "supervisor", "auditor", "admin")
WHAT = "Kanari isi laporan: kepala bagian meminta komisi sepuluh persen dari rekanan."
IDENTITY = "Kanari Identitas Pelapor"
MESSAGE = "Kanari pesan: mohon kirim bukti transfer."
NOTE = "Kanari catatan internal tentang saksi."
REASON = "Kanari alasan pembukaan identitas."
FILE_NAME = "kanari-bukti.jpg"
CANARIES = (WHAT, IDENTITY, MESSAGE, NOTE, REASON, FILE_NAME)

A, D, M = "A", "D", "M"


def row(get: str, post: str) -> dict[str, tuple[str, str]]:
    """The same (GET, POST) for every role."""
    return {role: (get, post) for role in ROLES}


def cells(**by_role: tuple[str, str]) -> dict[str, tuple[str, str]]:
    assert set(by_role) == set(ROLES)
    return by_role


# (GET, POST) per role. officer_holding: on the case's team, with the reporter's identity disclosed to them.
# officer_other: an officer who does not hold the case. supervisor: holds it from intake and the escrow key.
READERS_ONLY = cells(officer_holding=(A, M), officer_other=(A, M), supervisor=(A, M), auditor=(D, D), admin=(D, D))
HOLDERS_READ = cells(officer_holding=(A, M), officer_other=(D, M), supervisor=(A, M), auditor=(D, D), admin=(D, D))
HOLDERS_ACT = cells(officer_holding=(M, A), officer_other=(M, D), supervisor=(M, A), auditor=(D, D), admin=(D, D))
SUPERVISORS_ACT = cells(officer_holding=(D, D), officer_other=(D, D), supervisor=(M, A), auditor=(D, D), admin=(D, D))
ESCROW_ACT = cells(officer_holding=(M, D), officer_other=(M, D), supervisor=(M, A), auditor=(D, D), admin=(D, D))
ADMINS_ONLY = cells(officer_holding=(D, D), officer_other=(D, D), supervisor=(D, D), auditor=(D, D), admin=(A, A))
KEY_HOLDERS_ACT = cells(officer_holding=(M, A), officer_other=(M, A), supervisor=(M, A), auditor=(D, D), admin=(D, D))
HOLDERS_FORM = cells(officer_holding=(A, A), officer_other=(D, D), supervisor=(A, A), auditor=(D, D), admin=(D, D))
# The forwarding page of a case one may not list answers as a case nobody has (404, shown as A): numbers do not
# count, so "not yours" must not differ from "no such case" (casework/cases/numbers.py, stop 29).
FORWARDING_FORM = {**HOLDERS_FORM, "officer_other": (A, A)}
SUPERVISORS_READ = cells(officer_holding=(D, D), officer_other=(D, D), supervisor=(A, M), auditor=(D, D), admin=(D, D))
AUDIT_READ = cells(officer_holding=(D, D), officer_other=(D, D), supervisor=(A, M), auditor=(A, M), admin=(D, D))
KEY_HOLDERS_FORM = cells(officer_holding=(A, A), officer_other=(A, A), supervisor=(A, A), auditor=(D, D), admin=(D, D))

MATRIX: dict[str, dict[str, tuple[str, str]]] = {
    # Everyone's own security pages
    "console:home": row(A, A),
    "console:backup_codes": row(A, A),
    "console:password_change": row(A, A),
    "console:step_up": row(A, A),
    # Administrators: staff accounts
    "console:staff_list": ADMINS_ONLY,
    "console:staff_create": ADMINS_ONLY,
    "console:staff_detail": ADMINS_ONLY,
    # The audit log: auditors and supervisors
    "console:audit:events": AUDIT_READ,
    "console:audit:event": AUDIT_READ,
    "console:audit:checkpoint": AUDIT_READ,
    "console:audit:checkpoint_create": cells(
        officer_holding=(D, D), officer_other=(D, D), supervisor=(M, A), auditor=(M, A), admin=(D, D)
    ),
    # Cases
    "console:case_list": READERS_ONLY,
    "console:case_detail": HOLDERS_READ,
    "console:case_attachment": HOLDERS_READ,
    "console:case_reply": HOLDERS_ACT,
    "console:case_grant": HOLDERS_ACT,
    "console:case_revoke": SUPERVISORS_ACT,
    "console:case_regrant": ESCROW_ACT,
    # The queue's saved view, safe viewing, search in held cases, reports from other channels (queue workstream)
    "console:case_list_save_view": KEY_HOLDERS_ACT,
    "console:case_attachment_view": HOLDERS_READ,
    "console:case_search": KEY_HOLDERS_FORM,  # an officer searches only the cases they hold
    "record:start": READERS_ONLY,
    "record:wbs": KEY_HOLDERS_FORM,  # an empty form is refused with its errors, nothing is recorded
    "record:gratification": KEY_HOLDERS_FORM,
    # Assignment, notes, links, disclosure (issues 11.5-11.7)
    "console:case_assign": SUPERVISORS_ACT,
    "console:case_conflict": HOLDERS_ACT,
    "console:case_note": HOLDERS_ACT,
    "console:case_link": HOLDERS_ACT,
    "console:case_unlink": HOLDERS_ACT,
    "console:disclosure_request": HOLDERS_ACT,
    "console:disclosure_decide": SUPERVISORS_ACT,
    "console:disclosure_release": ESCROW_ACT,
    "console:case_identity": cells(
        officer_holding=(A, M), officer_other=(D, M), supervisor=(D, M), auditor=(D, D), admin=(D, D)
    ),
    "console:disclosures": READERS_ONLY,
    "console:hand_over": cells(
        officer_holding=(D, D), officer_other=(D, D), supervisor=(A, A), auditor=(D, D), admin=(D, D)
    ),
    # Lifecycles, triage, clocks, retention, reminders, SLA, calendar (flow workstream, issue 11.2-11.4, 11.12)
    "console:case_transition": HOLDERS_FORM,
    "console:case_triage": HOLDERS_FORM,
    "console:case_upg": HOLDERS_FORM,
    "console:case_clock_start": HOLDERS_ACT,
    "console:case_retention": SUPERVISORS_READ,
    "console:case_legal_hold": SUPERVISORS_ACT,
    "console:case_destruction_request": SUPERVISORS_ACT,
    "console:case_destruction_decide": SUPERVISORS_ACT,
    "console:notifications_read": row(M, A),
    "console:gratification_forwarding": READERS_ONLY,
    "console:sla": SUPERVISORS_READ,
    "console:calendar": ADMINS_ONLY,
    "console:calendar_remove": cells(
        officer_holding=(D, D), officer_other=(D, D), supervisor=(D, D), auditor=(D, D), admin=(M, A)
    ),
    # Signed PDF exports and statistics (reports workstream)
    # (officers export what they hold: the case is chosen in the form, so an empty POST reaches the form;
    # recaps and statistics are for supervisors and auditors; administrators have no reports at all)
    "console:reports:home": cells(
        officer_holding=(A, M), officer_other=(A, M), supervisor=(A, M), auditor=(A, M), admin=(D, M)
    ),
    "console:reports:export_request": cells(
        officer_holding=(M, D), officer_other=(M, D), supervisor=(M, A), auditor=(M, A), admin=(M, D)
    ),
    "console:reports:export_detail": row(A, M),  # someone else's export: 404 for everyone
    "console:reports:export_download": row(A, M),
    "console:reports:dossier": KEY_HOLDERS_ACT,
    "console:reports:kpk_forwarding": KEY_HOLDERS_ACT,
    "console:reports:forwarding_start": READERS_ONLY,
    "console:reports:forwarding": FORWARDING_FORM,
    "console:reports:statistics": AUDIT_READ,
    "console:reports:statistics_csv": AUDIT_READ,
}


def console_names() -> set[str]:
    """Return the name of every URL pattern under /console/, with its namespace, however it was added."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], route: str, namespace: str) -> None:
        for entry in patterns:
            here = route + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = (
                    f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
                )
                walk(entry.url_patterns, here, inner or "")
            elif here.startswith("console/"):
                assert entry.name, f"console URL {here} has no name"
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    with translation.override(settings.LANGUAGE_CODE):
        walk(get_resolver().url_patterns, "", "")
    return names


def test_every_console_view_is_in_the_matrix() -> None:
    names = console_names()
    assert "console:case_detail" in names and "console:audit:events" in names
    assert names == set(MATRIX), (
        f"missing rows: {sorted(names - set(MATRIX))}; stale rows: {sorted(set(MATRIX) - names)}"
    )


@dataclass
class World:
    """One case with content of every kind, and a logged-in client per role."""

    case: Case
    kwargs: dict[str, Any]
    clients: dict[str, Client]


def _file_case() -> intake_services.Submission:
    form = WbsReportForm(wbs_post(what=WHAT, identity_name=IDENTITY))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    return intake_services.submit_wbs_report(data=data, attachments=[upload(FILE_NAME, jpeg_with_gps(), "image/jpeg")])


@pytest.fixture
def world(make_staff: Any) -> World:
    staff: IntakeStaff = create_intake_staff(make_staff)
    deputy = make_staff(Role.SUPERVISOR, username="wakil")
    auditor = make_staff(Role.AUDITOR, username="auditor")
    admin = make_staff(Role.ADMIN, username="admin")
    case = _file_case().case
    other_case = _file_case().case
    head_keyring = staff.keyring(staff.supervisor)
    case_assign(case=case, officer=staff.officer, lead=True, assigned_by=staff.supervisor, keyring=head_keyring)
    officer_keyring = staff.keyring(staff.officer)
    case_reply(case=case, keyring=officer_keyring, body=MESSAGE)
    notes.case_add_note(case=case, keyring=officer_keyring, body=NOTE)
    link = notes.case_link(case=case, other=other_case, reason=CaseLink.Reason.SAME_PERSON, linked_by=staff.supervisor)
    request = disclosure.disclosure_request(case=case, keyring=officer_keyring, reason=REASON)
    disclosure.disclosure_decide(disclosure=request, keyring=staff.keyring(deputy), approve=True)
    disclosure.disclosure_release(disclosure=request, escrow=vault_escrow(head_keyring), released_by=staff.supervisor)
    override = calendar_override_add(actor=admin, day=date(2026, 8, 18), kind="holiday", note="Keputusan lokal")
    with transaction.atomic():
        current_checkpoint()
    people: dict[str, StaffUser] = {
        "officer_holding": staff.officer,
        "officer_other": staff.other_officer,
        "supervisor": staff.supervisor,
        "auditor": auditor,
        "admin": admin,
    }
    clients = {}
    for role, user in people.items():
        client = Client()
        login(client, user)
        clients[role] = client
    kwargs = {
        "number": case.number,
        "attachment_id": case.attachments.get().pk,
        "link_id": link.pk,
        "disclosure_id": request.pk,
        "pk": staff.officer.pk,
        "seq": AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first(),
        "transition_id": Transition.objects.filter(kind=case.kind, from_status=case.status).values_list(
            "pk", flat=True
        )[0],
        "override_id": override.pk,
        "export_id": uuid.uuid4(),  # each user sees only their own exports: someone else's is a 404 for all
        "kind": "recap",
    }
    return World(case=case, kwargs=kwargs, clients=clients)


def vault_escrow(keyring: Any) -> Any:
    from vault import services as vault

    return vault.escrow_keyring_for(keyring=keyring)


def concrete_url(name: str, kwargs: dict[str, Any]) -> str:
    from django.urls import NoReverseMatch

    for size in range(len(kwargs) + 1):
        for chosen in _subsets(list(kwargs), size):
            try:
                return reverse(name, kwargs={key: kwargs[key] for key in chosen})
            except NoReverseMatch:
                continue
    raise AssertionError(f"cannot build a URL for {name}")


def _subsets(keys: list[str], size: int) -> list[tuple[str, ...]]:
    from itertools import combinations

    return list(combinations(keys, size))


def outcome(response: Any) -> str:
    if response.status_code == 403:
        return D
    if response.status_code == 405:
        return M
    assert response.status_code != 500
    location = response.get("Location", "")
    assert "/auth/login/" not in location, f"sent to the login page: {location}"
    return A


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_what_the_matrix_says(world: World, role: str) -> None:
    client = world.clients[role]
    sees_content = role in ("officer_holding", "supervisor")
    wrong: list[str] = []
    for name, by_role in sorted(MATRIX.items()):
        url = concrete_url(name, world.kwargs)
        for method, expected in zip(("get", "post"), by_role[role], strict=True):
            response = getattr(client, method)(url)
            got = outcome(response)
            if got != expected:
                wrong.append(
                    f"{method.upper()} {url} ({name}): expected {expected}, got {got} [{response.status_code}]"
                )
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if not sees_content:
                leaked = [canary for canary in CANARIES if canary.encode() in body]
                assert not leaked, f"{role} saw {leaked} at {method.upper()} {url}"
    assert not wrong, "\n".join(wrong)
    # The session is still alive: no step of the walk logged the role out.
    assert client.get("/console/").status_code == 200


def test_supervisors_see_content_only_of_cases_they_hold(world: World) -> None:
    """Control for the canaries: the holders really do see them (so their absence elsewhere means something)."""
    page = world.clients["officer_holding"].get(reverse("console:case_detail", kwargs={"number": world.case.number}))
    html = page.content.decode()
    for canary in (WHAT, MESSAGE, NOTE, REASON, FILE_NAME):
        assert canary in html, canary
    assert IDENTITY not in html  # the identity only on its own page
    identity = world.clients["officer_holding"].get(
        reverse("console:case_identity", kwargs={"number": world.case.number})
    )
    assert IDENTITY in identity.content.decode()
    assert re.search(r"WBS-\d{4}-\d{6}", html)
