"""Argon2id derivations queue at the vault's gate: at most N at once per process, nobody refused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from vault import crypto

SALT = bytes(range(16))


@pytest.fixture
def gate() -> crypto.KdfGate:
    """The process's real gate, with its limit and peak restored afterwards."""
    limit = crypto.KDF_GATE.limit
    crypto.KDF_GATE.peak = 0
    yield crypto.KDF_GATE
    crypto.KDF_GATE.set_limit(limit)
    crypto.KDF_GATE.peak = 0


def derive(n: int) -> bytes:
    return crypto.argon2id_derive(b"receipt %d" % n, salt=SALT, ops=1, mem=8 * 1024 * 1024)


@pytest.mark.parametrize("limit", [1, 2])
def test_derivations_queue_and_all_finish(gate: crypto.KdfGate, limit: int) -> None:
    gate.set_limit(limit)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(derive, range(16)))
    assert results == [derive(n) for n in range(16)], "every caller gets its own correct key"
    assert 1 <= gate.peak <= limit


def test_a_waiting_derivation_starts_when_a_slot_frees(gate: crypto.KdfGate) -> None:
    gate.set_limit(1)
    started = threading.Event()
    finished: list[bytes] = []
    with gate.slot():
        worker = threading.Thread(target=lambda: (started.set(), finished.append(derive(1))))
        worker.start()
        started.wait(5)
        time.sleep(0.3)
        assert finished == [], "queued behind the slot held here, not refused and not run beside it"
    worker.join(10)
    assert finished == [derive(1)]
