"""``flush`` that respects the append-only audit log.

Outside tests it is Django's ``flush`` unchanged, so the triggers reject it for the audit tables (and the
whole flush rolls back). While pytest runs a test against a test database (pytest-django's transactional
tests flush after each test), it lifts the append-only guard for the duration of the flush only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections

from audit.db import allow_flush, flush_allowed_here


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if not flush_allowed_here(connection):
            super().handle(**options)
            return
        with allow_flush(connection):
            super().handle(**options)
