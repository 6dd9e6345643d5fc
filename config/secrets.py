"""Secrets that must never be committed: read from the environment or generated once into var/.

The generated file lives outside version control (``var/`` is git-ignored) and is created with mode 0600.
In production set the environment variables instead, so every app server shares the same values.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from pathlib import Path


def load_or_create(path: Path, name: str, env_var: str, nbytes: int = 48) -> str:
    """Return the secret ``name`` from ``env_var`` or from the JSON file at ``path``, creating it once.

    Several processes may start at once on a fresh ``var/`` (gunicorn's workers each load the settings): the
    file is created under an exclusive lock and read again inside it, so they all get the same value. Two
    workers with different secret keys would, for instance, not share one throttle.
    """
    from_env = os.environ.get(env_var)
    if from_env:
        return from_env
    stored = _read(path)
    if name in stored:
        return stored[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        stored = _read(path)  # another process may have written it while we waited
        if name not in stored:
            stored[name] = secrets.token_urlsafe(nbytes)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secrets-", suffix=".tmp")  # mode 0600
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle)
            os.replace(tmp, path)
        return stored[name]
    finally:
        os.close(lock_fd)  # closing releases the lock


def _read(path: Path) -> dict[str, str]:
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return {}
