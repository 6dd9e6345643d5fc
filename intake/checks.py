"""System checks of the reporter side's configuration: where the throttle keeps its counters."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from intake.throttle_stores import MemoryStore, RedisStore, SqliteStore, store_from_url

MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def filesystem_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str:
    """Return the type of the filesystem ``path`` is on (from /proc/mounts), or "" if unknown."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return ""
    target = os.path.realpath(path)
    best, kind = "", ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, fields[2]
    return kind


@register()
def check_throttle_store(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse an unusable ``PELUIT_THROTTLE_URL``; warn when limits are per process or counters reach a disk."""
    url = str(getattr(settings, "PELUIT_THROTTLE_URL", "memory://"))
    try:
        store = store_from_url(url)
    except ValueError as exc:
        return [Error(str(exc), hint="See the README's configuration table.", id="intake.E001")]
    if isinstance(store, MemoryStore):
        return [
            Warning(
                "The throttle counts in each process's memory: with several processes every limit is multiplied.",
                hint="Leave PELUIT_THROTTLE_URL unset (a file in /dev/shm) or point it at Redis.",
                id="intake.W001",
            )
        ]
    if isinstance(store, SqliteStore):
        kind = filesystem_type(store.path.parent if store.path.parent.exists() else store.path.parent.parent)
        if kind and kind not in MEMORY_FILESYSTEMS:
            return [
                Warning(
                    f"The throttle's file {store.path} is on a {kind} filesystem: keyed address hashes would "
                    "reach a persistent disk.",
                    hint="Put it in a tmpfs directory such as /dev/shm (the default).",
                    id="intake.W002",
                )
            ]
    if isinstance(store, RedisStore):
        persisted = store.persistence()
        if persisted:
            return [
                Warning(
                    f"The throttle's Redis writes its data to disk ({', '.join(persisted)}): the day's hashing "
                    "key and keyed address hashes would outlive their window.",
                    hint='Run that Redis with --save "" --appendonly no, or give the throttle its own.',
                    id="intake.W003",
                )
            ]
    return []
