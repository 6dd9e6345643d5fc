"""Verification of the whole audit log: every leaf hash, the hash chain, the Merkle tree and every checkpoint.

One streaming pass over the events (raw cursor, no model instances) recomputes each event's leaf hash from its
columns (it must equal the stored one, from which proofs are served), the chained hash, and the tree root at
every size a checkpoint covers. Stored checkpoints must carry a valid signature by this installation's key and a
root equal to the recomputed one; two checkpoints whose roots both equal roots recomputed from the same sequence
of leaves are consistent with each other by construction. A checkpoint row's ``created_at``, which is not signed,
must be within ``TIME_TOLERANCE`` of the time its note signed.
A checkpoint held outside (``external``) is checked the same way and, in addition, with an RFC 9162 consistency
proof from its size to today's log.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import cast

from django.db import NotSupportedError
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.dateparse import parse_datetime

from audit import merkle, signing
from audit.actions import Action
from audit.chain import FIELDS, FORMAT_TAG, FORMAT_TAG_V1, GENESIS
from audit.models import AuditCheckpoint, AuditEvent
from audit.note import CheckpointBody, NoteError, parse_checkpoint, parse_signed_note

# A power of two, so each full batch is one perfect subtree of the Merkle tree.
FETCH_SIZE = 1 << 12
MAX_PROBLEMS = 50
# A checkpoint row's ``created_at`` (not signed) and the time its signed note gives (whole seconds) differ by less
# than this unless the row was edited: ``audit_verify`` names such a row, and the console's list flags it.
TIME_TOLERANCE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the log: the first event or checkpoint it concerns, and what."""

    message: str
    seq: int | None = None
    checkpoint_size: int | None = None


@dataclass
class Report:
    """The outcome of a verification pass."""

    events: int = 0
    checkpoints: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    problems: list[Problem] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    # The time (at_us) of the last event at each size in ``roots``.
    last_times: dict[int, int] = field(default_factory=dict)
    leaves: list[bytes] | None = None
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        """Return True when nothing is wrong."""
        return not self.problems


class CheckpointInputError(ValueError):
    """A checkpoint given from outside that cannot be used: malformed, unknown key, bad signature, other log."""


# seq, leaf bytes (without the 0x00 prefix), stored leaf hash, stored chained hash, at_us (None: damaged). The
# chain link checks the recomputed leaf; the stored leaf hash must equal it too, because the proofs served to
# witnesses and shown on an event's page are built from the stored leaf hashes.
Row = tuple[int, bytes | None, bytes | None, bytes, int]


def _leaf_bytes_sql(connection: BaseDatabaseWrapper) -> str:
    """Return an SQL expression that builds each event's leaf bytes in the database.

    The database joins the columns in ``chain.FIELDS`` order exactly as ``chain.row_bytes`` does, which is
    much faster than formatting a million rows in Python; the tests check that both agree. An event with an
    empty salt is in leaf format 1 (no salt line, the old tag). A NULL in any column (which the schema
    forbids) makes the whole value NULL, so such a row never passes as an empty string. The expression holds
    no parameters (only quoted identifiers and the constant format tags), so it also works inside COPY.

    SQLite formats the line with one ``printf`` (a chain of ``||`` copies the growing string once per field,
    which took a third of the verify time) and returns it as a BLOB, the UTF-8 bytes that are hashed, so no
    text object is decoded and encoded again per row. PostgreSQL concatenates and converts to UTF-8 bytes on
    the server, which works while this process hashes.
    """
    if not all(re.fullmatch(r"[a-z0-9./-]+", tag) for tag in (FORMAT_TAG, FORMAT_TAG_V1)):
        raise ValueError("the format tags must stay plain SQL literals")
    quote = connection.ops.quote_name
    salt = quote(FIELDS[0])
    if connection.vendor == "sqlite":
        columns = [f"COALESCE({quote(n)}, '')" if n == "actor_staff_id" else quote(n) for n in FIELDS[1:]]
        lines = "\n".join(["%s"] * len(columns))  # a newline inside an SQL string literal is that character
        v1 = f"printf('{FORMAT_TAG_V1}\n{lines}', {', '.join(columns)})"
        v2 = f"printf('{FORMAT_TAG}\n%s\n{lines}', {salt}, {', '.join(columns)})"
        null = " OR ".join(f"{quote(n)} IS NULL" for n in FIELDS if n != "actor_staff_id")
        return f"CAST(CASE WHEN {null} THEN NULL WHEN {salt} = '' THEN {v1} ELSE {v2} END AS BLOB)"
    parts = []
    for name in FIELDS[1:]:
        if name == "actor_staff_id":
            parts.append(f"COALESCE(CAST({quote(name)} AS TEXT), '')")
        elif name in ("seq", "at_us"):
            parts.append(f"CAST({quote(name)} AS TEXT)")
        else:
            parts.append(quote(name))
    head = f"CASE WHEN {salt} = '' THEN '{FORMAT_TAG_V1}' ELSE '{FORMAT_TAG}' || chr(10) || {salt} END"
    return f"convert_to({' || chr(10) || '.join([head, *parts])}, 'UTF8')"


def _of_type(column: str, kind: str) -> str:
    """Return SQLite SQL for ``column`` where its cell holds a ``kind`` value ('blob', 'integer', ...), else NULL.

    A SQLite column holds whatever is written into it; a cell of another type is read as NULL (named as damage),
    never decoded as text (which can fail) or compared as such.
    """
    return f"CASE WHEN typeof({column}) = '{kind}' THEN {column} END"


def _batches(connection: BaseDatabaseWrapper, upto: int | None) -> Iterator[list[Row]]:
    """Yield the events' rows in ``seq`` order, ``FETCH_SIZE`` at a time (the last batch may be shorter)."""
    quote = connection.ops.quote_name
    seq, leaf, link, at_us = quote("seq"), quote("leaf_hash"), quote("chain_hash"), quote("at_us")
    if connection.vendor == "sqlite":
        # A hash that is not a BLOB, or a seq or time that is not an integer, is damage (see ``_of_type``).
        leaf, link, seq, at_us = (
            _of_type(leaf, "blob"),
            _of_type(link, "blob"),
            _of_type(seq, "integer"),
            _of_type(at_us, "integer"),
        )
    sql = (
        f"SELECT {seq}, {_leaf_bytes_sql(connection)}, {leaf}, {link}, {at_us} "  # noqa: S608 - quoted identifiers
        f"FROM {quote(AuditEvent._meta.db_table)}"
    )
    if upto is not None:
        sql += f" WHERE {quote('seq')} <= {int(upto)}"
    sql += f" ORDER BY {quote('seq')}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams while we hash (the server works on the other CPU); a cursor would wait per batch.
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "bytea", "bytea", "bytea", "int8"])
                rows = copy.rows()
                while batch := list(islice(rows, FETCH_SIZE)):
                    yield cast(list[Row], batch)
            return
        cursor.execute("PRAGMA encoding")
        (encoding,) = cursor.fetchone()
        if encoding != "UTF-8":  # CAST AS BLOB gives the text in the database's encoding; Django makes UTF-8 files
            raise NotSupportedError(f"the audit log's SQLite database is in {encoding}, not UTF-8")
        cursor.execute(sql)
        while batch := cursor.fetchmany(FETCH_SIZE):
            yield cast(list[Row], batch)


def _chain_problem(seq: int, *, content_changed: bool) -> Problem:
    if content_changed:
        return Problem(f"event #{seq} was changed: its content does not match its leaf hash", seq)
    return Problem(
        f"event #{seq} does not follow event #{seq - 1} in the hash chain "
        "(an event was inserted, removed, reordered or rewritten before it)",
        seq,
    )


def _leaf_problem(seq: int) -> Problem:
    # The event and its chain link agree, only the stored leaf hash differs: either that column alone was edited,
    # or the event was changed and its link recomputed (the checkpoints tell which). Every check here recomputes
    # the leaf, but the proofs served from the stored one would fail.
    return Problem(
        f"event #{seq} does not match its stored leaf hash although its chain link does: either the leaf_hash "
        "column was edited, or the event was changed and its chain link recomputed (inclusion and consistency "
        "proofs built from the stored leaf hashes would fail)",
        seq,
    )


class _Chain:
    """The event-by-event checks over the batches of rows: leaf hashes, chain links, gaps and time order.

    ``check`` returns a batch's recomputed leaf hashes and its times. An intact batch (nearly every batch) is
    checked as a whole, with the hashing in tight loops and the comparisons over whole lists; only a
    batch where one of them fails is walked again row by row, which names each problem exactly as before.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.previous = GENESIS  # the chained hash of the last row checked
        self.expected = 1  # the next seq
        self.previous_us: int | None = None

    def check(self, rows: list[Row]) -> tuple[list[bytes], Sequence[int]]:
        """Check one batch of rows that follows the rows checked so far."""
        # One list per column (zip(*rows) over tens of thousands of rows is several times slower).
        seqs, texts, stored_leaves, stored_chains, times = (list(map(itemgetter(column), rows)) for column in range(5))
        first = self.expected
        if None in texts or None in stored_chains or None in times or seqs != list(range(first, first + len(rows))):
            return self._walk(rows)
        sha256 = hashlib.sha256
        leaves = merkle.leaf_hashes(texts)
        if leaves != stored_leaves:
            return self._walk(rows)
        # Each link is checked against the stored link before it, as the walk does after a broken link; with no
        # broken link that is exactly the recomputed chain.
        links = [
            sha256(previous + leaf).digest()
            for previous, leaf in zip([self.previous, *stored_chains[:-1]], leaves, strict=True)
        ]
        if links != stored_chains or not self._in_time_order(times):
            return self._walk(rows)
        self.previous = links[-1]
        self.expected = first + len(rows)
        self.previous_us = times[-1]
        return leaves, times

    def _in_time_order(self, times: list[int]) -> bool:
        return (self.previous_us is None or times[0] >= self.previous_us) and sorted(times) == times

    def _walk(self, rows: list[Row]) -> tuple[list[bytes], Sequence[int]]:
        """Check the rows one by one and name every problem (up to ``MAX_PROBLEMS`` in all)."""
        problems = self.problems
        sha256 = hashlib.sha256
        leaves = []
        previous, expected, previous_us = self.previous, self.expected, self.previous_us
        times = []
        for seq, text, stored_leaf, stored_chain, at_us in rows:
            if seq is None or seq < expected:
                # Not a whole number, or a number out of its place (rows come in seq order): the table was
                # altered. The row is left out of the chain; the gap it left is named where the log resumes.
                if len(problems) < MAX_PROBLEMS:
                    shown = "a seq that is not a whole number" if seq is None else f"the seq {seq}"
                    problems.append(
                        Problem(
                            f"an event after #{expected - 1} has {shown}: seq numbers run 1, 2, 3, … "
                            "(the table was altered)",
                            expected,
                        )
                    )
                continue
            if seq != expected and len(problems) < MAX_PROBLEMS:
                missing = f"#{expected}" if seq == expected + 1 else f"#{expected} to #{seq - 1}"
                problems.append(Problem(f"event {missing} is missing (deleted): the log jumps to #{seq}", expected))
            expected = seq
            # A NULL where the schema forbids one (or, in SQLite, a value of another type): the table itself was
            # altered. A NULL leaf hash or link never matches.
            leaf = sha256(b"\x00" + (b"" if text is None else bytes(text))).digest()
            leaf_kept = stored_leaf is not None and bytes(stored_leaf) == leaf
            chained = sha256(previous + leaf).digest()
            if chained != stored_chain:
                if len(problems) < MAX_PROBLEMS:
                    # The event no longer matches its stored leaf hash: it was changed. Otherwise the link itself
                    # (or an event before it) was.
                    problems.append(_chain_problem(seq, content_changed=not leaf_kept))
                if stored_chain is not None:  # resume from the stored link to find later, independent damage
                    chained = bytes(stored_chain)
            elif not leaf_kept and len(problems) < MAX_PROBLEMS:
                problems.append(_leaf_problem(seq))
            previous = chained
            if at_us is None:
                if len(problems) < MAX_PROBLEMS:
                    problems.append(Problem(f"event #{seq} has no time (no whole number): the table was altered", seq))
                at_us = previous_us if previous_us is not None else 0
            elif previous_us is not None and at_us < previous_us and len(problems) < MAX_PROBLEMS:
                problems.append(
                    Problem(f"event #{seq} is dated before the event preceding it: time went backwards in the log", seq)
                )
            previous_us = at_us
            times.append(at_us)
            leaves.append(leaf)
            expected += 1
        self.previous, self.expected, self.previous_us = previous, expected, previous_us
        return leaves, times


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees every row).

    A scan allocates a tuple per row, which would trigger a collection every few hundred rows, each walking
    the ever larger set of live objects; the rows hold no reference cycles, so those passes free nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_events(
    *,
    sizes: Iterable[int] = (),
    upto: int | None = None,
    keep_leaves: bool = False,
    connection: BaseDatabaseWrapper | None = None,
) -> Report:
    """Recompute every event's leaf hash and chained hash, and the tree root at each of ``sizes``.

    Events are read in ``seq`` order, up to ``upto`` if given; an event dated before the one preceding it (time
    going backwards) is a problem too. Problems are listed in log order; after a broken link the chain resumes
    from the stored hash, so later independent damage is reported too.
    """
    conn = connection or default_connection
    started = time.perf_counter()
    report = Report(leaves=[] if keep_leaves else None)
    wanted = iter(sorted({size for size in sizes if size > 0}))
    next_wanted = next(wanted, None)
    report.roots[0] = merkle.EMPTY_ROOT
    builder = merkle.RootBuilder()
    links = _Chain(report.problems)
    with _without_cycle_collection():
        for rows in _batches(conn, upto):
            leaves, times = links.check(rows)
            if report.leaves is not None:
                report.leaves.extend(leaves)
            start = builder.size
            # A checkpoint's size inside this batch: the tree up to it, then the rest.
            while next_wanted is not None and next_wanted <= start + len(leaves):
                builder.extend(leaves[builder.size - start : next_wanted - start])
                report.roots[next_wanted] = builder.root()
                report.last_times[next_wanted] = times[next_wanted - start - 1]
                next_wanted = next(wanted, None)
            builder.extend(leaves[builder.size - start :])
    report.events = builder.size
    report.root_hash = builder.root()
    report.roots[builder.size] = report.root_hash
    if links.previous_us is not None:
        report.last_times[builder.size] = links.previous_us
    report.seconds = time.perf_counter() - started
    return report


def verified_body(note: str, verifier: signing.VerifierKey) -> CheckpointBody:
    """Return the checkpoint in ``note`` after checking its signature by ``verifier`` and its origin.

    Raises ``CheckpointInputError`` (unknown key, bad signature, another log) or ``NoteError`` (malformed).
    """
    parsed = parse_signed_note(note)
    ours = [s for s in parsed.signatures if verifier.matches(s)]
    if not ours:
        known = ", ".join(f"{s.name} ({s.key_id.hex()})" for s in parsed.signatures)
        raise CheckpointInputError(
            f"the checkpoint is signed by an unknown key: {known}; this log's key is {verifier.encode()}"
        )
    if not any(verifier.verify(parsed.text.encode(), s.signature) for s in ours):
        raise CheckpointInputError("the checkpoint's signature does not verify: it was altered or forged")
    body = parse_checkpoint(parsed.text)
    if body.origin != verifier.name:
        raise CheckpointInputError(f"the checkpoint is for another log ({body.origin!r}, not {verifier.name!r})")
    return body


def _text(value: str | bytes | memoryview | None) -> str | None:
    """Return a text cell as text; None for a NULL or bytes that are not UTF-8 (an altered cell)."""
    if value is None or isinstance(value, str):
        return value
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _recorded_checkpoints(connection: BaseDatabaseWrapper) -> list[tuple[int, int]]:
    """Return (event seq, tree size) for every ``audit.checkpoint_created`` (or ``_published``) event in the log.

    Each such event is the last leaf of the checkpoint it announces (they are written in one transaction),
    so a checkpoint row deleted later is still named by the log itself. An event altered so that it cannot be
    read (in SQLite: text that is not UTF-8, a seq that is not a whole number) is skipped; its leaf hash names it.
    """
    quote = connection.ops.quote_name
    seq, details = quote("seq"), quote("details")
    if connection.vendor == "sqlite":
        seq, details = _of_type(seq, "integer"), f"CAST({details} AS BLOB)"
    recorded = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {seq}, {details} FROM {quote(AuditEvent._meta.db_table)} "  # noqa: S608 - quoted identifiers
            f"WHERE {quote('action')} IN (%s, %s) ORDER BY {quote('seq')}",
            [Action.CHECKPOINT_CREATED.value, Action.CHECKPOINT_PUBLISHED.value],
        )
        rows = cursor.fetchall()
    for number, value in rows:
        try:
            size = json.loads(_text(value) or "").get("tree_size")
        except (ValueError, AttributeError):
            continue  # an altered event; its leaf hash names it
        if isinstance(number, int) and isinstance(size, int) and not isinstance(size, bool) and size > 0:
            recorded.append((number, size))
    return recorded


# A stored checkpoint row: tree size, root hash, note, and ``created_at`` (None: it cannot be read as a time).
StoredCheckpoint = tuple[int, bytes, str, datetime | None]


def _stored_checkpoints(connection: BaseDatabaseWrapper) -> tuple[list[StoredCheckpoint], list[Problem]]:
    """Return the checkpoint rows (tree size, root hash, note, created_at) by size, and a problem per unreadable row.

    A row is unreadable when a cell is NULL, or in SQLite holds another type (a size that is not a whole number,
    a root hash that is not a BLOB) or text that is not UTF-8: the checkpoint table was altered. ``created_at``
    is not signed, so a time that cannot be read leaves the row readable, with None for it (see ``_row_time``).
    """
    quote = connection.ops.quote_name
    size, root, note, created = quote("tree_size"), quote("root_hash"), quote("note"), quote("created_at")
    if connection.vendor == "sqlite":
        size, root = _of_type(size, "integer"), _of_type(root, "blob")
        note = f"CAST({_of_type(note, 'text')} AS BLOB)"  # bytes: text that is not UTF-8 is named, not raised
        created = f"CAST({_of_type(created, 'text')} AS BLOB)"  # Django keeps a time as ISO 8601 text
    else:
        # Seconds since 1970: a time Python cannot hold (after year 9999) would fail the whole read; 'infinity' is
        # no time (NULL).
        created = f"CASE WHEN isfinite({created}) THEN EXTRACT(EPOCH FROM {created}) END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {size}, {root}, {note}, {created} "  # noqa: S608 - quoted identifiers
            f"FROM {quote(AuditCheckpoint._meta.db_table)}"
        )
        rows = cursor.fetchall()
    readable, problems = [], []
    for tree_size, root_hash, value, created_at in rows:
        text = _text(value)
        if tree_size is None or root_hash is None or text is None:
            which = "a checkpoint row" if tree_size is None else f"the checkpoint row of tree size {tree_size}"
            problems.append(
                Problem(
                    f"{which} cannot be read (a size, root hash or note of the wrong kind): "
                    "the checkpoint table was altered",
                    checkpoint_size=tree_size,
                )
            )
            continue
        readable.append((int(tree_size), bytes(root_hash), text, _row_time(created_at)))
    readable.sort(key=itemgetter(0))
    return readable, problems


def _row_time(value: bytes | memoryview | Decimal | float | None) -> datetime | None:
    """Return a checkpoint row's ``created_at`` as read by ``_stored_checkpoints`` (UTC), or None for no time.

    SQLite gives the text's bytes (read as Django reads the column: ISO 8601, UTC unless it names an offset),
    PostgreSQL the seconds since 1970. None for a NULL, text that is not UTF-8 or no time, and a time Python
    cannot hold (outside years 1 to 9999).
    """
    try:
        if isinstance(value, Decimal | float):
            return _EPOCH + timedelta(seconds=float(value))
        text = _text(value)
        parsed = parse_datetime(text) if text is not None else None
        if parsed is None:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # a date that does not exist (month 13), or out of range
        return None


def _row_time_problem(size: int, created_at: datetime | None, signed_at: datetime | None) -> Problem | None:
    """Return a problem when a verified checkpoint's row does not hold the time its note was signed.

    ``created_at`` is not part of the signed note: only an edit makes it unreadable, or more than
    ``TIME_TOLERANCE`` away from the note's ``time`` line. A note without a time line has nothing to compare.
    """
    signed = f"{signed_at:%Y-%m-%dT%H:%M:%SZ}" if signed_at is not None else None
    if created_at is None:
        when = f" and is not when its note was signed ({signed})" if signed is not None else ""
        return Problem(
            f"checkpoint of tree size {size}: its row's created_at cannot be read as a time{when}: "
            "the checkpoint table was altered",
            checkpoint_size=size,
        )
    if signed_at is not None and abs(created_at - signed_at) > TIME_TOLERANCE:
        return Problem(
            f"checkpoint of tree size {size}: its row's created_at ({created_at:%Y-%m-%dT%H:%M:%SZ}) "
            f"is not when its note was signed ({signed}): the checkpoint table was altered",
            checkpoint_size=size,
        )
    return None


def verify_log(*, connection: BaseDatabaseWrapper | None = None) -> Report:
    """Verify every event and every stored checkpoint; return a report whose first problem names the first damage.

    Problems found event by event come first, in log order; checkpoint problems (which bound damage that
    was hidden by recomputed hashes, or name a truncated tail) follow.
    """
    verifier = signing.verifier_key()
    conn = connection or default_connection
    checkpoints, unreadable = _stored_checkpoints(conn)
    report = scan_events(sizes=[size for size, *_row in checkpoints], connection=conn)
    report.checkpoints = len(checkpoints) + len(unreadable)
    report.problems.extend(unreadable)
    stored_sizes = {size for size, *_row in checkpoints}
    stored_sizes |= {problem.checkpoint_size for problem in unreadable if problem.checkpoint_size is not None}
    for seq, size in _recorded_checkpoints(conn):
        if size not in stored_sizes:
            report.problems.append(
                Problem(
                    f"the checkpoint of tree size {size} recorded by event #{seq} is missing: it was deleted",
                    seq=seq,
                    checkpoint_size=size,
                )
            )
    good_size = 0
    dated: list[tuple[int, datetime]] = []
    for size, stored_root, note, created_at in checkpoints:
        try:
            body = verified_body(note, verifier)
        except (NoteError, CheckpointInputError) as error:
            report.problems.append(Problem(f"checkpoint of tree size {size}: {error}", checkpoint_size=size))
            continue
        if body.signed_at is not None:
            dated.append((size, body.signed_at))
        time_problem = _row_time_problem(size, created_at, body.signed_at)
        if time_problem is not None:
            report.problems.append(time_problem)
        if body.tree_size != size or body.root_hash != bytes(stored_root):
            report.problems.append(
                Problem(f"checkpoint of tree size {size}: its row does not match its signed note", checkpoint_size=size)
            )
            continue
        if size > report.events:
            report.problems.append(
                Problem(
                    f"the log ends at event #{report.events} but the checkpoint of tree size {size} covers "
                    f"{size} events: events #{report.events + 1} to #{size} were removed",
                    seq=report.events + 1,
                    checkpoint_size=size,
                )
            )
            continue
        if report.roots.get(size) != body.root_hash:
            report.problems.append(
                Problem(
                    f"checkpoint of tree size {size} does not match the log: an event between #{good_size + 1} "
                    f"and #{size} was changed, inserted, removed or reordered",
                    seq=good_size + 1,
                    checkpoint_size=size,
                )
            )
            continue
        good_size = size
    report.problems.extend(_time_problems(dated, report))
    return report


def _time_problems(dated: list[tuple[int, datetime]], report: Report) -> list[Problem]:
    """Return where time goes backwards between checkpoints, or a checkpoint predates the events it covers.

    ``dated`` holds (tree size, signed time) of the checkpoints whose signature verified, by tree size.
    Checkpoint times have whole seconds; the last event a checkpoint covers is its own ``checkpoint_created``
    event, recorded the moment before signing, so it may be up to a second "later" than the time line.
    """
    problems = []
    previous: tuple[int, datetime] | None = None
    for size, signed_at in dated:
        if previous is not None and signed_at < previous[1]:
            problems.append(
                Problem(
                    f"the checkpoint of tree size {size} is dated before the checkpoint of tree size {previous[0]}: "
                    "time went backwards",
                    checkpoint_size=size,
                )
            )
        last_us = report.last_times.get(size)
        if last_us is not None and last_us >= (int(signed_at.timestamp()) + 1) * 1_000_000:
            problems.append(
                Problem(
                    f"the checkpoint of tree size {size} is dated before event #{size}, which it covers: "
                    "time went backwards",
                    seq=size,
                    checkpoint_size=size,
                )
            )
        previous = (size, signed_at)
    return problems


@dataclass(frozen=True)
class ExternalResult:
    """How a checkpoint held outside relates to today's log."""

    body: CheckpointBody
    log_size: int
    consistent: bool
    message: str
    proof: tuple[bytes, ...] = ()


def verify_external_checkpoint(note: str, *, connection: BaseDatabaseWrapper | None = None) -> ExternalResult:
    """Check a checkpoint copied from outside (e.g. a PDF) against today's log.

    Raises ``CheckpointInputError`` or ``NoteError`` when the text cannot be used (malformed, unknown key,
    bad signature, another log). Otherwise returns whether the log still has the checkpoint's tree as a
    prefix, proven with an RFC 9162 consistency proof from the checkpoint's size to today's size.
    """
    verifier = signing.verifier_key()
    body = verified_body(note, verifier)
    report = scan_events(sizes=[body.tree_size], keep_leaves=True, connection=connection)
    if body.tree_size > report.events:
        return ExternalResult(
            body,
            report.events,
            False,
            f"the log is shorter than the checkpoint: it has {report.events} events, the checkpoint covers "
            f"{body.tree_size}; events #{report.events + 1} to #{body.tree_size} were removed",
        )
    leaves = report.leaves or []
    proof = merkle.consistency_proof(body.tree_size, leaves)
    ok = report.roots.get(body.tree_size) == body.root_hash and merkle.verify_consistency(
        old_size=body.tree_size,
        new_size=report.events,
        old_root=body.root_hash,
        new_root=report.root_hash,
        proof=proof,
    )
    if not ok:
        return ExternalResult(
            body,
            report.events,
            False,
            f"the log does not match the checkpoint: an event at or before #{body.tree_size} was changed, "
            "inserted, removed or reordered since the checkpoint was signed",
        )
    return ExternalResult(
        body,
        report.events,
        True,
        f"the checkpoint of tree size {body.tree_size} is consistent with today's log of {report.events} events "
        f"(consistency proof of {len(proof)} hashes)",
        tuple(proof),
    )


@dataclass(frozen=True)
class WitnessedResult:
    """A witnessed checkpoint checked against today's log: consistency, who cosigned it, and time."""

    external: ExternalResult
    witnesses: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        """Return True when the log extends the witnessed checkpoint and time does not go backwards."""
        return self.external.consistent and not self.problems


def witnessed_note(text: str) -> tuple[str, list[signing.VerifierKey]]:
    """Return the cosigned note in ``text`` (a witness state file, JSON, or the note itself) and the witness keys
    the text names (a state file names its witness's key)."""
    if not text.lstrip().startswith("{"):
        return text, []
    try:
        data = json.loads(text)
        note, key = str(data["checkpoint"]), str(data.get("witness_key") or "")
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointInputError(f"not a witness state file: {error}") from None
    if not key:
        return note, []
    try:
        return note, [signing.parse_verifier_key(key, key_type=signing.COSIGNATURE_ED25519)]
    except signing.VerifierKeyError as error:
        raise CheckpointInputError(f"the state file's witness key is not usable: {error}") from None


def verify_witnessed_checkpoint(text: str, *, connection: BaseDatabaseWrapper | None = None) -> WitnessedResult:
    """Check a checkpoint cosigned by a witness (``audit_witness``'s state file or its cosigned note) against
    today's log.

    The log's own signature and at least one cosignature by a known witness (``PELUIT_AUDIT_WITNESSES``, or the
    key named in the state file) must verify, else ``CheckpointInputError``. Then today's log must extend the
    witnessed tree (consistency proof), and time must not go backwards: stored checkpoints of smaller trees are
    not dated after it, those of larger trees not before it, and the last event it covers not after it.

    Stored checkpoints are read as ``verify_log`` reads them: a row altered so that it cannot be read, or a note
    that does not parse, is left out here and named by ``verify_log``.
    """
    note, named = witnessed_note(text)
    parsed = parse_signed_note(note)
    witnesses = [*signing.configured_witnesses(), *named]
    cosigners = sorted(
        {w.name for w in witnesses for s in parsed.signatures if signing.verify_cosignature(parsed.text, s, w)}
    )
    if not cosigners:
        raise CheckpointInputError("the checkpoint carries no valid cosignature by a known witness")
    external = verify_external_checkpoint(note, connection=connection)
    problems = []
    signed_at = external.body.signed_at
    size = external.body.tree_size
    if signed_at is not None and external.consistent:
        checkpoints, _unreadable = _stored_checkpoints(connection or default_connection)
        for other_size, _root, other_note, _created_at in checkpoints:
            try:
                other_at = parse_checkpoint(parse_signed_note(other_note).text).signed_at
            except NoteError:
                continue
            if other_at is None:
                continue
            if (other_size > size and other_at < signed_at) or (other_size < size and other_at > signed_at):
                problems.append(
                    f"the stored checkpoint of tree size {other_size} is dated {other_at:%Y-%m-%dT%H:%M:%SZ}, "
                    f"against the witnessed checkpoint of tree size {size} dated {signed_at:%Y-%m-%dT%H:%M:%SZ}: "
                    "time went backwards"
                )
        last_us = AuditEvent.objects.filter(seq=size).values_list("at_us", flat=True).first()
        if last_us is not None and last_us >= (int(signed_at.timestamp()) + 1) * 1_000_000:
            problems.append(
                f"event #{size} is dated after the witnessed checkpoint that covers it: time went backwards"
            )
    return WitnessedResult(external=external, witnesses=tuple(cosigners), problems=tuple(problems))
