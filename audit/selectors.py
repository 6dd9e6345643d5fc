"""Reads of the audit log for the auditor view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import BinaryField, Case, CharField, F, Func, QuerySet, Value, When
from django.db.models.lookups import Exact
from django.utils import timezone

from audit import chain, merkle
from audit.actions import Action
from audit.models import ActorKind, AuditCheckpoint, AuditEvent


def _stored(column: str, *, using: str = "default") -> F | Case:
    """The hash ``column`` as stored; in SQLite, NULL where an edited cell holds something other than a BLOB.

    SQLite keeps whatever is written into a column, and a TEXT value that is not UTF-8 cannot even be read. The
    auditor's pages and the proofs served to witnesses must still answer: a missing hash fails to verify.
    """
    if connections[using].vendor != "sqlite":
        return F(column)
    kind = Func(F(column), function="typeof", output_field=CharField())
    return Case(When(Exact(kind, Value("blob")), then=F(column)), default=None, output_field=BinaryField())


def as_hash(value: object) -> bytes:
    """Return a stored hash cell as bytes; anything else (NULL, or text an edit left in SQLite) as no bytes.

    No hash is empty, so an unreadable one never verifies.
    """
    return bytes(value) if isinstance(value, bytes | memoryview) else b""


def stored_leaves(tree_size: int) -> list[bytes]:
    """Return the stored leaf hashes of events 1 to ``tree_size`` in order, each read as ``as_hash`` reads it.

    Fewer than ``tree_size`` when events were deleted. One pass, about a second per million events.
    """
    return [
        as_hash(h)
        for h in AuditEvent.objects.filter(seq__lte=tree_size)
        .order_by("seq")
        .values_list(_stored("leaf_hash"), flat=True)
        .iterator(chunk_size=20_000)
    ]


def _start_of_day_us(day: date) -> int:
    moment = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return int(moment.timestamp() * 1_000_000)


def events_filtered(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    actor: str = "",
    action: str = "",
    case_ref: str = "",
) -> QuerySet[AuditEvent]:
    """Return events matching the filters, newest first.

    ``date_from``/``date_to`` are inclusive days in the site's time zone; ``actor`` is ``staff:<id>``,
    ``reporter`` or ``system``; ``case_ref`` matches exactly.
    """
    events = AuditEvent.objects.defer("leaf_hash", "chain_hash")  # the list shows no hashes
    if date_from is not None:
        events = events.filter(at_us__gte=_start_of_day_us(date_from))
    if date_to is not None:
        events = events.filter(at_us__lt=_start_of_day_us(date_to + timedelta(days=1)))
    if actor.startswith("staff:"):
        events = events.filter(actor_kind=ActorKind.STAFF, actor_staff_id=int(actor.removeprefix("staff:")))
    elif actor in (ActorKind.REPORTER, ActorKind.SYSTEM):
        events = events.filter(actor_kind=actor)
    if action:
        events = events.filter(action=action)
    if case_ref:
        events = events.filter(case_ref__in=case_aliases(case_ref))
    return events.order_by("-seq")


def case_aliases(case_ref: str) -> set[str]:
    """Return ``case_ref`` with the other name the log knows the same case by.

    A report is sealed (and granted to its first readers) before its case number is allocated, so those
    events name the report id; the submission event names the number and records the report id in its
    details, which links the two.
    """
    aliases = {case_ref}
    submitted = AuditEvent.objects.filter(action=Action.REPORT_SUBMITTED)
    for event in submitted.filter(case_ref=case_ref).only("details"):
        report_id = event.details_dict.get("report_id")
        if isinstance(report_id, str) and report_id:
            aliases.add(report_id)
    if not _is_report_id(case_ref):
        # A case number: no event records it as a report id, and looking would read every submission's
        # details (one per case: the case page's slowest query at 100,000 cases).
        return aliases
    for event in submitted.filter(details__contains=f'"report_id":"{case_ref}"').only("case_ref"):
        if event.details_dict.get("report_id") == case_ref and event.case_ref:
            aliases.add(event.case_ref)
    return aliases


def _is_report_id(value: str) -> bool:
    """True when ``value`` is written like a report id (a UUID), which submission events record."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def staff_actors() -> list[tuple[int, str]]:
    """Return (staff id, username) for every staff member that appears in the log, by username."""
    pairs = (
        AuditEvent.objects.filter(actor_kind=ActorKind.STAFF)
        .values_list("actor_staff_id", "actor_username")
        .distinct()
        .order_by("actor_username")
    )
    # In SQLite an edited cell can hold text where the id belongs: no actor to filter by (audit_verify names it).
    return [(staff_id, str(name)) for staff_id, name in pairs if isinstance(staff_id, int)]


@dataclass(frozen=True)
class EventProof:
    """An event's recomputed leaf hash and its inclusion proof against a signed checkpoint."""

    leaf_hash: bytes
    content_matches: bool
    checkpoint: AuditCheckpoint | None
    proof: tuple[bytes, ...] = ()
    verified: bool = False


def recomputed_leaf(event: AuditEvent) -> bytes:
    """Return the leaf hash recomputed from the event's columns."""
    return chain.leaf_hash(
        chain.event_bytes(
            salt=event.salt,
            seq=event.seq,
            at_us=event.at_us,
            actor_kind=event.actor_kind,
            actor_staff_id=event.actor_staff_id,
            actor_username=event.actor_username,
            action=event.action,
            case_ref=event.case_ref,
            details=event.details,
        )
    )


def event_with_hashes(seq: int) -> AuditEvent | None:
    """Return event ``seq`` with its stored hashes as ``stored_leaf_hash`` and ``stored_chain_hash``.

    Either is None where an edited cell holds no hash; the hash columns themselves are not read (see ``_stored``).
    """
    return (
        AuditEvent.objects.defer("leaf_hash", "chain_hash")
        .annotate(stored_leaf_hash=_stored("leaf_hash"), stored_chain_hash=_stored("chain_hash"))
        .filter(seq=seq)
        .first()
    )


def event_proof(event: AuditEvent) -> EventProof:
    """Return the inclusion proof of ``event`` (from ``event_with_hashes``) in the latest checkpoint that covers
    it, verified.

    Reads every leaf hash up to the checkpoint's size (one pass; about a second per million events).
    """
    leaf = recomputed_leaf(event)
    # From ``event_with_hashes`` the stored hash comes read safely; another event carries its own column.
    stored = event.stored_leaf_hash if hasattr(event, "stored_leaf_hash") else event.leaf_hash
    matches = leaf == as_hash(stored)
    # The root hash is read safely and the note not at all: an edited checkpoint row fails the proof, not the page.
    checkpoint = (
        AuditCheckpoint.objects.only("pk", "tree_size")
        .annotate(stored_root_hash=_stored("root_hash"))
        .filter(tree_size__gte=event.seq)
        .order_by("-tree_size")
        .first()
    )
    if checkpoint is None:
        return EventProof(leaf_hash=leaf, content_matches=matches, checkpoint=None)
    if not isinstance(checkpoint.tree_size, int):  # an edited row (SQLite): no tree to prove the event in
        return EventProof(leaf_hash=leaf, content_matches=matches, checkpoint=checkpoint)
    leaves = stored_leaves(checkpoint.tree_size)
    if len(leaves) != checkpoint.tree_size:
        return EventProof(leaf_hash=leaf, content_matches=matches, checkpoint=checkpoint)
    proof = merkle.inclusion_proof(event.seq - 1, leaves)
    verified = merkle.verify_inclusion(
        index=event.seq - 1,
        size=checkpoint.tree_size,
        leaf=leaf,
        proof=proof,
        root_hash=as_hash(checkpoint.stored_root_hash),
    )
    return EventProof(
        leaf_hash=leaf, content_matches=matches, checkpoint=checkpoint, proof=tuple(proof), verified=verified
    )


class ProofDoesNotVerify(Exception):
    """The proof made from the stored leaves does not lead to the signed root: the log was altered."""


def checked_consistency_proof(*, old_size: int, new_size: int, signed_root: bytes) -> list[bytes]:
    """Return the consistency proof from ``old_size`` to ``new_size`` once it verifies against ``signed_root``.

    The proof is made from the stored leaf hashes, which someone with the database can edit; a proof served (and
    cached) must lead from the root of the stored leaves 1 to ``old_size`` to the root the checkpoint of
    ``new_size`` signed (RFC 9162 section 2.1.4.2, ``merkle.verify_consistency``). One streaming pass over the
    leaves 1 to ``new_size`` builds the old tree's root and the proof's subtree roots together, keeping O(log n)
    hashes; none when ``old_size`` is 0 (the empty proof, nothing to check).

    Raises ``merkle.ProofError`` when an event of 1 to ``new_size`` is missing from the table (or its seq was
    edited), ``ProofDoesNotVerify`` when the proof does not verify.
    """
    ranges = merkle.consistency_subtrees(old_size, new_size)
    if old_size == 0:
        return []
    by_start = sorted(range(len(ranges)), key=lambda i: ranges[i][0])  # disjoint ranges, in leaf order
    builders = [merkle.RootBuilder() for _ in ranges]
    old_tree = merkle.RootBuilder()
    rows = (
        AuditEvent.objects.filter(seq__lte=new_size)
        .order_by("seq")
        .values_list("seq", _stored("leaf_hash"))
        .iterator(chunk_size=20_000)
    )
    index, at = 0, 0  # the next leaf index; the position in ``by_start`` of the first range not yet passed
    for seq, stored in rows:
        if not isinstance(seq, int) or seq != index + 1:
            raise merkle.ProofError(f"event #{index + 1} is missing from the log")
        leaf = as_hash(stored)
        if index < old_size:
            old_tree.append(leaf)
        while at < len(by_start) and ranges[by_start[at]][1] <= index:
            at += 1
        if at < len(by_start) and ranges[by_start[at]][0] <= index:
            builders[by_start[at]].append(leaf)
        index += 1
    if index != new_size:
        raise merkle.ProofError(f"the log has {index} of the events #1 to #{new_size}")
    proof = [builder.root() for builder in builders]
    if not merkle.verify_consistency(
        old_size=old_size, new_size=new_size, old_root=old_tree.root(), new_root=signed_root, proof=proof
    ):
        raise ProofDoesNotVerify
    return proof
