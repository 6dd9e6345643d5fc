"""A crash in the middle of an upload leaves no plaintext on disk (issue 9, item 1; DESIGN invariant 2).

A real gunicorn receives a 50 MB attachment made of a random marker. Once the worker holds more than 20 MB of it
in its upload file, gunicorn (master and worker) is killed with SIGKILL: no clean-up code runs. Then every file
the crash could have left behind - under the project, the server's var/ and media folders and the system temp
folder - is searched for the marker. Before the fix Django spooled the upload into a named file in var/tmp,
which stayed there for good.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.gunicorn_process import ROOT, environment, running_gunicorn

MIB = 1024 * 1024
UPLOAD_BYTES = 50 * MIB
# Kill once the worker's upload file holds this much (the upload is then well under way).
KILL_AFTER_BYTES = 20 * MIB
CHUNK = 256 * 1024


def multipart_upload(marker: bytes, boundary: str) -> tuple[bytes, bytes, int]:
    """Return (headers and start of the body, one repeated piece of the file, the total length)."""
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="attachments"; filename="bukti.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + UPLOAD_BYTES + len(tail)
    request = (
        "POST /api/v1/reports/wbs HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    piece = marker * (CHUNK // len(marker))
    return request + head, piece, length


def upload_files_of(pid: int, folder: Path) -> list[int]:
    """Return the sizes of the files under ``folder`` that process ``pid`` holds open (named or not)."""
    sizes = []
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = list(fd_dir.iterdir())
    except OSError:
        return []
    for fd in fds:
        try:
            # A nameless (O_TMPFILE or unlinked) file reads "<folder>/#1234 (deleted)" or similar.
            if os.readlink(fd).startswith(str(folder)):
                sizes.append(os.stat(fd).st_size)
        except OSError:
            continue
    return sizes


def files_changed_since(started: float, *folders: Path) -> Iterator[Path]:
    """Yield the regular files below ``folders`` modified since ``started`` (no symlinks followed)."""
    for folder in folders:
        for directory, subdirs, names in os.walk(folder):
            subdirs[:] = [d for d in subdirs if d not in {".git", ".venv", "node_modules"}]
            for name in names:
                path = Path(directory, name)
                try:
                    status = path.lstat()
                except OSError:
                    continue
                if path.is_file() and not path.is_symlink() and status.st_mtime >= started:
                    yield path


def holds(path: Path, marker: bytes) -> bool:
    """Return whether the file at ``path`` contains ``marker`` (read in pieces; unreadable files count as not)."""
    overlap = b""
    try:
        with path.open("rb") as stream:
            while piece := stream.read(4 * MIB):
                if marker in overlap + piece:
                    return True
                overlap = piece[-len(marker) :]
    except OSError:
        return False
    return False


@pytest.mark.slow
def test_kill_9_in_the_middle_of_an_upload_leaves_no_plaintext(tmp_path: Path) -> None:
    marker = secrets.token_hex(16).encode()
    var_dir, media_root = tmp_path / "var", tmp_path / "media"
    upload_dir = var_dir / "tmp"
    started = time.time() - 2  # file times have a coarse grain on some file systems
    request, piece, length = multipart_upload(marker, boundary=secrets.token_hex(8))

    with running_gunicorn(environment(var_dir, media_root), tmp_path / "gunicorn.log") as server:
        # Generous: on a busy machine the worker may need a while to start before it reads anything.
        with socket.create_connection(("127.0.0.1", server.port), timeout=300) as client:
            client.sendall(request)
            sent = 0
            # Send 30 MB of the 50, then wait until the worker has spooled 20 MB of it: the upload is in flight.
            while sent < 30 * MIB:
                client.sendall(piece)
                sent += len(piece)
            deadline = time.monotonic() + 120
            spooled: list[int] = []
            while time.monotonic() < deadline:
                spooled = [size for pid in server.worker_pids() for size in upload_files_of(pid, upload_dir)]
                if any(size >= KILL_AFTER_BYTES for size in spooled):
                    break
                time.sleep(0.05)
            assert any(size >= KILL_AFTER_BYTES for size in spooled), f"the upload never reached var/tmp: {spooled}"
            server.kill_all()
        assert sent < length, "killed before the upload was complete"

    control = tmp_path / "control.bin"
    control.write_bytes(b"positive control " + marker)
    search = [ROOT, tmp_path, Path(tempfile.gettempdir())]
    found = {path for path in files_changed_since(started, *search) if holds(path, marker)}
    assert found == {control}, f"plaintext of the upload left in {sorted(map(str, found - {control}))}"
