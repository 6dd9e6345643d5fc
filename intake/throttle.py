"""Abuse control for reporter paths without storing anything that identifies a reporter.

A client is known by a keyed BLAKE2b hash of its address, computed before the privacy middleware strips the
address. The key is random, replaced every UTC day and never written to disk; it lives in the counter store
(``intake/throttle_stores.py``) so that every process, and every app server sharing a Redis, hashes an
address the same way and counts it once. Yesterday's hashes cannot be linked to today's and none of them can
be turned back into an address without the key. Counters expire with their window.

Limits are ``(events, seconds)`` pairs in settings (sliding windows):

- ``PELUIT_THROTTLE_PER_ADDRESS``: any request to a reporter path, per client;
- ``PELUIT_THROTTLE_GLOBAL_POSTS``: POST requests from everyone together;
- ``PELUIT_THROTTLE_RECEIPT_PER_ADDRESS`` and ``PELUIT_THROTTLE_RECEIPT_GLOBAL``: WRONG receipts, per client
  and from everyone together. The follow-up pages and the API look a receipt up inside
  :func:`receipt_attempt`, which refuses before the (costly) derivation when a window is full and counts a
  receipt only once it proved wrong: a reporter opening their inbox again and again is never blocked, also
  when their lookups overlap with others' from the same address.

If the store cannot be reached the throttle lets requests through (and logs that, without any address):
an outage of Redis must not take the reporting service down with it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

# The one reading of a client's address behind our own proxies, shared with the staff login lockout.
from casework.staff.lockout import client_address
from intake.throttle_stores import (
    DAY,
    Counted,
    CounterStore,
    Hit,
    MemoryStore,
    Refused,
    StoreUnavailable,
    store_from_url,
)
from vault.exceptions import UnknownReceipt

logger = logging.getLogger(__name__)

# The attribute of the request that carries the client's keyed hash between middleware and views.
_CLIENT_ATTRIBUTE = "_peluit_client_key"
_UNKNOWN_CLIENT = b"unknown"
_EVERYONE = b"*"
# The limit of a count that must always be recorded (a wrong receipt past a full window).
UNBOUNDED = 2**62
# After the store failed, leave it alone for this many seconds (requests pass meanwhile).
STORE_RETRY_SECONDS = 5.0

PER_ADDRESS = ("PELUIT_THROTTLE_PER_ADDRESS", (60, 60))
GLOBAL_POSTS = ("PELUIT_THROTTLE_GLOBAL_POSTS", (600, 60))
RECEIPT_PER_ADDRESS = ("PELUIT_THROTTLE_RECEIPT_PER_ADDRESS", (10, 600))
RECEIPT_GLOBAL = ("PELUIT_THROTTLE_RECEIPT_GLOBAL", (3000, 600))
_PER_CLIENT_WINDOWS = (PER_ADDRESS, RECEIPT_PER_ADDRESS)


class Throttled(Exception):
    """Too many requests: ``message`` is translated for the reporter, ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _limit(window: tuple[str, tuple[int, int]]) -> tuple[int, float]:
    setting, default = window
    limit, period = getattr(settings, setting, default)
    return int(limit), float(period)


def _bucket(window: tuple[str, tuple[int, int]], client: bytes) -> bytes:
    return window[0].encode("ascii") + b":" + client


class Throttle:
    """The throttle of this process: the day's key (cached), the counter store and an injectable clock."""

    def __init__(self, *, store: CounterStore | None = None, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.store: CounterStore = store if store is not None else MemoryStore()
        self._lock = threading.Lock()
        self._day = -1
        self._key = b""
        self._store_down_until = -math.inf

    def _store_usable(self) -> bool:
        return time.monotonic() >= self._store_down_until

    def _store_failed(self, exc: StoreUnavailable) -> None:
        if self._store_usable():
            logger.warning("throttle: %s; requests pass unthrottled for %.0f s", exc, STORE_RETRY_SECONDS)
        self._store_down_until = time.monotonic() + STORE_RETRY_SECONDS

    def _day_key(self, now: float) -> bytes:
        day = int(now // DAY)
        with self._lock:
            if day == self._day:
                return self._key
        key = b""
        if self._store_usable():
            try:
                key = self.store.day_key(day)
            except StoreUnavailable as exc:
                self._store_failed(exc)
        if not key:  # nothing is counted while the store is down; this key only has to exist
            return _PROCESS_FALLBACK_KEY
        with self._lock:
            self._day, self._key = day, key
        return key

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
        return hashlib.blake2b(material, key=self._day_key(self.clock()), digest_size=16).digest()

    def _ask(self, hits: list[Hit], *, count: bool) -> Counted | Refused | None:
        """Count the hits in the store (all or none), or only check them; None: the store is down."""
        if not self._store_usable():
            return None
        try:
            now = self.clock()
            return self.store.count(hits, now) if count else self.store.full(hits, now)
        except StoreUnavailable as exc:
            self._store_failed(exc)
            return None

    def _count(self, hits: list[Hit], message: Callable[[int], str]) -> Counted | None:
        """Count the hits (all or none); raise Throttled when one is full. None: the store is down."""
        outcome = self._ask(hits, count=True)
        if isinstance(outcome, Refused):
            _refuse(outcome, hits, message)
        return outcome

    def _hits(self, *windows: tuple[tuple[str, tuple[int, int]], bytes]) -> list[Hit]:
        return [Hit(_bucket(window, client), *_limit(window)) for window, client in windows]

    def _receipt_hits(self, request: HttpRequest, *, bounded: bool = True) -> list[Hit]:
        """The wrong-receipt windows of this client and of everyone (``bounded=False``: never full)."""
        hits = self._hits((RECEIPT_PER_ADDRESS, client_of(request)), (RECEIPT_GLOBAL, _EVERYONE))
        return hits if bounded else [Hit(hit.bucket, UNBOUNDED, hit.period) for hit in hits]

    def check_request(self, request: HttpRequest) -> None:
        """Count a request to a reporter path; raise Throttled when its client or all POSTs are over limit."""
        windows = [(PER_ADDRESS, client_of(request))]
        if request.method == "POST":
            windows.append((GLOBAL_POSTS, _EVERYONE))
        self._count(self._hits(*windows), _too_many_requests)

    def check_receipt_attempts(self, request: HttpRequest) -> None:
        """Raise Throttled when this client, or everyone together, has tried too many wrong receipts lately."""
        hits = self._receipt_hits(request)
        refused = self._ask(hits, count=False)
        if isinstance(refused, Refused):
            _refuse(refused, hits, _too_many_receipt_attempts)

    def count_wrong_receipt(self, request: HttpRequest) -> None:
        """Count a receipt that opened nothing, against this client and everyone, also past a full window.

        Lookups that were already under way when a window filled are counted too: the window then holds more
        than its limit and stays closed until enough of them have left it, so a burst of guesses timed for
        the moment a place frees up buys no more than its own size, once.
        """
        self._ask(self._receipt_hits(request, bounded=False), count=True)

    def tracked_clients(self) -> int:
        """Return how many per-client counters hold events (for tests and monitoring; no keys are exposed)."""
        now = self.clock()
        total = 0
        for window in _PER_CLIENT_WINDOWS:
            _limit_value, period = _limit(window)
            total += self.store.tracked(_bucket(window, b""), period, now)
        return total

    def sweep(self) -> None:
        """Forget every counter whose window has passed, and past days' keys."""
        self.store.sweep(self.clock())


# Used only while the store is unreachable (then nothing is counted): random per process, never stored.
_PROCESS_FALLBACK_KEY = secrets.token_bytes(32)


def _refuse(refused: Refused, hits: list[Hit], message: Callable[[int], str]) -> NoReturn:
    """Raise Throttled for a full window: its message, and the window's whole length as the wait.

    Not the seconds until the window has room again: that moment is when its oldest request leaves it, and
    the window is shared (everyone's POSTs, everyone's wrong receipts, everyone behind one address such as a
    Tor exit), so it would tell a client to the second when someone else sent a report (outside probe, stop 28).
    """
    wait = max(1, math.ceil(hits[refused.index].period))
    raise Throttled(message(wait), wait)


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


_throttle: Throttle | None = None
_throttle_lock = threading.Lock()


def throttle() -> Throttle:
    """Return this process's throttle, on the store ``PELUIT_THROTTLE_URL`` names (made on first use)."""
    global _throttle
    if _throttle is None:
        with _throttle_lock:
            if _throttle is None:
                _throttle = Throttle(store=store_from_url(str(getattr(settings, "PELUIT_THROTTLE_URL", "memory://"))))
    return _throttle


def remember_client(request: HttpRequest) -> None:
    """Attach the keyed hash of the client's address to ``request``; call before the address is stripped."""
    address = client_address(request.META)
    setattr(request, _CLIENT_ATTRIBUTE, throttle().client_key(address) if address else _UNKNOWN_CLIENT)


def client_of(request: HttpRequest) -> bytes:
    """Return the keyed hash the middleware attached to ``request`` (all unknown clients share one)."""
    key = getattr(request, _CLIENT_ATTRIBUTE, None)
    return key if isinstance(key, bytes) else _UNKNOWN_CLIENT


def check_request(request: HttpRequest) -> None:
    """Raise Throttled when this request goes over the per-client or global POST limit."""
    throttle().check_request(request)


@contextmanager
def receipt_attempt(request: HttpRequest) -> Iterator[None]:
    """Look a receipt up inside this block; a wrong receipt (``UnknownReceipt``) is counted as it leaves.

    Raises Throttled before the block runs when the client, or everyone together, has tried too many wrong
    receipts lately. Letting Throttled propagate out of a view is fine: the privacy middleware answers it
    with HTTP 429 (a page, or JSON under ``/api/``).

    Only wrong receipts count, and only once they are known to be wrong: a right receipt never takes a place
    in the window, also while lookups from the same address overlap (many reporters behind one address).
    Wrong lookups in flight when a window fills are all counted, past the limit, so the window stays closed
    until they leave it (``Throttle.count_wrong_receipt``).
    """
    limiter = throttle()
    limiter.check_receipt_attempts(request)
    try:
        yield
    except UnknownReceipt:
        limiter.count_wrong_receipt(request)
        raise


def reset_for_tests(*, clock: Callable[[], float] = time.time, store: CounterStore | None = None) -> Throttle:
    """Start afresh with a new store (this process's memory unless given) and clock (tests only)."""
    global _throttle
    _throttle = Throttle(store=store, clock=clock)
    return _throttle
