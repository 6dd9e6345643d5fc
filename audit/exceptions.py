"""Errors raised by the audit package."""

from __future__ import annotations


class AuditError(Exception):
    """A programming error around the audit log (wrong call, forbidden detail, no transaction)."""


class AuditTailAltered(AuditError):
    """The log's last event was edited behind its back (a value its column cannot hold): nothing can be appended.

    Every write is audited, so no write can happen until the operator restores the log (``audit_verify`` names
    the damage). Web requests answer it with a 503 (``config.faults``).
    """
