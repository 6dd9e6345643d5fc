"""Reads for the console's case pages: who sees which case, queue rows, and a case opened for reading.

Lists show metadata only (number, kind, dates, status, counts); nothing sealed is opened for a list. Opening
content happens in ``open_case`` with the officer's keyring, which the vault audits once per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from casework import sealed
from casework.case_content import ContentField, content_fields
from casework.deadlines import due_date
from casework.models import Case, CaseKind, CaseMessage, StaffUser
from casework.roles import CASE_READERS, Role, can_hold_case_keys, has_role
from vault import services as vault
from vault.models import CaseKey

# The first clock of each kind, shown as the due date in the queue (DOMAIN.md §4): a WBS report without
# supervisory content must be answered within 14 working days; the UPG forwards a gratification report
# to the KPK within 10 working days.
QUEUE_DEADLINE = {CaseKind.WBS: "ADUAN_TIDAK_BERKADAR", CaseKind.GRATIFICATION: "GRAT_UPG_TERUSKAN"}
HOME_ROWS = 10


@dataclass(frozen=True)
class CaseRow:
    """One case in a list: metadata only."""

    case: Case
    unread: int
    due_on: date | None

    @property
    def overdue(self) -> bool:
        """True when the queue deadline has passed (today, Asia/Jakarta, is after the due date)."""
        return self.due_on is not None and timezone.localdate() > self.due_on


def granted_report_ids(user: StaffUser) -> QuerySet[CaseKey, uuid.UUID]:
    """Return (as a subquery) the ids of the reports whose data key is sealed to ``user``."""
    return CaseKey.objects.filter(officer=user, scope=CaseKey.Scope.DATA).values_list("report_id", flat=True)


def holds_case(user: StaffUser, case: Case) -> bool:
    """Return True when ``user`` holds the case's data key (granted, not revoked)."""
    return (
        can_hold_case_keys(user)
        and CaseKey.objects.filter(officer=user, scope=CaseKey.Scope.DATA, report_id=case.id).exists()
    )


def visible_cases(user: StaffUser, *, kind: str = "", status: str = "") -> QuerySet[Case]:
    """Return the cases ``user`` may list, newest first: supervisors every case, officers the ones they hold.

    Other roles get nothing. Each case carries ``unread`` (reporter messages no staff member has read yet).
    """
    cases = Case.objects.all()
    if has_role(user, Role.SUPERVISOR):
        pass
    elif has_role(user, Role.OFFICER):
        cases = cases.filter(id__in=granted_report_ids(user))
    else:
        return Case.objects.none()
    if kind:
        cases = cases.filter(kind=kind)
    if status:
        cases = cases.filter(status=status)
    unread = Count(
        "messages",
        filter=Q(messages__sender=CaseMessage.Sender.REPORTER, messages__read_by_staff=False),
    )
    return cases.annotate(unread=unread).order_by("-received_at", "-number")


def queue_due_date(case: Case) -> date | None:
    """Return the due date of the case's first deadline, counted from the day of receipt (Asia/Jakarta)."""
    code = QUEUE_DEADLINE.get(CaseKind(case.kind)) if case.kind in CaseKind.values else None
    if code is None:
        return None
    return due_date(code, start=timezone.localdate(case.received_at))


def case_rows(cases: Any) -> list[CaseRow]:
    """Return list rows for already-sliced ``cases`` (from ``visible_cases``)."""
    return [CaseRow(case=case, unread=int(getattr(case, "unread", 0)), due_on=queue_due_date(case)) for case in cases]


def home_cases(user: StaffUser) -> dict[str, Any]:
    """Return what the console home page shows about cases: the first rows and the escrow warning."""
    context: dict[str, Any] = {}
    if can_hold_case_keys(user):
        cases = visible_cases(user)
        context["case_rows"] = case_rows(cases[:HOME_ROWS])
        context["case_total"] = cases.count()
    if vault.is_escrow_holder(user):
        context["escrow_status"] = vault.escrow_status()
    return context


# --- One case, opened --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageItem:
    """A message in the thread; ``author`` (staff only) names who wrote an Inspektorat message."""

    id: uuid.UUID
    from_reporter: bool
    author: StaffUser | None
    created_at: datetime
    body: str
    unread: bool


@dataclass(frozen=True)
class AttachmentItem:
    """A file on the case: the unsealed original name and its metadata."""

    id: uuid.UUID
    name: str
    size: int
    content_type: str
    metadata_removed: bool
    created_at: datetime


@dataclass(frozen=True)
class OpenedCase:
    """Everything the case page shows to an officer who holds the case."""

    case: Case
    fields: list[ContentField]
    messages: list[MessageItem]
    attachments: list[AttachmentItem]
    identity_given: bool


def open_case(*, keyring: Any, case: Case, mark_read: bool = True) -> OpenedCase:
    """Open the case content, messages and file names with ``keyring``; mark reporter messages read.

    Raises the vault's ``AccessDenied`` when the keyring does not hold the case and ``CorruptCiphertext``
    when something sealed was changed. The vault records one ``REPORT_UNSEALED`` event for the request.
    """
    content = sealed.open_content(access=keyring, case=case)
    messages = []
    unread_ids = []
    for message in case.messages.select_related("author"):
        from_reporter = message.sender == CaseMessage.Sender.REPORTER
        unread = from_reporter and not message.read_by_staff
        if unread:
            unread_ids.append(message.pk)
        messages.append(
            MessageItem(
                id=message.id,
                from_reporter=from_reporter,
                author=message.author,
                created_at=message.created_at,
                body=sealed.open_message(access=keyring, message=message),
                unread=unread,
            )
        )
    attachments = []
    for item in case.attachments.all():
        meta = sealed.open_attachment_meta(access=keyring, attachment=item)
        attachments.append(
            AttachmentItem(
                id=item.id,
                name=meta.name,
                size=meta.size,
                content_type=meta.content_type,
                metadata_removed=item.metadata_removed,
                created_at=item.created_at,
            )
        )
    if mark_read and unread_ids:
        CaseMessage.objects.filter(pk__in=unread_ids).update(read_by_staff=True)
    return OpenedCase(
        case=case,
        fields=content_fields(CaseKind(case.kind), content),
        messages=messages,
        attachments=attachments,
        identity_given=case.identity_given,
    )


def grant_candidates(case: Case) -> QuerySet[StaffUser]:
    """Return the staff a case may be granted to: active officers and supervisors with a vault key who do not
    hold it yet and whom the reporter did not exclude."""
    return (
        StaffUser.objects.filter(is_active=True, role__in=list(CASE_READERS), officer_key__isnull=False)
        .exclude(
            pk__in=CaseKey.objects.filter(
                report_id=case.id, scope=CaseKey.Scope.DATA, officer__isnull=False
            ).values_list("officer_id", flat=True)
        )
        .exclude(pk__in=case.excluded_recipients.values_list("pk", flat=True))
        .order_by("first_name", "last_name", "username")
    )


def case_holders(case: Case) -> QuerySet[StaffUser]:
    """Return the staff who hold the case's data key, by name."""
    return StaffUser.objects.filter(
        pk__in=CaseKey.objects.filter(report_id=case.id, scope=CaseKey.Scope.DATA, officer__isnull=False).values_list(
            "officer_id", flat=True
        )
    ).order_by("first_name", "last_name", "username")


def staff_label(user: StaffUser) -> str:
    """Return how a staff member is named in the console: full name and username."""
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username
