"""A counting semaphore shared by every process on this machine (System V, with undo on exit). No Django here.

The Argon2id gate (``vault.crypto.KDF_GATE``) bounds derivations per process. gunicorn runs several worker
processes, and a per-process bound splits the machine's cores between them: with two workers and one
derivation each, a worker with three receipts waiting leaves its slot's core idle whenever the other worker's
queue runs dry. A slot shared by all workers keeps every core deriving while anyone waits, and bounds the
Argon2id memory (slots × the KDF's memory) for the whole machine instead of per worker.

System V semaphores are the one kernel primitive that counts across processes *and* gives a slot back when
its holder dies (``SEM_UNDO``): a worker killed with SIGKILL mid-derivation does not leak its slot. The
standard library has no binding for them; the few calls below go through ``ctypes`` (a library for this,
``sysv_ipc``, ships no wheels and would need a compiler on every machine).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

IPC_RMID = 0
IPC_CREAT = 0o1000
IPC_EXCL = 0o2000
GETPID = 11
GETVAL = 12
SETVAL = 16
SEM_UNDO = 0x1000
# A waiter looks every this many seconds whether the slots were ever put in (see ``_put_in_if_abandoned``).
WAIT_CHECK_SECONDS = 5.0


class _SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class HostSlotsUnavailable(OSError):
    """The machine refused a System V semaphore (no IPC namespace rights, limits reached, another owner)."""


_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_libc.semget.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
_libc.semget.restype = ctypes.c_int
_libc.semtimedop.argtypes = [ctypes.c_int, ctypes.POINTER(_SemBuf), ctypes.c_size_t, ctypes.POINTER(_TimeSpec)]
_libc.semtimedop.restype = ctypes.c_int
_libc.semctl.restype = ctypes.c_int


def _fail(what: str) -> HostSlotsUnavailable:
    number = ctypes.get_errno()
    return HostSlotsUnavailable(number, f"{what}: {os.strerror(number)}")


def _key(anchor: str, size: int) -> int:
    """Return the semaphore's key: 32 bits of a hash of the anchor's real path and the size, never 0.

    Not ``ftok``: it keeps only 16 bits of the inode and 8 of the device, so two folders on one machine
    share a key far too often (a probe found Peluit's var folder colliding with test folders).
    """
    material = f"peluit-kdf-slots\0{os.path.realpath(anchor)}\0{size}".encode("utf-8", "surrogateescape")
    key = int.from_bytes(hashlib.blake2b(material, digest_size=4).digest(), "little", signed=True)
    return key or 1  # 0 is IPC_PRIVATE


class HostSlots:
    """``size`` slots shared by every process that opens the same ``anchor`` (a path) and size.

    The semaphore outlives the processes (gunicorn's ``on_exit`` removes it); one removed while in use (a
    stopping server, an administrator's ``ipcrm``) is made again by the next process that needs a slot.
    """

    def __init__(self, anchor: str, size: int) -> None:
        if not 1 <= size <= 255:
            raise ValueError("host slots: between 1 and 255")
        self.size = size
        # A restart with another size gets its own set: the size is part of the key.
        self._key = _key(anchor, size)
        self._semid = self._open()

    def _open(self) -> int:
        semid = _libc.semget(self._key, 1, IPC_CREAT | IPC_EXCL | 0o600)
        if semid != -1:
            # Made here at 0: whoever opens it meanwhile waits until the slots are put in, just below.
            if _libc.semctl(semid, 0, SETVAL, ctypes.c_int(self.size)) == -1:
                raise _fail("semctl(SETVAL)")
            return int(semid)
        if ctypes.get_errno() != errno.EEXIST:
            raise _fail("semget(IPC_CREAT)")
        semid = _libc.semget(self._key, 1, 0o600)
        if semid == -1:
            raise _fail("semget")
        return int(semid)

    def _put_in_if_abandoned(self, semid: int) -> None:
        """Put the slots in if the process that made the semaphore died before it could (value 0, never used).

        Putting them in sets the last operator's pid, and so does every slot taken or given back: a
        semaphore at 0 whose last pid is still 0 after a waiter's ``WAIT_CHECK_SECONDS`` was never set up.
        """
        if _libc.semctl(semid, 0, GETPID) == 0 and _libc.semctl(semid, 0, GETVAL) == 0:
            _libc.semctl(semid, 0, SETVAL, ctypes.c_int(self.size))

    def _take(self, semid: int) -> None:
        while True:
            try:
                _semop(semid, -1, timeout=WAIT_CHECK_SECONDS)
                return
            except HostSlotsUnavailable as exc:
                if exc.errno != errno.EAGAIN:
                    raise
            self._put_in_if_abandoned(semid)

    def acquire(self) -> HostSlot:
        """Wait (in the kernel, without the GIL) for a free slot on this machine and return it."""
        semid = self._semid
        try:
            self._take(semid)
        except HostSlotsUnavailable as exc:
            if exc.errno not in _REMOVED:
                raise
            semid = self._semid = self._open()
            self._take(semid)
        return HostSlot(semid)

    def free(self) -> int:
        """Return how many slots are free at this moment (for tests and diagnostics)."""
        value = _libc.semctl(self._semid, 0, GETVAL)
        if value == -1:
            raise _fail("semctl(GETVAL)")
        return int(value)

    def remove(self) -> None:
        """Delete the semaphore from the kernel (the next process that needs a slot makes it again)."""
        if _libc.semctl(self._semid, 0, IPC_RMID) == -1:
            raise _fail("semctl(IPC_RMID)")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot while the block runs."""
        held = self.acquire()
        try:
            yield
        finally:
            held.release()


class HostSlot:
    """One slot taken from ``HostSlots``; ``release`` gives it back (the kernel does if the process dies)."""

    def __init__(self, semid: int) -> None:
        self._semid: int | None = semid

    def release(self) -> None:
        """Give the slot back (once; nothing to give back to a semaphore removed meanwhile)."""
        semid, self._semid = self._semid, None
        if semid is None:
            return
        try:
            _semop(semid, 1)
        except HostSlotsUnavailable as exc:
            if exc.errno not in _REMOVED:
                raise


def present(anchor: str, size: int) -> bool:
    """Return True when the kernel holds the slots of ``anchor`` and ``size`` (without making them)."""
    return bool(_libc.semget(_key(anchor, size), 1, 0o600) != -1)


# semop's answers for a semaphore removed from the kernel (EINVAL also for one whose id was never valid).
_REMOVED = (errno.EIDRM, errno.EINVAL)


def _semop(semid: int, delta: int, *, timeout: float | None = None) -> None:
    """Add ``delta`` to the semaphore (undone by the kernel at exit); wait at most ``timeout`` (EAGAIN after)."""
    buf = _SemBuf(0, delta, SEM_UNDO)
    limit = None
    if timeout is not None:
        seconds = int(timeout)
        limit = ctypes.byref(_TimeSpec(seconds, int((timeout - seconds) * 1e9)))
    while _libc.semtimedop(semid, ctypes.byref(buf), 1, limit) == -1:
        if ctypes.get_errno() != errno.EINTR:
            raise _fail("semop")
