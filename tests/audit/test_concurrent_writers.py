"""Concurrent writers never fork the chain: each ``record`` gets the next ``seq`` after the previous one commits.

PostgreSQL only (SQLite test databases live in memory, shared by one connection; SQLite's single write lock
serialises writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from audit.verify import verify_log

THREADS = 6
EVENTS_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_parallel_transactions_append_one_gapless_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    record(action=Action.REPORT_UNSEALED, actor="system", details={"writer": n, "i": i})
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * EVENTS_EACH + 1))
    assert verify_log().intact
