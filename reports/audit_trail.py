"""The audit-trail export: the events of a period or of one case, each with its inclusion proof.

Every event is proven against the checkpoint embedded in the same PDF (the latest, signed just before the
export), so a reader can check each event with the printed hashes and any RFC 9162 implementation, and the
checkpoint against today's log on /verify/. The events carry no report content (audit.services.record refuses
it), so this kind runs in the background like the recap.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import merkle
from audit.models import AuditEvent
from audit.selectors import as_hash, case_aliases, recomputed_leaf, stored_leaves
from casework.models import Case
from reports.audit_log import readable_events, reading_the_log
from reports.checkpoint import EmbeddedCheckpoint
from reports.exceptions import ReportInputError
from reports.periods import Period


@dataclass(frozen=True)
class TrailEvent:
    """One event as printed: who did what when, its leaf hash and its inclusion proof."""

    seq: int
    at: datetime
    actor: str
    action: str
    action_label: str
    case_ref: str
    details: str
    leaf_hash: str
    proof: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class AuditTrail:
    """The events of the export and what they were proven against."""

    period: Period | None
    case_ref: str
    events: list[TrailEvent]
    tree_size: int
    root_hash: str
    all_verified: bool

    def proofs_json(self) -> str:
        """Return every proof as JSON (attached to the PDF as inclusion-proofs.json)."""
        return json.dumps(
            {
                "format": "peluit-inclusion-proofs/1",
                "hashing": "RFC 6962 (SHA-256; leaf = 0x00 || leaf bytes, node = 0x01 || left || right)",
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "events": [
                    {"seq": e.seq, "leaf_index": e.seq - 1, "leaf_hash": e.leaf_hash, "proof": list(e.proof)}
                    for e in self.events
                ],
            },
            indent=1,
        )


def max_events() -> int:
    """Return the most events one audit-trail PDF may hold (``PELUIT_AUDIT_TRAIL_MAX_EVENTS``)."""
    return int(getattr(settings, "PELUIT_AUDIT_TRAIL_MAX_EVENTS", 2000))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_case_ref(case_ref: str) -> None:
    """Raise ``ReportInputError`` unless ``case_ref`` names a case or appears in the audit log."""
    if not case_ref:
        return
    if Case.objects.filter(number=case_ref).exists() or AuditEvent.objects.filter(case_ref=case_ref).exists():
        return
    raise ReportInputError(_("There is no case %(number)s.") % {"number": case_ref})


def _start_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def build_audit_trail(
    *, checkpoint: EmbeddedCheckpoint, period: Period | None = None, case_ref: str = ""
) -> AuditTrail:
    """Return the events of ``period`` (or of the case ``case_ref``) covered by ``checkpoint``, with proofs.

    Raises ``ReportInputError`` for an unknown case and when there are more events than one PDF may hold,
    ``AuditLogAltered`` when an event to print was altered or an event's hash cannot be read.
    """
    check_case_ref(case_ref)
    events = AuditEvent.objects.filter(seq__lte=checkpoint.tree_size)
    if case_ref:
        events = events.filter(case_ref__in=case_aliases(case_ref))
    if period is not None:
        events = events.filter(at_us__gte=_start_us(period.starts_at), at_us__lt=_start_us(period.ends_before))
    limit = max_events()
    count = events.count()
    if count > limit:
        raise ReportInputError(
            _(
                "The period holds %(count)s audit events; one PDF holds at most %(limit)s. Choose a shorter "
                "period or one case."
            )
            % {"count": count, "limit": limit}
        )
    with reading_the_log():  # a hash edited into text SQLite cannot read
        leaves = stored_leaves(checkpoint.tree_size)
    root = bytes.fromhex(checkpoint.root_hash_hex)
    cache = merkle.TreeCache(leaves) if leaves else None
    printed: list[TrailEvent] = []
    for event in readable_events(events.order_by("seq")):
        leaf = recomputed_leaf(event)
        proof: list[bytes] = []
        verified = False
        if cache is not None and len(leaves) == checkpoint.tree_size:
            proof = cache.inclusion_proof(event.seq - 1, checkpoint.tree_size)
            verified = leaf == as_hash(event.leaf_hash) and merkle.verify_inclusion(
                index=event.seq - 1, size=checkpoint.tree_size, leaf=leaf, proof=proof, root_hash=root
            )
        printed.append(
            TrailEvent(
                seq=event.seq,
                at=timezone.localtime(event.at),
                actor=event.actor_label,
                action=event.action,
                action_label=event.action_label,
                case_ref=event.case_ref,
                details=event.details if event.details != "{}" else "",
                leaf_hash=_b64(leaf),
                proof=tuple(_b64(h) for h in proof),
                verified=verified,
            )
        )
    return AuditTrail(
        period=period,
        case_ref=case_ref,
        events=printed,
        tree_size=checkpoint.tree_size,
        root_hash=_b64(root),
        all_verified=all(e.verified for e in printed),
    )
