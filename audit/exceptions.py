"""Errors raised by the audit package."""

from __future__ import annotations


class AuditError(Exception):
    """A programming error around the audit log (wrong call, forbidden detail, no transaction)."""
