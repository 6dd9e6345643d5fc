"""Writers of the audit log. ``record`` is the only way an event gets into it.

Callers import it as ``from audit.services import record as audit_record`` and call it inside their own
``transaction.atomic()`` block, so the event and the change it describes commit (or roll back) together.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit import chain, clock
from audit.actions import Action
from audit.db import lock_writers
from audit.exceptions import AuditError
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
    argument breaks these rules.
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
    details_text = chain.canonical_details(details)

    lock_writers(connection)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "at_us", "chain_hash").first()
    if last is None:
        seq, previous_us, previous = 1, None, chain.GENESIS
    else:
        seq, previous_us, previous = last[0] + 1, int(last[1]), bytes(last[2])
    at_us = event_time_us(actor_kind=actor_kind, previous_us=previous_us)
    salt = chain.new_salt()
    data = chain.event_bytes(
        salt=salt,
        seq=seq,
        at_us=at_us,
        actor_kind=actor_kind,
        actor_staff_id=staff_id,
        actor_username=username,
        action=action_value,
        case_ref=case_ref,
        details=details_text,
    )
    leaf = chain.leaf_hash(data)
    return AuditEvent.objects.create(
        seq=seq,
        salt=salt,
        at_us=at_us,
        actor_kind=actor_kind,
        actor_staff_id=staff_id,
        actor_username=username,
        action=action_value,
        case_ref=case_ref,
        details=details_text,
        leaf_hash=leaf,
        chain_hash=chain.chain_hash(previous, leaf),
    )
