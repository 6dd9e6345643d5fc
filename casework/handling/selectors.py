"""Reads for the case page's handling panels (team, notes, links, disclosure, timeline), the reporter's disclosed
identity, the disclosure list and the hand-over page. They write nothing but the vault's unseal events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from casework.cases import sealed
from casework.cases.content import ContentField, identity_fields
from casework.cases.models import Case, CaseKind
from casework.cases.selectors import assignable_staff, visible_cases
from casework.cases.threads import Thread
from casework.handling.models import CaseLink, IdentityDisclosure
from casework.handling.notes import links_of
from casework.handling.timeline import TimelineEntry, case_timeline
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import case_key_holders
from vault import services as vault

RELATED_SUGGESTIONS = 5


@dataclass(frozen=True)
class DisclosureRow:
    """A disclosure request as the case page shows it (the reason only to those who hold the case)."""

    disclosure: IdentityDisclosure
    reason: str
    may_decide: bool
    may_release: bool


@dataclass(frozen=True)
class LinkRow:
    """A link seen from one case: the other case and why."""

    link: CaseLink
    other: Case


@dataclass(frozen=True)
class HandlingPanels:
    """Everything the handling panels of one case page show to one staff member who holds the case."""

    case: Case
    lead: StaffUser | None
    team: list[StaffUser]
    conflicted: list[StaffUser]
    assignable: QuerySet[StaffUser] | None
    identity_exists: bool
    identity_disclosed: bool
    may_request_disclosure: bool
    disclosures: list[DisclosureRow]
    links: list[LinkRow]
    suggestions: list[Case]
    timeline: list[TimelineEntry]


def _reason(keyring: vault.Keyring, disclosure: IdentityDisclosure) -> str:
    return sealed.open_text(
        access=keyring, case_id=disclosure.case_id, purpose=disclosure.reason_purpose, ciphertext=disclosure.reason
    )


def disclosure_rows(*, keyring: vault.Keyring, case: Case) -> list[DisclosureRow]:
    """Return the case's disclosure requests with their reasons opened and what the keyring's owner may do."""
    user = keyring.user
    is_supervisor = user.has_perm(SUPERVISE_CASES)
    is_escrow_holder = vault.is_escrow_holder(user)
    rows = []
    for disclosure in case.disclosures.select_related("requested_by", "decided_by", "released_by"):
        status = disclosure.status
        rows.append(
            DisclosureRow(
                disclosure=disclosure,
                reason=_reason(keyring, disclosure),
                may_decide=is_supervisor
                and status == IdentityDisclosure.Status.REQUESTED
                and disclosure.requested_by_id != user.pk,
                may_release=is_escrow_holder and status == IdentityDisclosure.Status.APPROVED,
            )
        )
    return rows


def related_suggestions(user: StaffUser, case: Case, linked: set[Any]) -> list[Case]:
    """Return a few other cases about the same organisation that ``user`` may see and that are not linked."""
    if case.organisation_id is None:
        return []
    candidates = visible_cases(user).filter(organisation_id=case.organisation_id).exclude(pk__in={case.pk, *linked})
    # The page names each suggestion by number and kind only.
    return list(candidates.select_related(None).only("id", "number", "kind")[:RELATED_SUGGESTIONS])


def handling_panels(*, keyring: vault.Keyring, case: Case, thread: Thread) -> HandlingPanels:
    """Return the handling panels of ``case`` for the keyring's owner, who holds it (``AccessDenied`` if not)."""
    user = keyring.user
    assert isinstance(user, StaffUser)
    team = list(case.team.order_by("first_name", "last_name", "username"))
    # An anonymous report (``identity_given`` false: the intake sealed no identity) has no identity key to
    # hold and nothing to disclose: the vault is asked only about reports with an identity.
    disclosed = case.identity_given and vault.holds_identity(user=user, report_id=case.id)
    has_identity = case.kind == CaseKind.WBS and case.identity_given and vault.has_identity(report_id=case.id)
    # The page shows disclosure requests only with an identity to disclose (``_case_disclosure.html``): for an
    # anonymous report or a gratification report their reasons are neither read nor decrypted.
    disclosures = disclosure_rows(keyring=keyring, case=case) if has_identity else []
    open_mine = any(
        row.disclosure.requested_by_id == user.pk and row.disclosure.status in IdentityDisclosure.OPEN
        for row in disclosures
    )
    links = [LinkRow(link=link, other=link.other(case)) for link in links_of(case)]
    return HandlingPanels(
        case=case,
        lead=case.lead_officer,
        team=team,
        conflicted=list(case.conflicted_staff.order_by("username")),
        assignable=assignable_staff(case) if user.has_perm(SUPERVISE_CASES) else None,
        identity_exists=has_identity,
        identity_disclosed=disclosed,
        may_request_disclosure=has_identity and not disclosed and not open_mine,
        disclosures=disclosures,
        links=links,
        suggestions=related_suggestions(user, case, {row.other.pk for row in links}),
        timeline=case_timeline(keyring=keyring, case=case, thread=thread),
    )


def open_disclosed_identity(*, keyring: vault.Keyring, case: Case) -> list[ContentField]:
    """Return the reporter's identity fields, opened with the keyring's identity grant (audited by the vault).

    Raises the vault's ``AccessDenied`` when the identity was not disclosed to the keyring's owner.
    """
    import json

    identity = json.loads(vault.open_identity(access=keyring, report_id=case.id))
    return identity_fields(CaseKind(case.kind), identity)


@dataclass(frozen=True)
class PendingDisclosure:
    """A disclosure request on the console's disclosure list."""

    disclosure: IdentityDisclosure
    to_decide: bool
    to_release: bool


def pending_disclosures(user: StaffUser) -> list[PendingDisclosure]:
    """Return the open requests ``user`` should act on or follow: supervisors decide on others' requests of
    cases they hold, escrow holders release approved ones, everyone sees their own. Metadata only."""
    is_supervisor = user.has_perm(SUPERVISE_CASES)
    is_escrow_holder = vault.is_escrow_holder(user)
    held = vault.granted_report_ids(user=user)
    wanted = Q(requested_by=user)
    if is_supervisor:
        wanted |= Q(status=IdentityDisclosure.Status.REQUESTED, case_id__in=held)
    if is_escrow_holder:
        wanted |= Q(status=IdentityDisclosure.Status.APPROVED)
    rows = IdentityDisclosure.objects.filter(wanted, status__in=IdentityDisclosure.OPEN).select_related(
        "case", "requested_by", "decided_by"
    )
    return [
        PendingDisclosure(
            disclosure=row,
            to_decide=is_supervisor
            and row.status == IdentityDisclosure.Status.REQUESTED
            and row.requested_by_id != user.pk,
            to_release=is_escrow_holder and row.status == IdentityDisclosure.Status.APPROVED,
        )
        for row in rows.order_by("requested_at")
    ]


def hand_over_candidates() -> QuerySet[StaffUser]:
    """Return the staff whose cases may be handed over: everyone on a team, active or not, by name."""
    return StaffUser.objects.filter(team_cases__isnull=False).distinct().order_by("first_name", "last_name", "username")


def successors() -> QuerySet[StaffUser]:
    """Return the staff who may take cases over: active officers and supervisors with a vault key."""
    return case_key_holders().filter(officer_key__isnull=False)


def team_cases(user: StaffUser) -> QuerySet[Case]:
    """Return the cases ``user`` is on the team of (metadata only), oldest first."""
    return Case.objects.filter(team=user).select_related("lead_officer").order_by("received_at", "number")
