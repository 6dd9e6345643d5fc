"""gunicorn settings for Peluit: ``gunicorn -c config/gunicorn.py config.wsgi`` (bin/run does this).

What one app server tolerates from slow or malformed clients is bounded here; a buffering proxy in front
(``deploy/nginx.conf``) does the rest in production. gunicorn writes no access log, and its error log never
carries a client address (``config.gunicorn_logging``).

Environment: ``PELUIT_BIND`` (default ``127.0.0.1:8000``; comma-separated for several), ``PELUIT_WORKERS``
(default: two per CPU core) and ``PELUIT_THREADS`` (default 2). Command-line options
given to gunicorn override this file.
"""

from __future__ import annotations

import os
import time
from typing import Any

bind = [part.strip() for part in os.environ.get("PELUIT_BIND", "127.0.0.1:8000").split(",") if part.strip()]
# Four requests at once per core, as two workers of two threads: a worker's threads share one interpreter lock,
# and a thread woken for an Argon2id slot waits for it while another thread runs Python. Measured on 2 cores
# (docs/reliability.md, stop 21): 4 workers x 2 threads take about 4 % more reports/s than 2 x 4 at the same
# Argon2 limit, for about twice the workers' memory.
workers = int(os.environ.get("PELUIT_WORKERS", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("PELUIT_THREADS", "2"))
worker_class = "gthread"

# A worker whose main loop stops answering the arbiter for this long is restarted; on restart, requests in
# flight get this long to finish.
timeout = 30
graceful_timeout = 20
# Idle keep-alive connections wait in the worker's poller, not in a thread, and are closed after this.
keepalive = 5
# Request line and headers: bounded in size and number (Peluit needs no long URLs or many headers).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Logging: no access log at all; the error log goes through a logger that removes client addresses.
accesslog = None
errorlog = "-"
loglevel = "warning"
logger_class = "config.gunicorn_logging.AddresslessLogger"

# A request body must keep arriving: the time spent waiting for it may be at most BODY_GRACE_SECONDS plus one
# second per BODY_MIN_RATE bytes received, and no single wait may last longer than BODY_READ_TIMEOUT. Only
# time blocked on the client's socket counts (a busy server never cuts off a client). A client that sends
# headers and a few bytes and then goes silent frees its thread after BODY_READ_TIMEOUT seconds.
BODY_GRACE_SECONDS = 10.0
BODY_MIN_RATE = 2048.0
BODY_READ_TIMEOUT = 10.0
_PACED = "_peluit_paced_chunk"


class BodyTooSlow(TimeoutError):
    """The client stopped sending its request body, or sends it too slowly."""


class PacedChunks:
    """Wrap a gunicorn socket reader so every read of the request body is bounded in time.

    The socket gets a timeout for each read (what is left of the client's allowance, at most
    ``BODY_READ_TIMEOUT``) and is made blocking again afterwards, as gunicorn expects.
    """

    def __init__(self, sock: Any, read_chunk: Any, *, clock: Any = time.monotonic) -> None:
        self.sock = sock
        self.read_chunk = read_chunk
        self.clock = clock
        self.waited = 0.0
        self.received = 0

    def seconds_left(self) -> float:
        """Return how long the next read may wait before the client is too slow."""
        allowed = BODY_GRACE_SECONDS + self.received / BODY_MIN_RATE
        return min(BODY_READ_TIMEOUT, allowed - self.waited)

    def __call__(self, size_hint: int | None = None) -> bytes:
        left = self.seconds_left()
        if left <= 0:
            raise BodyTooSlow(f"request body too slow ({self.received} bytes in {self.waited:.0f} s)")
        self.sock.settimeout(left)
        started = float(self.clock())
        try:
            data: bytes = self.read_chunk(size_hint)
        except TimeoutError as exc:
            raise BodyTooSlow(f"request body stalled ({self.received} bytes received)") from exc
        finally:
            self.waited += float(self.clock()) - started
            self.sock.settimeout(None)
        self.received += len(data)
        return data


def on_starting(server: Any) -> None:
    """Size the Argon2id bounds the workers inherit (here, not on import: a tool importing this file keeps its
    environment as it was).

    As many derivations at once as the machine has cores, shared by every worker (vault/host_slots.py), so a
    flood of receipts cannot push the machine into swapping; and each worker its share of the cores, at least
    one, because two derivations in one process wait on each other's memory mappings (vault.crypto.KdfGate).
    With more workers than cores, a core idles only when fewer receipts wait than there are cores.
    """
    cores = os.cpu_count() or 1
    os.environ.setdefault("PELUIT_KDF_HOST_SLOTS", str(cores))
    os.environ.setdefault("PELUIT_KDF_CONCURRENCY", str(max(1, cores // max(1, int(server.cfg.workers)))))


def post_worker_init(worker: Any) -> None:
    """Load WeasyPrint before this worker serves anything.

    WeasyPrint's import turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process until
    ``reports.rendering`` puts it back. Loaded lazily by the first PDF, another thread cleaning a reporter's photo
    in that instant would accept a truncated one (an outside probe saw it happen). Other processes (task
    runners run one task at a time, management commands, tests) load it when they first render.
    """
    from reports.rendering import load_weasyprint

    load_weasyprint()


def pre_request(worker: Any, req: Any) -> None:
    """Bound the reads of this request's body (the headers have been read by now)."""
    unreader: Any = getattr(req, "unreader", None)
    sock = getattr(unreader, "sock", None)
    if unreader is None or sock is None or _PACED in vars(unreader):
        return  # HTTP/2 streams and other readers are not paced here
    paced = PacedChunks(sock, unreader.chunk)
    unreader.chunk = paced
    setattr(unreader, _PACED, paced)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Give the connection its plain reader back, so the next request on it starts afresh."""
    unreader = getattr(req, "unreader", None)
    if unreader is not None and _PACED in vars(unreader):
        del unreader.chunk
        delattr(unreader, _PACED)


def on_exit(server: Any) -> None:
    """Empty the throttle's file on this machine when gunicorn stops (Redis expires its keys by itself), and
    take the Argon2id host slots out of the kernel.

    The keyed hashes and the day's key would otherwise stay in /dev/shm past their window, until the next
    start or a reboot. Another gunicorn sharing the file starts counting afresh. The slots' semaphore would
    stay until a reboot; another gunicorn of this Peluit still running makes it again on its next derivation.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from intake.throttle_stores import SqliteStore, StoreUnavailable, store_from_url
    from vault.host_slots import HostSlots

    try:
        store = store_from_url(str(settings.PELUIT_THROTTLE_URL))
        if isinstance(store, SqliteStore):
            store.clear()
    except (StoreUnavailable, ValueError) as exc:
        server.log.warning("throttle store not emptied: %s", exc)
    slots = int(getattr(settings, "VAULT_KDF_HOST_SLOTS", 0))
    if slots:
        try:
            HostSlots(str(settings.VAR_DIR), slots).remove()
        except (OSError, ValueError) as exc:
            server.log.warning("Argon2id host slots not removed: %s", exc)
