"""A value read from the database and kept in this process for a few seconds (a flood of reports reads once).

Used for what every submission reads and staff change rarely: the intake recipients and their public keys
(``intake.recipients.roster``) and the deadline rules with the calendar (``casework.workflow.calendar``). A
change made in another process reaches this one within the time to live; ``forget()`` drops the value at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """One value and the time it was read (``time.monotonic``), shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[float, T] | None = None

    def get(self, load: Callable[[], T], *, ttl: float) -> T:
        """Return the kept value if it was read less than ``ttl`` seconds ago, else ``load()`` and keep it.

        ``ttl`` ≤ 0 reads every time. Two threads may both load after expiry; either result is current.
        """
        now = time.monotonic()
        with self._lock:
            if ttl > 0 and self._kept is not None and now - self._kept[0] < ttl:
                return self._kept[1]
        fresh = load()
        with self._lock:
            self._kept = (now, fresh)
        return fresh

    def forget(self) -> None:
        """Drop the kept value: the next ``get`` reads again."""
        with self._lock:
            self._kept = None
