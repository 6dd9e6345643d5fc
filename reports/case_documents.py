"""Case content for the content kinds (dossier, kpk-forwarding, forwarding), opened with the officer's keyring.

Runs only inside the officer's own request (or the export command after password and TOTP): the keyring
never leaves the process, nothing here is stored, queued or logged. The reporter's sealed identity is never
opened (a WBS identity is disclosed only under the casework rule, a later issue); the document says whether
one was given. The vault records the unseal in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.selectors import case_aliases
from casework.cases import selectors as case_selectors
from casework.models import Case, CaseKind, StaffUser
from reports.audit_log import readable_events, reading_the_log
from reports.exceptions import ExportRefused, ReportInputError
from reports.periods import Period
from vault import services as vault
from vault.access import Keyring

# The parts an officer can choose for a forwarding package (besides each report field).
PART_MESSAGES = "messages"
PART_FILES = "files"
PART_TIMELINE = "timeline"
ALL_PARTS = "*"


@dataclass(frozen=True)
class DocField:
    """A report field as printed."""

    name: str
    label: str
    value: str
    long: bool


@dataclass(frozen=True)
class DocMessage:
    """A message of the thread as printed."""

    from_reporter: bool
    author: str
    created_at: datetime
    body: str


@dataclass(frozen=True)
class DocFile:
    """A file of the case, listed (never embedded)."""

    name: str
    size: int
    content_type: str
    metadata_removed: bool
    created_at: datetime


@dataclass(frozen=True)
class DocTimelineEntry:
    """An audited event of the case (no content): when, what, who."""

    at: datetime
    action: str
    actor: str


@dataclass
class CaseDocument:
    """One case opened for a PDF."""

    case: Case
    fields: list[DocField]
    messages: list[DocMessage]
    files: list[DocFile]
    timeline: list[DocTimelineEntry]
    identity_given: bool
    parts: list[str] = field(default_factory=list)


def find_case(number: str) -> Case:
    """Return the case with ``number``; raise ``ReportInputError`` when there is none."""
    case = Case.objects.filter(number=(number or "").strip()).first()
    if case is None:
        raise ReportInputError(_("There is no case %(number)s.") % {"number": number})
    return case


def require_holder(keyring: Keyring, case: Case) -> None:
    """Raise ``ExportRefused`` unless the keyring's owner holds the case key.

    A case its owner may not even list answers as one that does not exist (``ReportInputError``, the words of
    ``find_case``): a typed number must not tell an officer that a case kept from them exists (a report about
    them, say), now that numbers no longer count (outside probe, stop 29).
    """
    if not vault.holds_report(user=keyring.user, report_id=case.id):
        owner = keyring.user
        if not isinstance(owner, StaffUser) or not case_selectors.may_list(owner, case.number):
            raise ReportInputError(_("There is no case %(number)s.") % {"number": case.number})
        raise ExportRefused(
            _("You do not hold case %(number)s: only officers granted the case can export its content.")
            % {"number": case.number}
        )


def case_timeline(case: Case) -> list[DocTimelineEntry]:
    """Return the case's audited events, oldest first (actions and actors only; the log holds no content).

    Raises ``AuditLogAltered`` when one of them was altered or cannot be read.
    """
    with reading_the_log():
        aliases = case_aliases(case.number)  # reads the submission event's details
    events = readable_events(AuditEvent.objects.filter(case_ref__in=aliases).order_by("seq"))
    return [DocTimelineEntry(at=timezone.localtime(e.at), action=e.action_label, actor=e.actor_label) for e in events]


def _staff_name(user: object | None) -> str:
    if user is None:
        return _("automatic")
    full = getattr(user, "get_full_name", lambda: "")()
    return str(full or getattr(user, "username", ""))


def case_document(*, keyring: Keyring, case: Case, redact: Callable[[str], str] | None = None) -> CaseDocument:
    """Open ``case`` with ``keyring`` and return it ready to print, every text passed through ``redact``.

    Raises ``ExportRefused`` when the keyring's owner does not hold the case; the vault's ``AccessDenied``
    or ``CorruptCiphertext`` propagate for the caller to turn into a message.
    """
    require_holder(keyring, case)
    clean = redact or (lambda text: text)
    opened = case_selectors.open_case(keyring=keyring, case=case)
    return CaseDocument(
        case=case,
        fields=[DocField(f.name, f.label, clean(f.value), f.long) for f in opened.fields],
        messages=[
            DocMessage(
                from_reporter=m.from_reporter,
                author="" if m.from_reporter else _staff_name(m.author),
                created_at=timezone.localtime(m.created_at),
                body=clean(m.body),
            )
            for m in opened.messages
        ],
        files=[
            DocFile(
                name=clean(a.name),
                size=a.size,
                content_type=a.content_type,
                metadata_removed=a.metadata_removed,
                created_at=timezone.localtime(a.created_at),
            )
            for a in opened.attachments
        ],
        timeline=case_timeline(case),
        identity_given=opened.identity_given,
    )


def select_parts(document: CaseDocument, parts: list[str]) -> CaseDocument:
    """Keep only the chosen ``parts`` (report field names, ``messages``, ``files``, ``timeline``; ``*``: all)."""
    chosen = set(parts)
    if ALL_PARTS in chosen:
        chosen |= {f.name for f in document.fields} | {PART_MESSAGES, PART_FILES, PART_TIMELINE}
    return CaseDocument(
        case=document.case,
        fields=[f for f in document.fields if f.name in chosen],
        messages=document.messages if PART_MESSAGES in chosen else [],
        files=document.files if PART_FILES in chosen else [],
        timeline=document.timeline if PART_TIMELINE in chosen else [],
        identity_given=document.identity_given,
        parts=[p for p in parts if p],
    )


@dataclass(frozen=True)
class GratificationBatch:
    """The gratification reports of a period that an officer holds, opened, and how many they do not hold."""

    period: Period
    documents: list[CaseDocument]
    not_held: int


def gratification_batch(*, keyring: Keyring, period: Period) -> GratificationBatch:
    """Open every gratification report received in ``period`` that the keyring's owner holds."""
    cases = Case.objects.filter(
        kind=CaseKind.GRATIFICATION, received_at__gte=period.starts_at, received_at__lt=period.ends_before
    ).order_by("received_at", "number")
    held = set(vault.granted_report_ids(user=keyring.user))
    documents = [case_document(keyring=keyring, case=case) for case in cases if case.id in held]
    return GratificationBatch(period=period, documents=documents, not_held=sum(1 for c in cases if c.id not in held))
