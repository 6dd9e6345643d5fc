"""Template helpers of the audit package."""

from __future__ import annotations

from typing import Any

from django import template

from casework.roles import can_read_audit_log as _can_read_audit_log

register = template.Library()


@register.filter
def can_read_audit_log(user: Any) -> bool:
    """Return True when ``user`` may open the auditor view (the console nav shows the link)."""
    return _can_read_audit_log(user)
