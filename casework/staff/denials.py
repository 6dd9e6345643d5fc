"""Audit every refused console request, so an insider's snooping shows up in the log (issue 9.12).

The console guard (``casework.staff.middleware``) calls ``record_console_denial`` for each 403 answer on a
console path and for a session that lost its console cookie. A flood must not turn into a flood of audit
events, so denials are coalesced per staff member, page, reason and case within a window: the 1st, 2nd,
4th, 8th ... denial of a window writes an event carrying the running count, the others only count. A
thousand refusals in ten minutes write eleven events, the last one saying 512.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.services import record as audit_record
from casework.staff.models import ConsoleDenialWindow, StaffUser

WINDOW = timedelta(minutes=10)
_REASON_ATTRIBUTE = "peluit_denial_reason"

# Why a console request was refused (stored in the audit event's details).
PERMISSION = "permission"  # the role lacks the permission of the page or action
CASE_NOT_HELD = "case_not_held"  # a case page of a case the person does not hold
VAULT_LOCKED = "vault_locked"  # the console key is not usable (its session half is broken)
NOT_ESCROW_HOLDER = "not_escrow_holder"
CONSOLE_COOKIE_MISSING = "console_cookie_missing"  # a session used without its console cookie (stolen?)
FORBIDDEN = "forbidden"  # any other 403 (e.g. an expired form token)


def mark_denial(request: HttpRequest, reason: str) -> None:
    """Tell the console guard why this request is refused (it audits the 403 with this reason)."""
    setattr(request, _REASON_ATTRIBUTE, reason)


def denial_reason(request: HttpRequest) -> str:
    """Return the reason a view gave for refusing ``request`` (``permission`` when it gave none)."""
    reason = getattr(request, _REASON_ATTRIBUTE, None)
    return reason if isinstance(reason, str) else PERMISSION


def _is_power_of_two(count: int) -> bool:
    return count > 0 and count & (count - 1) == 0


def record_console_denial(*, user: StaffUser, route: str, reason: str, method: str, case_ref: str = "") -> bool:
    """Count a refused console request and audit it when its count in the window is a power of two.

    ``route`` is the URL name (never the raw path, which the caller controls), ``case_ref`` the case number
    of a case page. Returns whether an audit event was written.
    """
    route, case_ref = route[:100], case_ref[:64]
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _count_and_record(user, route, reason, method, case_ref)
        except IntegrityError:  # a concurrent first denial created the row; count again on it
            if attempt:
                raise
    return False  # pragma: no cover


def _count_and_record(user: StaffUser, route: str, reason: str, method: str, case_ref: str) -> bool:
    now = timezone.now()
    # Windows that ended are only bookkeeping: drop this person's old ones so the table stays small.
    ConsoleDenialWindow.objects.filter(staff=user, window_start__lt=now - WINDOW).exclude(
        route=route, reason=reason, case_ref=case_ref
    ).delete()
    row, created = ConsoleDenialWindow.objects.select_for_update().get_or_create(
        staff=user, route=route, reason=reason, case_ref=case_ref, defaults={"window_start": now, "count": 1}
    )
    if not created:
        if now - row.window_start > WINDOW:
            row.window_start, row.count = now, 1
        else:
            row.count += 1
        row.save(update_fields=["window_start", "count"])
    if not _is_power_of_two(row.count):
        return False
    audit_record(
        action=Action.CONSOLE_ACCESS_DENIED,
        actor=user,
        case_ref=case_ref,
        details={"route": route, "reason": reason, "method": method[:10], "count_in_window": row.count},
    )
    return True
