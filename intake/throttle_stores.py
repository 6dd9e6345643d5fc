"""Where the throttle keeps its counters, so that every process serving Peluit sees the same ones.

Three stores with one interface (:class:`CounterStore`), chosen by ``PELUIT_THROTTLE_URL``:

- ``redis://host:port/db``: :class:`RedisStore`; every app server using that Redis shares the limits.
- ``sqlite:////dev/shm/...`` (the default): :class:`SqliteStore`, a small SQLite file in a memory-backed
  directory (tmpfs), shared by the processes of one machine; nothing reaches a persistent disk.
- ``memory://``: :class:`MemoryStore`, this process only (tests, a single process).

Each counter is a sliding-window log: the times of the events still inside the window, per bucket (a
window's name plus a client's keyed hash, or ``*`` for everyone). The day's hashing key lives in the store
too, so every process hashes an address the same way; it is random, never derived from anything on disk,
and gone the next day. Entries and keys carry an expiry and are removed when it passes.
"""

from __future__ import annotations

import fcntl
import math
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

DAY = 86_400
KEY_BYTES = 32
# Past this many buckets, the memory store sweeps expired ones and then forgets the oldest.
MAX_MEMORY_BUCKETS = 200_000


class StoreUnavailable(Exception):
    """The store cannot be reached or used right now (the throttle then lets requests through)."""


@dataclass(frozen=True)
class Hit:
    """One event to count in ``bucket``, which allows at most ``limit`` events per ``period`` seconds."""

    bucket: bytes
    limit: int
    period: float


@dataclass(frozen=True)
class Refused:
    """``hits[index]`` was full: nothing was counted; room again in ``wait`` seconds."""

    index: int
    wait: float


@dataclass(frozen=True)
class Counted:
    """The event was counted in every bucket under ``entry`` (needed to take it back)."""

    buckets: tuple[bytes, ...]
    entry: str


class CounterStore(Protocol):
    """Sliding-window counters and the day's hashing key, shared by every process that uses the store."""

    def day_key(self, day: int) -> bytes:
        """Return the random hashing key of UTC day ``day`` (days since the epoch), creating it if needed."""
        ...

    def count(self, hits: list[Hit], now: float) -> Counted | Refused:
        """Count one event in every bucket of ``hits``, or in none of them if any is full (atomically)."""
        ...

    def uncount(self, counted: Counted) -> None:
        """Take back an event that ``count`` counted."""
        ...

    def full(self, hits: list[Hit], now: float) -> Refused | None:
        """Return the first of ``hits`` whose bucket is full (and when it has room again), counting nothing."""
        ...

    def tracked(self, prefix: bytes, period: float, now: float) -> int:
        """Return how many buckets starting with ``prefix`` still hold events of the last ``period`` seconds."""
        ...

    def sweep(self, now: float) -> None:
        """Remove every expired event and every past day's key."""
        ...


def _wait(oldest: float, period: float, now: float) -> float:
    return max(0.0, oldest + period - now)


def _new_entry() -> str:
    return secrets.token_hex(8)


class MemoryStore:
    """Counters in this process's memory (one process only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[int, bytes] = {}
        self._events: dict[bytes, deque[tuple[float, str]]] = {}
        self._periods: dict[bytes, float] = {}

    def day_key(self, day: int) -> bytes:
        """Return the key of ``day``, made in memory on first use."""
        with self._lock:
            for old in [d for d in self._keys if d < day]:
                del self._keys[old]
            return self._keys.setdefault(day, secrets.token_bytes(KEY_BYTES))

    def _live(self, bucket: bytes, period: float, now: float) -> deque[tuple[float, str]]:
        events = self._events.setdefault(bucket, deque())
        while events and events[0][0] <= now - period:
            events.popleft()
        return events

    def _first_full(self, hits: list[Hit], now: float) -> Refused | None:
        for index, hit in enumerate(hits):
            events = self._live(hit.bucket, hit.period, now)
            if len(events) >= hit.limit:
                return Refused(index, _wait(events[0][0], hit.period, now) if events else hit.period)
        return None

    def count(self, hits: list[Hit], now: float) -> Counted | Refused:
        """Count one event in every bucket of ``hits``, or in none of them if any is full."""
        with self._lock:
            refused = self._first_full(hits, now)
            if refused is not None:
                return refused
            entry = _new_entry()
            for hit in hits:
                self._events[hit.bucket].append((now, entry))
                self._periods[hit.bucket] = hit.period
            if len(self._events) > MAX_MEMORY_BUCKETS:
                self._sweep(now)
                while len(self._events) > MAX_MEMORY_BUCKETS:
                    oldest = next(iter(self._events))
                    del self._events[oldest]
                    self._periods.pop(oldest, None)
            return Counted(tuple(hit.bucket for hit in hits), entry)

    def full(self, hits: list[Hit], now: float) -> Refused | None:
        """Return the first full bucket of ``hits`` (counting nothing), or None."""
        with self._lock:
            return self._first_full(hits, now)

    def uncount(self, counted: Counted) -> None:
        """Take back the event ``counted``."""
        with self._lock:
            for bucket in counted.buckets:
                events = self._events.get(bucket)
                if events is not None:
                    kept = [event for event in events if event[1] != counted.entry]
                    self._events[bucket] = deque(kept)

    def tracked(self, prefix: bytes, period: float, now: float) -> int:
        """Return how many buckets with ``prefix`` hold events of the last ``period`` seconds."""
        with self._lock:
            return sum(
                1
                for bucket, events in self._events.items()
                if bucket.startswith(prefix) and events and events[-1][0] > now - period
            )

    def _sweep(self, now: float) -> None:
        for bucket in list(self._events):
            period = self._periods.get(bucket, 0.0)
            if not self._live(bucket, period, now):
                del self._events[bucket]
                self._periods.pop(bucket, None)

    def sweep(self, now: float) -> None:
        """Remove expired events and past days' keys."""
        with self._lock:
            self._sweep(now)
            for old in [d for d in self._keys if d < int(now // DAY)]:
                del self._keys[old]


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY,
    bucket BLOB NOT NULL,
    at REAL NOT NULL,
    expires REAL NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_bucket ON event (bucket, at);
CREATE INDEX IF NOT EXISTS event_expires ON event (expires);
CREATE TABLE IF NOT EXISTS day_key (day INTEGER PRIMARY KEY, key BLOB NOT NULL);
"""
# How many events each bucket holds, kept in step with ``event`` by every statement that adds or removes some:
# a bucket's count is then one primary-key read, whatever the number of events in its window (a count(*)
# over the window costs a step per event: 1.4 ms at 20,000, on every request of a flood with raised limits).
_SQLITE_TALLY = "CREATE TABLE IF NOT EXISTS tally (bucket BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID"
# How often one process removes every expired event (others' too), in seconds of the throttle's clock.
SQLITE_SWEEP_EVERY = 60.0


def _sqlite_removed(db: sqlite3.Connection, bucket: bytes, cursor: sqlite3.Cursor) -> None:
    """Take the events ``cursor`` (a DELETE on ``bucket``) removed off the bucket's tally."""
    if cursor.rowcount > 0:
        db.execute("UPDATE tally SET n = n - ? WHERE bucket = ?", (cursor.rowcount, bucket))


def _sqlite_first_full(db: sqlite3.Connection, hits: list[Hit], now: float) -> Refused | None:
    """Return the first of ``hits`` whose bucket is full in ``db``, or None.

    Each bucket first drops the events that left its window (as the Redis store does), so its tally counts
    exactly the events of the window: a few index steps, however many events the window holds.
    """
    for index, hit in enumerate(hits):
        left = db.execute("DELETE FROM event WHERE bucket = ? AND at <= ?", (hit.bucket, now - hit.period))
        _sqlite_removed(db, hit.bucket, left)
        row = db.execute("SELECT n FROM tally WHERE bucket = ?", (hit.bucket,)).fetchone()
        if row is not None and row[0] >= hit.limit:
            (oldest,) = db.execute("SELECT min(at) FROM event WHERE bucket = ?", (hit.bucket,)).fetchone()
            return Refused(index, _wait(oldest, hit.period, now) if oldest is not None else hit.period)
    return None


def _sqlite_sweep(db: sqlite3.Connection, now: float) -> None:
    """Remove every expired event (of any bucket) and count the tallies again from the events left.

    Counting them again (once a minute per process) also mends a tally that went out of step with its events,
    e.g. after someone edited the file: a tally too high would otherwise keep its window shut.
    """
    db.execute("DELETE FROM event WHERE expires <= ?", (now,))
    db.execute("DELETE FROM tally")
    db.execute("INSERT INTO tally (bucket, n) SELECT bucket, count(*) FROM event GROUP BY bucket")


class SqliteStore:
    """Counters in a SQLite file that every process of one machine opens; meant for a tmpfs directory.

    The directory is created private (mode 0700). Each process keeps one connection, made again after a
    fork; writes are short ``BEGIN IMMEDIATE`` transactions, one process at a time (a kernel lock on a file
    beside it), so processes queue for microseconds instead of polling for the database's lock.
    """

    def __init__(self, path: Path, *, busy_timeout: float = 2.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._lock_fd = -1
        self._pid = 0
        self._last_sweep = -math.inf

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.path.parent.stat()
        if folder.st_uid != os.getuid() or folder.st_mode & 0o077:
            # Someone else made it (e.g. in world-writable /dev/shm) or opened it up: do not write hashes there.
            raise StoreUnavailable(f"throttle store: {self.path.parent} is not private to this user")
        previous = os.umask(0o077)
        try:
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        finally:
            os.umask(previous)
        lock_fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        self._connection, self._lock_fd, self._pid = connection, lock_fd, os.getpid()
        # Set-up too runs under the kernel lock: switching a new file to WAL takes SQLite's exclusive lock,
        # and a worker that lost that race to busy writers would let its requests through unthrottled.
        with self._exclusive():
            # The file lives in memory: durability buys nothing, and a killed process cannot corrupt WAL.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.executescript(_SQLITE_SCHEMA)
            if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'tally'").fetchone() is None:
                # A store made before the tally existed: count what its events already hold.
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(_SQLITE_TALLY)
                connection.execute("INSERT INTO tally (bucket, n) SELECT bucket, count(*) FROM event GROUP BY bucket")
                connection.execute("COMMIT")
        return connection

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        # Processes queue in the kernel for a short exclusive lock (flock) rather than poll SQLite's busy
        # handler, which under heavy load can starve one of them past its timeout.
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _run(self, work: Any) -> Any:
        with self._lock:
            try:
                connection = self._connect()
                with self._exclusive():
                    connection.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(connection)
                    except BaseException:
                        connection.execute("ROLLBACK")
                        raise
                    connection.execute("COMMIT")
                    return result
            except (sqlite3.Error, OSError) as exc:
                self._forget_connection()
                raise StoreUnavailable(f"throttle store: {type(exc).__name__}: {exc}") from exc

    def _forget_connection(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            try:
                self._connection.close()
                os.close(self._lock_fd)
            except (sqlite3.Error, OSError):
                pass
        self._connection, self._lock_fd = None, -1

    def day_key(self, day: int) -> bytes:
        """Return the key of ``day``: the first process to ask stores a random one, the others read it."""

        def work(db: sqlite3.Connection) -> bytes:
            db.execute("DELETE FROM day_key WHERE day < ?", (day,))
            db.execute("INSERT OR IGNORE INTO day_key (day, key) VALUES (?, ?)", (day, secrets.token_bytes(KEY_BYTES)))
            row = db.execute("SELECT key FROM day_key WHERE day = ?", (day,)).fetchone()
            return bytes(row[0])

        result: bytes = self._run(work)
        return result

    def count(self, hits: list[Hit], now: float) -> Counted | Refused:
        """Count one event in every bucket of ``hits``, or in none of them if any is full."""

        def work(db: sqlite3.Connection) -> Counted | Refused:
            if now - self._last_sweep >= SQLITE_SWEEP_EVERY:
                _sqlite_sweep(db, now)  # the buckets nobody counts in any more
                self._last_sweep = now
            refused = _sqlite_first_full(db, hits, now)
            if refused is not None:
                return refused
            entry = _new_entry()
            db.executemany(
                "INSERT INTO event (bucket, at, expires, entry) VALUES (?, ?, ?, ?)",
                [(hit.bucket, now, now + hit.period, entry) for hit in hits],
            )
            db.executemany(
                "INSERT INTO tally (bucket, n) VALUES (?, 1) ON CONFLICT (bucket) DO UPDATE SET n = n + 1",
                [(hit.bucket,) for hit in hits],
            )
            return Counted(tuple(hit.bucket for hit in hits), entry)

        result: Counted | Refused = self._run(work)
        return result

    def full(self, hits: list[Hit], now: float) -> Refused | None:
        """Return the first full bucket of ``hits`` (counting nothing), or None."""

        result: Refused | None = self._run(lambda db: _sqlite_first_full(db, hits, now))
        return result

    def uncount(self, counted: Counted) -> None:
        """Take back the event ``counted``."""

        def work(db: sqlite3.Connection) -> None:
            for bucket in counted.buckets:
                taken = db.execute("DELETE FROM event WHERE bucket = ? AND entry = ?", (bucket, counted.entry))
                _sqlite_removed(db, bucket, taken)

        self._run(work)

    def tracked(self, prefix: bytes, period: float, now: float) -> int:
        """Return how many buckets with ``prefix`` hold events of the last ``period`` seconds."""
        rows = self._run(
            lambda db: db.execute(
                "SELECT count(DISTINCT bucket) FROM event WHERE substr(bucket, 1, ?) = ? AND at > ?",
                (len(prefix), prefix, now - period),
            ).fetchone()
        )
        return int(rows[0])

    def sweep(self, now: float) -> None:
        """Remove expired events and past days' keys."""

        def work(db: sqlite3.Connection) -> None:
            _sqlite_sweep(db, now)
            db.execute("DELETE FROM day_key WHERE day < ?", (int(now // DAY),))

        self._run(work)
        self._last_sweep = now

    def clear(self) -> None:
        """Remove every counter and key (the server is stopping: nothing is left for after the window)."""
        if self.path.exists():
            self._run(
                lambda db: db.execute("DELETE FROM event").execute("DELETE FROM tally").execute("DELETE FROM day_key")
            )


# Counts in every bucket or in none, atomically. KEYS: the buckets. ARGV: now, entry (empty: check only,
# count nothing), then limit and period of each bucket. Returns nil when counted (or none is full), else
# {index (1-based), seconds to wait as a string}.
_REDIS_COUNT = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local period = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local wait = period
    if oldest[2] then wait = tonumber(oldest[2]) + period - now end
    return {i, tostring(wait)}
  end
end
if ARGV[2] == '' then return nil end
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(period * 1000) + 1000)
end
return nil
"""
REDIS_PREFIX = b"peluit:throttle:"


class RedisStore:
    """Counters in Redis (sorted sets that expire with their window), shared by every app server.

    Keep this Redis free of persistence (``save ""``, ``appendonly no``) or use one that is: the day's key
    and the keyed hashes must not reach a disk. ``manage.py check`` warns when it can see persistence on.
    """

    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._count = self.client.register_script(_REDIS_COUNT)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    def _call(self, work: Any) -> Any:
        try:
            return work()
        except self._errors as exc:
            raise StoreUnavailable(f"throttle store: {type(exc).__name__}") from exc

    def day_key(self, day: int) -> bytes:
        """Return the key of ``day``: the first process to ask stores a random one (expiring), the others read it."""
        name = REDIS_PREFIX + b"day:" + str(day).encode()
        # Gone an hour after the day ends (real time, whatever clock the throttle is given).
        expires_in = int((day + 1) * DAY + 3600 - time.time())

        def work() -> bytes:
            self.client.set(name, secrets.token_bytes(KEY_BYTES), nx=True, ex=max(60, min(2 * DAY, expires_in)))
            value = self.client.get(name)
            if not isinstance(value, bytes) or len(value) != KEY_BYTES:
                raise StoreUnavailable("throttle store: no day key")
            return value

        result: bytes = self._call(work)
        return result

    def _script(self, hits: list[Hit], now: float, entry: str) -> Refused | None:
        """Run the counting script: count under ``entry`` unless a bucket is full (``entry`` empty: only check)."""
        keys = [REDIS_PREFIX + hit.bucket for hit in hits]
        args: list[Any] = [repr(now), entry]
        for hit in hits:
            args += [hit.limit, repr(float(hit.period))]
        answer = self._call(lambda: self._count(keys=keys, args=args))
        if answer is None:
            return None
        return Refused(int(answer[0]) - 1, max(0.0, float(answer[1])))

    def count(self, hits: list[Hit], now: float) -> Counted | Refused:
        """Count one event in every bucket of ``hits``, or in none of them if any is full (one Lua script)."""
        entry = _new_entry()
        refused = self._script(hits, now, entry)
        return refused if refused is not None else Counted(tuple(hit.bucket for hit in hits), entry)

    def full(self, hits: list[Hit], now: float) -> Refused | None:
        """Return the first full bucket of ``hits`` (counting nothing), or None (the same script)."""
        return self._script(hits, now, "")

    def uncount(self, counted: Counted) -> None:
        """Take back the event ``counted``."""

        def work() -> None:
            pipe = self.client.pipeline(transaction=False)
            for bucket in counted.buckets:
                pipe.zrem(REDIS_PREFIX + bucket, counted.entry)
            pipe.execute()

        self._call(work)

    def tracked(self, prefix: bytes, period: float, now: float) -> int:
        """Return how many buckets with ``prefix`` hold events of the last ``period`` seconds (SCAN: slow)."""

        def work() -> int:
            pattern = REDIS_PREFIX + _glob_escape(prefix) + b"*"
            return sum(
                1 for key in self.client.scan_iter(match=pattern) if self.client.zcount(key, f"({now - period}", "+inf")
            )

        result: int = self._call(work)
        return result

    def sweep(self, now: float) -> None:
        """Nothing to do: Redis expires every key by itself."""

    def persistence(self) -> list[str]:
        """Return what this Redis says it writes to disk (empty if nothing, or if it will not say)."""
        try:
            config = self.client.config_get("save")
            config.update(self.client.config_get("appendonly"))
        except self._errors:
            return []
        found = []
        if str(config.get("save", "")).strip():
            found.append(f"save {config['save']}")
        if str(config.get("appendonly", "no")).strip().lower() == "yes":
            found.append("appendonly yes")
        return found


def _glob_escape(raw: bytes) -> bytes:
    return b"".join(b"\\" + bytes([c]) if c in b"*?[]\\" else bytes([c]) for c in raw)


def store_from_url(url: str) -> CounterStore:
    """Return the store that ``PELUIT_THROTTLE_URL`` names: ``redis://``, ``rediss://``, ``sqlite:///`` or ``memory://``."""
    parts = urlsplit(url)
    if parts.scheme in {"redis", "rediss", "unix"}:
        return RedisStore(url)
    if parts.scheme == "sqlite":
        # As in DATABASE_URL: sqlite:////abs/path is an absolute path, sqlite:///rel/path a relative one.
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ValueError("PELUIT_THROTTLE_URL: a sqlite URL needs a file path")
        return SqliteStore(Path(path))
    if parts.scheme == "memory":
        return MemoryStore()
    raise ValueError(f"PELUIT_THROTTLE_URL: unknown scheme {parts.scheme!r} (redis, sqlite or memory)")
