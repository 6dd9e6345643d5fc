"""One timeline per case (issue 11.6): what happened to it, in order, from the audit log, the messages and the
internal notes.

Everything that changes a case writes an audit event whose ``case_ref`` is the case number (or, for what
happens before the number exists, its report id), so status changes, clocks, grants, assignments,
disclosures and links appear here without this module knowing them: an action it has no words for is shown
with the audit log's label and its details. Messages and notes appear with their text (opened with the
keyring, in the same request as the rest of the case page); the audit events that only say "a message was
sent" or "a note was added" are left out, as are the routine "report unsealed" events of staff reading the
case (opening the reporter's identity is kept: it is a disclosure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import OperationalError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import Action
from audit.db import is_undecodable_text
from audit.models import AuditEvent
from casework.cases import sealed
from casework.cases.models import Case
from casework.cases.threads import Thread
from casework.handling.models import CaseNote
from vault import services as vault

# At most this many audit events on one page (the newest); the auditor's log holds them all.
MAX_EVENTS = 500
# Events shown through their own entry (the message or note itself) or too routine to show.
_HIDDEN_ACTIONS = (Action.INSPECTORATE_MESSAGE, Action.REPORTER_MESSAGE, Action.NOTE_ADDED)
# Words for the detail keys the console's own events use; other keys are shown as they are.
DETAIL_LABELS = {
    "officer": gettext_lazy("staff member"),
    "role": gettext_lazy("role"),
    "key": gettext_lazy("key given"),
    "via": gettext_lazy("via"),
    "scope": gettext_lazy("scope"),
    "reason": gettext_lazy("reason"),
    "other_case": gettext_lazy("other case"),
    "from_officer": gettext_lazy("from"),
    "to_officer": gettext_lazy("to"),
    "requested_by": gettext_lazy("requested by"),
    "keys_removed": gettext_lazy("keys removed"),
}
# The sort key of an entry without a time: before every entry that has one.
_EARLIEST = datetime.min.replace(tzinfo=UTC)
# Detail keys that say nothing to a reader of the case (ids of rows, counters).
_QUIET_DETAILS = frozenset({"disclosure_id", "note_id", "message_id", "report_id", "count_in_window", "route"})


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: an audit event, a message or a note.

    ``altered`` marks an audit event edited behind the log's back (its title says so); only such an entry may
    have no time (``at`` None).
    """

    at: datetime | None
    kind: str  # "event", "message" or "note"
    actor: str
    title: str
    text: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    altered: bool = False


def _event_entry(event: AuditEvent) -> TimelineEntry:
    if event.altered:
        # Someone edited the row behind the log's back (a time beyond any date, text where a number belongs):
        # none of its values is shown, as on the auditor's pages; audit_verify names the change.
        title = _("not readable: the event was altered (run audit_verify)")
        return TimelineEntry(at=event.shown_at, kind="event", actor="", title=title, altered=True)
    details = [
        (str(DETAIL_LABELS.get(key, key)), str(value))
        for key, value in sorted(event.details_dict.items())
        if key not in _QUIET_DETAILS
    ]
    title = event.action_label
    if event.action == Action.REPORT_UNSEALED:
        title = _("Reporter's identity opened")
        details = []
    return TimelineEntry(at=event.at, kind="event", actor=event.actor_label, title=title, details=details)


# The details (canonical JSON: sorted keys, no spaces, ``audit.chain``) of an unseal that opened the identity.
_IDENTITY_SCOPE = '"scope":"identity"'


def case_events(case: Case) -> list[AuditEvent]:
    """Return the case's audit events for the timeline (newest ``MAX_EVENTS``), oldest first."""
    events = (
        # The log names the case by its number, and by its report id (the case's id) for what happened before
        # the number existed: both are known here, so ``audit.selectors.case_aliases`` need not look them up.
        AuditEvent.objects.filter(case_ref__in=[case.number, str(case.id)])
        .exclude(action__in=[action.value for action in _HIDDEN_ACTIONS])
        # Every reading of the case adds a routine unseal event: left out by the database, not read and
        # dropped here one by one (a case opened a thousand times made its page read a thousand events).
        .exclude(Q(action=Action.REPORT_UNSEALED.value) & ~Q(details__contains=_IDENTITY_SCOPE))
        .order_by("-seq")
        # What an entry shows and ``AuditEvent.altered`` checks (not the hashes that chain the log).
        .only("seq", "salt", "at_us", "actor_kind", "actor_staff", "actor_username", "action", "case_ref", "details")
    )
    # A plain slice: with the routine events left out by the database, the newest ``MAX_EVENTS`` rows are the
    # ones shown (no server-side cursor, which PostgreSQL outside a transaction declares WITH HOLD: more round
    # trips and the whole result copied first).
    return list(events[:MAX_EVENTS])[::-1]


def case_timeline(*, keyring: vault.Keyring, case: Case, thread: Thread) -> list[TimelineEntry]:
    """Return the case's timeline, oldest first: its audit events, the messages of ``thread`` and the notes.

    ``thread`` is the case's thread already opened for staff in this request; notes are opened with
    ``keyring`` (the vault's ``AccessDenied`` when it does not hold the case). Writes nothing but the vault's
    unseal event, once per request.

    Audit events edited behind the log's back are shown as not readable; when SQLite cannot read them at all
    (text that is not UTF-8), one entry says so and the messages and notes are still shown.
    """
    try:
        entries = [_event_entry(event) for event in case_events(case)]
    except OperationalError as error:
        if not is_undecodable_text(error):
            raise  # the database is unavailable: the usual 503
        title = _(
            "The audit log was altered: this case's events cannot be read. "
            "Run manage.py audit_verify to find every change."
        )
        entries = [TimelineEntry(at=None, kind="event", actor="", title=title, altered=True)]
    for message in thread.messages:
        actor = message.sender
        if message.author is not None:
            actor = f"{message.sender} ({message.author.get_full_name() or message.author.username})"
        title = _("Message from the reporter") if message.from_reporter else _("Message to the reporter")
        entries.append(
            TimelineEntry(at=message.created_at, kind="message", actor=actor, title=title, text=message.body)
        )
    for note in CaseNote.objects.filter(case=case).select_related("author"):
        entries.append(
            TimelineEntry(
                at=note.created_at,
                kind="note",
                actor=note.author.get_full_name() or note.author.username,
                title=_("Internal note"),
                text=sealed.open_text(access=keyring, case_id=case.id, purpose=note.purpose, ciphertext=note.body),
            )
        )
    kinds = {"event": 0, "message": 1, "note": 2}
    # An entry without a time (an altered event) has no place in time: it comes first, where it is seen.
    return sorted(entries, key=lambda entry: (entry.at or _EARLIEST, kinds[entry.kind]))
