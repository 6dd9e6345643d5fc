"""Generated secrets (``config/secrets.py``): created once, the same for every process that starts at once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from config.secrets import load_or_create

NAMES = ("secret_key", "pepper", "checkpoint_key")


def _load_all(path: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:
    barrier.wait()  # every process reaches the empty folder together, as gunicorn's workers do
    try:
        out.put(tuple(load_or_create(Path(path), name, "PELUIT_TEST_UNSET_VARIABLE") for name in NAMES))
    except Exception as exc:
        out.put(repr(exc))


def test_processes_starting_together_on_an_empty_folder_get_the_same_secrets(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.json"
    context = multiprocessing.get_context("fork")
    count = 8
    barrier = context.Barrier(count)
    out = context.Queue()
    processes = [context.Process(target=_load_all, args=(str(path), barrier, out)) for _ in range(count)]
    for process in processes:
        process.start()
    results = [out.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert all(isinstance(result, tuple) for result in results), results
    assert len(set(results)) == 1, "every process got the same three secrets"
    assert results[0] == tuple(load_or_create(path, name, "PELUIT_TEST_UNSET_VARIABLE") for name in NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PELUIT_TEST_SECRET", "from-the-environment")
    path = tmp_path / "secrets.json"
    assert load_or_create(path, "secret_key", "PELUIT_TEST_SECRET") == "from-the-environment"
    assert not path.exists()
