"""Internal notes and links between related cases (issue 11.6): the writers.

A note is sealed under the case's data key with its own purpose (``note:<uuid>``), like a message, but it
is no message: the reporter's thread and the API read ``CaseMessage`` only, so a note never reaches them.
A link joins two cases both ways and is recorded on both cases' timelines.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases import sealed
from casework.cases.models import Case
from casework.cases.services import CaseActionRefused
from casework.handling.models import CaseLink, CaseNote
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault

MAX_NOTE = 10_000


def checked_text(text: str, *, limit: int, empty: str) -> str:
    """Return ``text`` stripped, or refuse it: empty, longer than ``limit``, or not encodable (lone surrogates)."""
    text = text.strip()
    if not text:
        raise CaseActionRefused(empty)
    if len(text) > limit:
        raise CaseActionRefused(_("The text is too long (at most %(limit)d characters).") % {"limit": limit})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CaseActionRefused(_("The text contains characters that cannot be stored.")) from None
    return text


@transaction.atomic
def case_add_note(*, case: Case, keyring: vault.Keyring, body: str) -> CaseNote:
    """Add an internal note by the keyring's officer, sealed under the case's key (audited, never the text).

    Raises ``CaseActionRefused`` for an empty, over-long or unstorable text and the vault's ``AccessDenied``
    when the keyring does not hold the case.
    """
    text = checked_text(body, limit=MAX_NOTE, empty=_("Write the note first."))
    author = keyring.user
    assert isinstance(author, StaffUser)
    note = CaseNote(case=case, author=author)
    note.body = sealed.seal_text(access=keyring, case=case, purpose=note.purpose, text=text)
    note.save()
    audit_record(action=Action.NOTE_ADDED, actor=author, case_ref=case.number, details={"note_id": str(note.id)})
    return note


def may_see(user: StaffUser, case: Case) -> bool:
    """Return True when ``user`` may see ``case`` at all: a supervisor (metadata), or someone who holds it."""
    return user.has_perm(SUPERVISE_CASES) or vault.holds_report(user=user, report_id=case.id)


def _pair(first: Case, second: Case) -> tuple[Case, Case]:
    return (first, second) if str(first.pk) < str(second.pk) else (second, first)


@transaction.atomic
def case_link(*, case: Case, other: Case, reason: str, linked_by: StaffUser) -> CaseLink:
    """Link two related cases both ways; the event is recorded on both cases.

    ``linked_by`` must hold ``case`` and be able to see ``other`` (hold it, or supervise). Refused for a case
    linked to itself, a link that exists, or an unknown reason.
    """
    if reason not in CaseLink.Reason.values:
        raise CaseActionRefused(_("Choose why the cases are related."))
    if case.pk == other.pk:
        raise CaseActionRefused(_("A case cannot be linked to itself."))
    if not vault.holds_report(user=linked_by, report_id=case.id) or not may_see(linked_by, other):
        raise CaseActionRefused(_("You can link only cases you can see."))
    first, second = _pair(case, other)
    if CaseLink.objects.filter(case_a=first, case_b=second).exists():
        raise CaseActionRefused(_("These cases are already linked."))
    link = CaseLink.objects.create(case_a=first, case_b=second, reason=reason, created_by=linked_by)
    for here, there in ((case, other), (other, case)):
        audit_record(
            action=Action.CASES_LINKED,
            actor=linked_by,
            case_ref=here.number,
            details={"other_case": there.number, "reason": reason},
        )
    return link


@transaction.atomic
def case_unlink(*, case: Case, link: CaseLink, unlinked_by: StaffUser) -> None:
    """Remove a link of ``case`` (``unlinked_by`` must hold it); recorded on both cases."""
    if case.pk not in (link.case_a_id, link.case_b_id):
        raise CaseActionRefused(_("This link does not belong to this case."))
    if not vault.holds_report(user=unlinked_by, report_id=case.id):
        raise CaseActionRefused(_("You can change only cases you hold."))
    other = link.other(case)
    link.delete()
    for here, there in ((case, other), (other, case)):
        audit_record(
            action=Action.CASES_UNLINKED, actor=unlinked_by, case_ref=here.number, details={"other_case": there.number}
        )


def links_of(case: Case) -> list[CaseLink]:
    """Return the links of ``case`` (either end), oldest first, with both cases' ids and numbers loaded (not
    their sealed content: the page shows a linked case's number only)."""
    return list(
        CaseLink.objects.filter(Q(case_a=case) | Q(case_b=case))
        .select_related("case_a", "case_b")
        .only("reason", "case_a", "case_b", "case_a__number", "case_b__number")
    )
