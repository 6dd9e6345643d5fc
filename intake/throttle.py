"""Abuse control for reporter paths without storing anything that identifies a reporter.

Counters live in this process's memory only. A client is known by a keyed BLAKE2b hash of its address;
the key is random, made in memory, replaced every UTC day and never written anywhere, so yesterday's
hashes cannot be linked to today's and none of them can be turned back into an address. Counters expire
with their window.

Limits are ``(requests, seconds)`` pairs in settings (sliding windows):

- ``PELUIT_THROTTLE_PER_ADDRESS``: any request to a reporter path, per client;
- ``PELUIT_THROTTLE_GLOBAL_POSTS``: POST requests from everyone together;
- ``PELUIT_THROTTLE_RECEIPT_PER_ADDRESS`` and ``PELUIT_THROTTLE_RECEIPT_GLOBAL``: receipt attempts, checked
  by the follow-up pages and the API through :func:`check_receipt_attempt` before they look a receipt up.

The privacy middleware computes the client's hash before it strips the address (:func:`remember_client`)
and turns :class:`Throttled` into an HTTP 429 page or JSON answer.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

# The one reading of a client's address behind our own proxies, shared with the staff login lockout.
from casework.staff.lockout import client_address

# The attribute of the request that carries the client's keyed hash between middleware and views.
_CLIENT_ATTRIBUTE = "_peluit_client_key"
_UNKNOWN_CLIENT = b"unknown"
_DAY = 86_400
# Past this many tracked clients, expired windows are swept and then the oldest ones forgotten.
MAX_TRACKED_CLIENTS = 100_000


class Throttled(Exception):
    """Too many requests: ``message`` is translated for the reporter, ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class SlidingWindow:
    """At most ``limit`` events per ``period`` seconds for each key, counted over a sliding window."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._events: dict[bytes, deque[float]] = {}

    def hit(self, key: bytes, now: float) -> int | None:
        """Count an event for ``key``; return None if allowed, else the seconds until one is allowed again."""
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        while events and events[0] <= now - self.period:
            events.popleft()
        if len(events) >= self.limit:
            return max(1, math.ceil(events[0] + self.period - now))
        events.append(now)
        if len(self._events) > MAX_TRACKED_CLIENTS:
            self.sweep(now)
        return None

    def sweep(self, now: float) -> None:
        """Forget keys whose events have all left the window; if still too many, forget the oldest."""
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.period]:
            del self._events[key]
        while len(self._events) > MAX_TRACKED_CLIENTS:
            del self._events[next(iter(self._events))]

    def __len__(self) -> int:
        return len(self._events)


class Throttle:
    """All the counters of one process, with the day's hashing key and an injectable clock."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._day = -1
        self._key = b""
        self._windows: dict[str, SlidingWindow] = {}

    def _window(self, setting: str, default: tuple[int, int]) -> SlidingWindow:
        limit, period = getattr(settings, setting, default)
        window = self._windows.get(setting)
        if window is None or (window.limit, window.period) != (limit, period):
            window = self._windows[setting] = SlidingWindow(limit, period)
        return window

    def _rotate_if_new_day(self, now: float) -> None:
        day = int(now // _DAY)
        if day != self._day:
            self._day = day
            self._key = secrets.token_bytes(32)
            # Yesterday's hashes can no longer match anything: drop the per-client counters with them.
            for name in [n for n in self._windows if n.endswith("PER_ADDRESS")]:
                del self._windows[name]

    def client_key(self, address: str) -> bytes:
        """Return today's keyed hash of a client address (an IPv6 address counts by its /64 network)."""
        try:
            parsed = ipaddress.ip_address(address.strip())
        except ValueError:
            material = address.strip().encode("utf-8", "replace")
        else:
            if isinstance(parsed, ipaddress.IPv4Address):
                material = parsed.packed
            elif parsed.ipv4_mapped is not None:
                material = parsed.ipv4_mapped.packed
            else:
                material = ipaddress.IPv6Network((parsed, 64), strict=False).network_address.packed
        with self._lock:
            self._rotate_if_new_day(self.clock())
            return hashlib.blake2b(material, key=self._key, digest_size=16).digest()

    def _check(self, checks: list[tuple[str, tuple[int, int], bytes]], message: Callable[[int], str]) -> None:
        with self._lock:
            now = self.clock()
            self._rotate_if_new_day(now)
            for setting, default, key in checks:
                wait = self._window(setting, default).hit(key, now)
                if wait is not None:
                    raise Throttled(message(wait), wait)

    def check_request(self, request: HttpRequest) -> None:
        """Count a request to a reporter path; raise Throttled when its client or all POSTs are over limit."""
        checks = [("PELUIT_THROTTLE_PER_ADDRESS", (60, 60), client_of(request))]
        if request.method == "POST":
            checks.append(("PELUIT_THROTTLE_GLOBAL_POSTS", (600, 60), b"*"))
        self._check(checks, _too_many_requests)

    def check_receipt_attempt(self, request: HttpRequest) -> None:
        """Count a receipt attempt; raise Throttled when its client or everyone together is over limit."""
        checks = [
            ("PELUIT_THROTTLE_RECEIPT_PER_ADDRESS", (10, 600), client_of(request)),
            ("PELUIT_THROTTLE_RECEIPT_GLOBAL", (100, 600), b"*"),
        ]
        self._check(checks, _too_many_receipt_attempts)

    def tracked_clients(self) -> int:
        """Return how many per-client counters are held (for tests and monitoring; no keys are exposed)."""
        with self._lock:
            return sum(len(w) for name, w in self._windows.items() if name.endswith("PER_ADDRESS"))

    def sweep(self) -> None:
        """Forget every counter whose window has passed."""
        with self._lock:
            now = self.clock()
            for window in self._windows.values():
                window.sweep(now)


def _wait_in_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _too_many_requests(seconds: int) -> str:
    minutes = _wait_in_minutes(seconds)
    return ngettext(
        "Too many requests have come in. Please wait %(minutes)d minute and try again.",
        "Too many requests have come in. Please wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def _too_many_receipt_attempts(seconds: int) -> str:
    minutes = _wait_in_minutes(seconds)
    return ngettext(
        "Too many receipt codes have been tried. Please wait %(minutes)d minute and try again.",
        "Too many receipt codes have been tried. Please wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


_throttle = Throttle()


def throttle() -> Throttle:
    """Return this process's throttle."""
    return _throttle


def remember_client(request: HttpRequest) -> None:
    """Attach the keyed hash of the client's address to ``request``; call before the address is stripped."""
    address = client_address(request.META)
    setattr(request, _CLIENT_ATTRIBUTE, _throttle.client_key(address) if address else _UNKNOWN_CLIENT)


def client_of(request: HttpRequest) -> bytes:
    """Return the keyed hash the middleware attached to ``request`` (all unknown clients share one)."""
    key = getattr(request, _CLIENT_ATTRIBUTE, None)
    return key if isinstance(key, bytes) else _UNKNOWN_CLIENT


def check_request(request: HttpRequest) -> None:
    """Raise Throttled when this request goes over the per-client or global POST limit."""
    _throttle.check_request(request)


def check_receipt_attempt(request: HttpRequest) -> None:
    """Raise Throttled when the client, or everyone together, has tried too many receipts lately.

    Call it before looking a receipt up, for every attempt. Letting Throttled propagate out of a view is
    fine: the privacy middleware answers it with HTTP 429 (a page, or JSON under ``/api/``).
    """
    _throttle.check_receipt_attempt(request)


def reset_for_tests(*, clock: Callable[[], float] = time.time) -> Throttle:
    """Start afresh with no counters and a new key (tests only); return the new throttle."""
    global _throttle
    _throttle = Throttle(clock=clock)
    return _throttle
