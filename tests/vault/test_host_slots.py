"""Argon2id slots shared by every process on the machine (vault/host_slots.py), and the gate that uses them.

Real System V semaphores and real processes: a slot held in one process is missing in another, a process
killed with SIGKILL gives its slot back, and a derivation waits for the machine's slot, not only its own.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.intake.conftest import wbs_post
from tests.support.servers import run_gunicorn, scratch_site
from vault import crypto, host_slots
from vault.host_slots import HostSlots, HostSlotsUnavailable, present

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from vault.host_slots import HostSlots
slots = HostSlots(sys.argv[2], int(sys.argv[3]))
held = slots.acquire()
print("held", flush=True)
if sys.argv[4] == "release-on-input":
    sys.stdin.readline()
    held.release()
    print("released", flush=True)
time.sleep(60)
"""


@pytest.fixture
def slots(tmp_path: Path) -> Iterator[HostSlots]:
    """Two fresh slots anchored on this test's folder, deleted from the kernel afterwards."""
    made = HostSlots(str(tmp_path), 2)
    yield made
    try:
        made.remove()
    except OSError:
        pass  # the test removed it itself


def holder(anchor: Path, size: int, mode: str) -> subprocess.Popen[str]:
    """Start a process that takes one slot and says so."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ROOT), str(anchor), str(size), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_slot_held_by_another_process_is_missing_here(slots: HostSlots, tmp_path: Path) -> None:
    assert slots.free() == 2
    other = holder(tmp_path, 2, "release-on-input")
    try:
        assert slots.free() == 1
        with slots.slot():
            assert slots.free() == 0
        assert slots.free() == 1
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "released"
        assert slots.free() == 2
    finally:
        other.kill()
        other.wait(10)


def test_a_process_killed_while_holding_a_slot_gives_it_back(slots: HostSlots, tmp_path: Path) -> None:
    others = [holder(tmp_path, 2, "hold") for _ in range(2)]
    assert slots.free() == 0
    for other in others:
        os.kill(other.pid, signal.SIGKILL)
        other.wait(10)
    assert slots.free() == 2, "SEM_UNDO: the kernel returned the dead processes' slots"


def test_the_same_anchor_and_size_open_the_same_slots(slots: HostSlots, tmp_path: Path) -> None:
    again = HostSlots(str(tmp_path), 2)
    with again.slot():
        assert slots.free() == 1
    other_size = HostSlots(str(tmp_path), 3)
    try:
        assert other_size.free() == 3, "another size is another set of slots"
    finally:
        other_size.remove()


def test_sizes_out_of_range_are_refused(tmp_path: Path) -> None:
    for size in (0, 256):
        with pytest.raises(ValueError):
            HostSlots(str(tmp_path), size)


@pytest.fixture
def gate_sharing(tmp_path: Path) -> Iterator[tuple[crypto.KdfGate, HostSlots]]:
    """The process's real gate sharing one slot with the machine; restored afterwards."""
    gate, limit = crypto.KDF_GATE, crypto.KDF_GATE.limit
    one = HostSlots(str(tmp_path), 1)
    gate.share_with_host(one)
    gate.set_limit(4)
    yield gate, one
    gate.share_with_host(None)
    gate.set_limit(limit)
    try:
        one.remove()
    except OSError:
        pass


def derive() -> bytes:
    return crypto.argon2id_derive(b"receipt", salt=bytes(16), ops=1, mem=8 * 1024 * 1024)


def test_a_derivation_waits_for_the_machines_slot_held_by_another_process(
    gate_sharing: tuple[crypto.KdfGate, HostSlots], tmp_path: Path
) -> None:
    _gate, one = gate_sharing
    other = holder(tmp_path, 1, "release-on-input")
    finished: list[bytes] = []
    worker = threading.Thread(target=lambda: finished.append(derive()))
    try:
        worker.start()
        time.sleep(0.5)
        assert finished == [], "this process has free slots of its own, but the machine's one slot is taken"
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        worker.join(10)
        assert finished == [derive()]
        assert one.free() == 1, "the slot was given back after the derivation"
    finally:
        other.kill()
        other.wait(10)


def test_slots_removed_while_in_use_are_made_again(slots: HostSlots, tmp_path: Path) -> None:
    held = slots.acquire()
    slots.remove()  # gunicorn stopping (on_exit), or an administrator's ipcrm
    held.release()  # nothing to give back to: no error
    with slots.slot():
        assert slots.free() == 1, "made again with all its slots"
    assert HostSlots(str(tmp_path), 2).free() == 2


def test_when_the_kernel_refuses_slots_derivations_go_on_and_say_why(
    gate_sharing: tuple[crypto.KdfGate, HostSlots], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gate, one = gate_sharing
    one.remove()

    def out_of_semaphores() -> int:  # what semget answers when the kernel's semaphore table is full
        raise HostSlotsUnavailable(errno.ENOSPC, "semget(IPC_CREAT): No space left on device")

    monkeypatch.setattr(one, "_open", out_of_semaphores)
    with caplog.at_level(logging.WARNING, logger="vault.crypto"):
        assert len(derive()) == crypto.KEY_BYTES
        assert len(derive()) == crypto.KEY_BYTES
    assert caplog.text.count("host slots unavailable") == 1, "said once"
    assert crypto.KDF_GATE.host is None and crypto.KDF_GATE.limit == 4, "this process's own bound alone"


def test_slots_whose_maker_died_before_putting_them_in_are_put_in_by_a_waiter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The maker of the semaphore creates it at 0 and then sets it; killed in between, it stays at 0."""
    monkeypatch.setattr(host_slots, "WAIT_CHECK_SECONDS", 0.2)
    key = host_slots._key(str(tmp_path), 2)
    semid = host_slots._libc.semget(key, 1, host_slots.IPC_CREAT | host_slots.IPC_EXCL | 0o600)
    assert semid != -1, "made at 0 and never set, as by a process killed after semget"
    slots = HostSlots(str(tmp_path), 2)
    try:
        assert slots.free() == 0
        started = time.monotonic()
        with slots.slot():
            assert slots.free() == 1
        assert time.monotonic() - started < 5
        assert slots.free() == 2
    finally:
        slots.remove()


def test_a_waiter_does_not_refill_slots_that_are_in_use(slots: HostSlots, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_slots, "WAIT_CHECK_SECONDS", 0.2)
    held = [slots.acquire(), slots.acquire()]
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(bool(slots.acquire())))
    waiter.start()
    time.sleep(1.0)  # several of the waiter's checks: the slots are taken, not abandoned
    assert got == [] and slots.free() == 0
    held[0].release()
    waiter.join(5)
    assert got == [True]
    held[1].release()


def test_under_gunicorns_settings_every_worker_shares_the_machines_slots(tmp_path: Path) -> None:
    """config/gunicorn.py sets PELUIT_KDF_HOST_SLOTS to the cores and each worker's own bound to its share of
    them; a process started so shares the machine's slots and keeps its own bound."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PELUIT_KDF_")}
    env.update(PELUIT_VAR_DIR=str(tmp_path), PELUIT_WORKERS="2", DJANGO_SETTINGS_MODULE="config.settings")
    probe = (
        "import runpy, os, types; hooks = runpy.run_path('config/gunicorn.py');"
        "assert 'PELUIT_KDF_HOST_SLOTS' not in os.environ, 'importing the file changes nothing';"
        "hooks['on_starting'](types.SimpleNamespace(cfg=types.SimpleNamespace(workers=2)));"
        "import django; django.setup();"
        "from vault import crypto; print(os.environ['PELUIT_KDF_HOST_SLOTS'], crypto.KDF_GATE.limit,"
        " crypto.KDF_GATE.host.free())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    cores = os.cpu_count() or 1
    share = max(1, cores // 2)
    assert out == [str(cores), str(share), str(cores)], "the machine bounds the workers, each its share of it"
    HostSlots(str(tmp_path), cores).remove()


def test_a_process_derives_no_more_at_once_than_its_own_bound_while_machine_slots_are_free(
    gate_sharing: tuple[crypto.KdfGate, HostSlots], tmp_path: Path
) -> None:
    """Two derivations in one process wait on each other's memory mappings: the process's bound holds even
    when the machine has a slot free."""
    gate, _one = gate_sharing
    two = HostSlots(str(tmp_path / "two"), 2)
    gate.set_limit(1)
    gate.share_with_host(two)  # sharing the machine's slots does not raise the process's own bound
    second_in: list[float] = []

    def second() -> None:
        with gate.slot():
            second_in.append(time.monotonic())

    try:
        with gate.slot():
            assert two.free() == 1, "a machine slot is still free"
            waiter = threading.Thread(target=second)
            waiter.start()
            time.sleep(0.5)
            assert second_in == [], "the second derivation of this process waits"
            left = time.monotonic()
        waiter.join(5)
        assert second_in and second_in[0] >= left, "and goes once the first is done"
    finally:
        two.remove()


def test_a_served_peluit_derives_in_the_machines_slots_and_removes_them_when_it_stops(tmp_path: Path) -> None:
    """gunicorn with config/gunicorn.py: a submission waits while this test holds every slot of the site's
    machine, goes through once they are given back, and the semaphore is gone after gunicorn stops."""
    cores = os.cpu_count() or 1
    site = scratch_site(tmp_path / "site")
    anchor = site.env["PELUIT_VAR_DIR"]
    answers: list[int] = []
    with run_gunicorn(site, workers=2, threads=4) as server:
        slots = HostSlots(anchor, cores)
        held = [slots.acquire() for _ in range(cores)]
        post = threading.Thread(
            target=lambda: answers.append(
                requests.post(f"{server.url}/api/v1/reports/wbs", data=wbs_post(), timeout=60).status_code
            )
        )
        post.start()
        time.sleep(1.5)
        waited = list(answers)
        for slot in held:
            slot.release()
        post.join(60)
    assert waited == [], "the receipt's derivation waited for the machine's slots this test held"
    assert answers == [201]
    assert not present(anchor, cores), "gunicorn's on_exit took the semaphore out of the kernel"
