"""Writers of the audit log. ``record`` is the only way an event gets into it.

Callers import it as ``from audit.services import record as audit_record`` and call it inside their own
``transaction.atomic()`` block, so the event and the change it describes commit (or roll back) together.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from audit import chain, clock
from audit.actions import Action
from audit.db import lock_writers, undecodable_text_raises
from audit.exceptions import AuditError, AuditTailAltered
from audit.inserts import insert_rows, new_row
from audit.models import ActorKind, AuditEvent

DetailValue = str | int | bool | None

MAX_DETAILS = 16
MAX_DETAIL_LENGTH = 200
_DETAIL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_CASE_REF = re.compile(r"^[A-Za-z0-9._:/-]{0,64}$")
# Keys that would invite exactly what the log must never hold.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {
        "ip",
        "ip_address",
        "remote_addr",
        "client_ip",
        "x_forwarded_for",
        "forwarded",
        "user_agent",
        "receipt",
        "identity",
        "name_of_reporter",
        "reporter_name",
        "reporter_email",
        "reporter_phone",
        "text",
        "body",
        "content",
        "message",
        "subject",
        "description",
        "password",
        "secret",
        "token",
    }
)
_RECEIPT_LIKE = re.compile(r"^[\d\s-]{16,23}$")


def _check_detail(key: str, value: object) -> None:
    if not isinstance(key, str) or not _DETAIL_KEY.match(key):
        raise AuditError(f"audit detail key {key!r} must be lower_snake_case ASCII")
    if key in FORBIDDEN_DETAIL_KEYS:
        raise AuditError(f"audit detail key {key!r} is forbidden: the log never holds content or identifiers")
    if value is None or isinstance(value, bool | int):
        return
    if not isinstance(value, str):
        raise AuditError(f"audit detail {key!r} must be a str, int, bool or None")
    if len(value) > MAX_DETAIL_LENGTH or "\n" in value:
        raise AuditError(f"audit detail {key!r} must be one short line (at most {MAX_DETAIL_LENGTH} characters)")
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        pass
    else:
        raise AuditError(f"audit detail {key!r} looks like an IP address; the log never holds them")
    if _RECEIPT_LIKE.match(value) and sum(ch.isdigit() for ch in value) == 16:
        raise AuditError(f"audit detail {key!r} looks like a receipt; the log never holds them")


def _actor_fields(actor: AbstractBaseUser | str) -> tuple[str, int | None, str]:
    if isinstance(actor, str):
        if actor == ActorKind.REPORTER:
            return ActorKind.REPORTER.value, None, ""
        if actor == ActorKind.SYSTEM:
            return ActorKind.SYSTEM.value, None, ""
        raise AuditError(f"actor must be a staff member, 'reporter' or 'system', not {actor!r}")
    if not isinstance(actor, get_user_model()) or actor.pk is None:
        raise AuditError("actor must be a saved staff member, 'reporter' or 'system'")
    return ActorKind.STAFF.value, int(actor.pk), str(actor.get_username())


@dataclass(frozen=True)
class _Pending:
    """One validated event waiting for its place in the log: ``row`` gets seq, time and hashes when appended."""

    row: AuditEvent
    at_us: int


# The events held back by ``batch()`` blocks, per database connection (thread-local, as connections are).
_batches = threading.local()


def _pending_list(connection: BaseDatabaseWrapper) -> list[_Pending] | None:
    batches: dict[str, list[_Pending]] = getattr(_batches, "by_alias", {})
    return batches.get(connection.alias)


@contextmanager
def batch() -> Iterator[None]:
    """Hold back the events ``record`` writes inside the block and append them all at its end, in order.

    One append (one writer lock, one read of the log's tail, one insert) instead of one per event, taken as
    late as possible: the block's other writes happen before the log is locked, so concurrent writers wait
    for the lock for the shortest time. Must be used inside the caller's ``transaction.atomic()``; nothing is
    appended if the block raises (the transaction then rolls back anyway). Nested blocks join the outer one.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise AuditError("audit.batch must be used inside the caller's transaction.atomic() block")
    if _pending_list(connection) is not None:
        yield
        return
    pending: list[_Pending] = []
    if not hasattr(_batches, "by_alias"):
        _batches.by_alias = {}
    _batches.by_alias[connection.alias] = pending
    try:
        yield
    finally:
        del _batches.by_alias[connection.alias]
    if pending:
        _append(connection, pending)


def event_time_us(*, actor_kind: str, previous_us: int | None) -> int:
    """Return the time to store for an event appended now, in microseconds since 1970 (UTC).

    Staff and system events keep the exact time; reporter events, and every event written inside
    ``clock.reporter_time()``, the time rounded down to the reporter granularity. Time never runs backwards
    along the log (even if a server's clock does): a rounded time earlier than the previous event's is raised to
    it, so a reporter event reveals nothing finer than its place in the order.
    """
    moment = timezone.now()
    if actor_kind == ActorKind.REPORTER or clock.in_reporter_time():
        moment = clock.coarse(moment)
    at_us = clock.to_us(moment)
    return at_us if previous_us is None else max(at_us, previous_us)


def record(
    *,
    action: Action,
    actor: AbstractBaseUser | str,
    case_ref: str = "",
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    ``actor`` is a saved staff member (stored as id and username, never an address) or the string
    ``"reporter"`` or ``"system"``. ``case_ref`` is the case number or id; ``details`` a few short
    scalar values that never hold report content, reporter identifiers, IP addresses or user agents.
    Must run inside the caller's ``transaction.atomic()``; raises ``AuditError`` otherwise, or when an
    argument breaks these rules. Inside a ``batch()`` block the event is checked now and appended at the
    block's end (the returned event gets its ``seq`` and hashes then).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise AuditError("audit.record must be called inside the caller's transaction.atomic() block")
    try:
        action_value = Action(action).value
    except ValueError:
        raise AuditError(f"unknown audit action {action!r}; add it to audit.actions.Action") from None
    actor_kind, staff_id, username = _actor_fields(actor)
    case_ref = str(case_ref)
    if not _CASE_REF.match(case_ref):
        raise AuditError("case_ref must be a case number or id (letters, digits and ._:/- only)")
    details = dict(details or {})
    if len(details) > MAX_DETAILS:
        raise AuditError(f"at most {MAX_DETAILS} audit details")
    for key, value in details.items():
        _check_detail(key, value)
    row = new_row(
        AuditEvent,
        actor_kind=actor_kind,
        actor_staff_id=staff_id,
        actor_username=username,
        action=action_value,
        case_ref=case_ref,
        details=chain.canonical_details(details),
    )
    # The time is taken now (coarse for reporters and inside clock.reporter_time()), raised at the append if
    # the log's last event is later.
    event = _Pending(row=row, at_us=event_time_us(actor_kind=actor_kind, previous_us=None))
    held = _pending_list(connection)
    if held is not None:
        held.append(event)
    else:
        _append(connection, [event])
    return row


def _tail(connection: BaseDatabaseWrapper) -> tuple[int, int, bytes] | None:
    """Return the log's last event (seq, time, chain hash), or None: one indexed read, in plain SQL because it
    runs in every write transaction (the ORM's query building cost more than the read)."""
    with undecodable_text_raises(AuditTailAltered("the audit log's last event cannot be read")):
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, at_us, chain_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1")
            row = cursor.fetchone()
    if row is None:
        return None
    seq, at_us, chain_hash = row
    # In SQLite an edited cell holds any type (and text sorts after every number, so it reads as the last row).
    if not (isinstance(seq, int) and isinstance(at_us, int) and isinstance(chain_hash, bytes | memoryview)):
        raise AuditTailAltered("the audit log's last event holds values its columns cannot hold")
    return seq, at_us, bytes(chain_hash)


def check_appendable() -> None:
    """Raise ``AuditTailAltered`` when nothing could be appended to the log (its last event was altered).

    One indexed read; the health check asks it, so monitoring sees what every write would meet.
    """
    _tail(transaction.get_connection())


def _append(connection: BaseDatabaseWrapper, events: list[_Pending]) -> None:
    """Append ``events`` in order after the log's last event: one lock, one read of the tail, one insert."""
    lock_writers(connection)
    last = _tail(connection)
    seq, previous_us, previous = (0, None, chain.GENESIS) if last is None else last
    for event in events:
        row = event.row
        seq += 1
        # Time never runs backwards in the log, even if a server's clock does (reporter times stay coarse:
        # raised to the previous event's at most, see event_time_us).
        at_us = event.at_us if previous_us is None else max(event.at_us, previous_us)
        previous_us = at_us
        salt = chain.new_salt()
        data = chain.event_bytes(
            salt=salt,
            seq=seq,
            at_us=at_us,
            actor_kind=row.actor_kind,
            actor_staff_id=row.actor_staff_id,
            actor_username=row.actor_username,
            action=row.action,
            case_ref=row.case_ref,
            details=row.details,
        )
        row.seq, row.salt, row.at_us, row.leaf_hash = seq, salt, at_us, chain.leaf_hash(data)
        row.chain_hash = previous = chain.chain_hash(previous, row.leaf_hash)
    insert_rows([event.row for event in events])
