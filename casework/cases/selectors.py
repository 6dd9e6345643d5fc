"""Reads for the console's case pages: who sees which case, queue rows, and a case opened for reading.

Lists show metadata only (number, kind, dates, status, counts); nothing sealed is opened for a list. Opening
content happens in ``open_case`` with the officer's keyring, which the vault audits once per request. Who
holds which case is the vault's to say (its ``CaseKey`` queries); who may see what is a permission.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from casework.cases import sealed
from casework.cases.content import ContentField, content_fields
from casework.cases.models import (
    Case,
    CaseKind,
    CaseMessage,
    CaseStatus,
    Channel,
    GiftType,
    PublicStatus,
    ViolationType,
)
from casework.cases.threads import Reader, Thread, ThreadView, open_thread
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import case_key_holders
from vault import services as vault
from vault.permissions import may_hold_case_keys

HOME_ROWS = 10


@dataclass(frozen=True)
class CaseRow:
    """One case in a list: metadata only, with its labels already in the reader's language."""

    case: Case
    unread: int
    due_on: date | None
    kind_label: str = ""
    status_label: str = ""
    public_status_label: str = ""
    type_label: str = ""  # the violation type (WBS) or the gift type (gratification)
    channel_label: str = ""
    overdue: bool = False
    url: str = ""
    received: str = ""  # dd-mm-yyyy hh:mm, Asia/Jakarta
    due: str = ""  # dd-mm-yyyy


_NUMBER_SLOT = "NUMBER-SLOT"


def _labels(*choices: Any) -> dict[str, str]:
    """Return value -> label, translated once (``get_FOO_display`` would hash every lazy label, per row)."""
    return {str(value): str(label) for group in choices for value, label in group}


def holds_case(user: StaffUser, case: Case) -> bool:
    """Return True when ``user`` holds the case's data key (granted, not revoked)."""
    return vault.holds_report(user=user, report_id=case.id)


# The columns a list row shows (and sorts and filters by); the sealed ``content`` is never among them.
LIST_COLUMNS = (
    "id",
    "number",
    "kind",
    "status",
    "received_at",
    "violation_type",
    "gift_type",
    "is_refusal",
    "identity_given",
    "channel",
    "public_status",
    "due_on",
    "organisation__name",
)


def listed_columns() -> QuerySet[Case]:
    """Return every case with only the columns a list row shows (never the sealed content); no one's view.

    Callers narrow it to what a staff member may list (``visible_cases``, or the queue's own-assignments
    subquery, which checks the holder itself).
    """
    return Case.objects.select_related("organisation").only(*LIST_COLUMNS)


def visible_cases(user: StaffUser, *, kind: str = "", status: str = "") -> QuerySet[Case]:
    """Return the cases ``user`` may list, newest first, without the sealed content.

    Supervisors: every case; officers: the cases whose key they hold (one subquery); staff who may not hold
    case keys (auditors, administrators): none. Unread counts come per page (``case_rows``), never as a
    count over every case. ``casework.cases.queue`` adds the queue's filters and orders.
    """
    if not may_hold_case_keys(user):
        return Case.objects.none()
    cases = listed_columns()
    if not user.has_perm(SUPERVISE_CASES):
        cases = cases.filter(id__in=vault.granted_report_ids(user=user))
    if kind:
        cases = cases.filter(kind=kind)
    if status:
        cases = cases.filter(status=status)
    return cases.order_by("-received_at", "-number")


def may_list(user: StaffUser, number: str) -> bool:
    """Return True when ``user`` may list the case numbered ``number`` (``visible_cases``).

    A case one may not list answers wherever a number is typed as one that does not exist: numbers no longer
    count, so "not yours" beside "no such case" would tell that a case kept from someone exists.
    """
    return visible_cases(user).filter(number=number).exists()


def unread_counts(case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return, for the given cases only, how many reporter messages no staff member has read (one query)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = (
        CaseMessage.objects.filter(case_id__in=ids, sender=CaseMessage.Sender.REPORTER, read_by_staff=False)
        .values("case_id")
        .annotate(unread=Count("id"))
        .values_list("case_id", "unread")
    )
    return dict(rows)


def queue_due_date(case: Case) -> date | None:
    """Return the earliest due date of the case's running clocks (``Case.due_on``, kept by the lifecycle)."""
    return case.due_on


def case_rows(cases: Iterable[Case]) -> list[CaseRow]:
    """Return list rows for already-sliced ``cases`` (from ``visible_cases``); unread counts cost one query."""
    listed = list(cases)
    unread = unread_counts(case.pk for case in listed)
    kinds, statuses = _labels(CaseKind.choices), _labels(CaseStatus.choices)
    public, types = _labels(PublicStatus.choices), _labels(ViolationType.choices, GiftType.choices)
    channels = _labels(Channel.choices)
    today = timezone.localdate()
    # One reverse() for the page: the case number is the only part that changes (50 reverses cost ~10 ms).
    url = reverse("console:case_detail", args=[_NUMBER_SLOT])
    rows = []
    for case in listed:
        due_on = queue_due_date(case)
        rows.append(
            CaseRow(
                case=case,
                unread=unread.get(case.pk, 0),
                due_on=due_on,
                kind_label=kinds.get(case.kind, case.kind),
                status_label=statuses.get(case.status, case.status),
                public_status_label=public.get(str(case.public_status), ""),
                type_label=types.get(case.violation_type or case.gift_type, ""),
                channel_label=channels.get(case.channel, case.channel),
                overdue=due_on is not None and today > due_on,
                url=url.replace(_NUMBER_SLOT, case.number),
                received=timezone.localtime(case.received_at).strftime("%d-%m-%Y %H:%M"),
                due=due_on.strftime("%d-%m-%Y") if due_on else "",
            )
        )
    return rows


def home_cases(user: StaffUser) -> dict[str, Any]:
    """Return what the console home page shows about cases: the first rows and the escrow warning."""
    context: dict[str, Any] = {}
    if may_hold_case_keys(user):
        cases = visible_cases(user)
        context["case_rows"] = case_rows(cases[:HOME_ROWS])
        context["case_total"] = cases.count()
    if vault.is_escrow_holder(user):
        context["escrow_status"] = vault.escrow_status()
    return context


# --- One case, opened --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenedCase(ThreadView):
    """Everything the case page shows to an officer who holds the case (``messages``, ``attachments``, ...)."""

    case: Case
    fields: list[ContentField]
    thread: Thread
    identity_given: bool


def open_case(*, keyring: vault.Keyring, case: Case) -> OpenedCase:
    """Open the case content, messages and file names with ``keyring``. Writes nothing but the vault's audit.

    The page that shows it marks the reporter's messages read (``services.mark_thread_read``). Raises the
    vault's ``AccessDenied`` when the keyring does not hold the case and ``CorruptCiphertext`` when something
    sealed was changed. The vault records one ``REPORT_UNSEALED`` event for the request.
    """
    content = sealed.open_content(access=keyring, case=case)
    return OpenedCase(
        case=case,
        fields=content_fields(CaseKind(case.kind), content),
        thread=open_thread(access=keyring, case=case, reader=Reader.STAFF),
        identity_given=case.identity_given,
    )


def grant_candidates(case: Case) -> QuerySet[StaffUser]:
    """Return the staff a case may be granted to: active officers and supervisors with a vault key who do not
    hold it yet, whom the reporter did not exclude and who declared no conflict of interest in it."""
    return assignable_staff(case).exclude(pk__in=vault.holder_ids(report_id=case.id))


def assignable_staff(case: Case) -> QuerySet[StaffUser]:
    """Return the staff who may receive the case's key: active officers and supervisors with a vault key,
    neither excluded by the reporter nor in conflict of interest; by name."""
    return (
        case_key_holders()
        .filter(officer_key__isnull=False)
        .exclude(pk__in=case.excluded_recipients.values_list("pk", flat=True))
        .exclude(pk__in=case.conflicted_staff.values_list("pk", flat=True))
    )


def case_holders(case: Case) -> QuerySet[StaffUser]:
    """Return the staff who hold the case's data key, by name."""
    return StaffUser.objects.filter(pk__in=vault.holder_ids(report_id=case.id)).order_by(
        "first_name", "last_name", "username"
    )


def staff_label(user: StaffUser) -> str:
    """Return how a staff member is named in the console: full name and username."""
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username
