"""System checks of the throttle's store: per-process counters, a store on a persistent disk, a Redis that saves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from intake.checks import check_throttle_store, filesystem_type
from tests.support.servers import run_redis

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
/dev/sdb1 /srv/data xfs rw 0 0
tmpfs /srv/data/fast\\040lane tmpfs rw 0 0
"""


def ids(settings: Any) -> list[str]:
    return [message.id for message in check_throttle_store()]


def test_filesystem_type_finds_the_innermost_mount(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    assert filesystem_type(Path("/dev/shm/peluit-0/throttle.sqlite3"), mounts) == "tmpfs"
    assert filesystem_type(Path("/srv/data/peluit"), mounts) == "xfs"
    assert filesystem_type(Path("/srv/data/fast lane/x"), mounts) == "tmpfs"
    assert filesystem_type(Path("/srv/database"), mounts) == "ext4", "a prefix of a name is not a parent"
    assert filesystem_type(Path("/x"), tmp_path / "missing") == ""


def test_the_default_store_is_a_file_in_dev_shm(settings: Any) -> None:
    assert settings.PELUIT_THROTTLE_URL.startswith("sqlite:////dev/shm/peluit-")
    assert ids(settings) == []


def test_per_process_counters_and_unknown_schemes_are_reported(settings: Any) -> None:
    settings.PELUIT_THROTTLE_URL = "memory://"
    assert ids(settings) == ["intake.W001"]
    settings.PELUIT_THROTTLE_URL = "memcache://127.0.0.1"
    assert ids(settings) == ["intake.E001"]


def test_a_store_on_a_persistent_disk_is_reported(settings: Any) -> None:
    project = Path(__file__).resolve().parents[2]
    if filesystem_type(project) in {"tmpfs", "ramfs", ""}:
        pytest.skip("the project itself is on a memory filesystem here")
    settings.PELUIT_THROTTLE_URL = f"sqlite:///{project / 'var' / 'throttle-check.sqlite3'}"
    assert ids(settings) == ["intake.W002"]


def test_a_redis_that_writes_to_disk_is_reported(settings: Any, tmp_path: Path) -> None:
    with run_redis(tmp_path / "quiet") as url:
        settings.PELUIT_THROTTLE_URL = url
        assert ids(settings) == []
    with run_redis(tmp_path / "saving", "--save", "900 1") as url:
        settings.PELUIT_THROTTLE_URL = url
        assert ids(settings) == ["intake.W003"]
