"""Secrets that must never be committed: read from the environment or generated once into var/.

The generated file lives outside version control (``var/`` is git-ignored) and is created with mode 0600.
In production set the environment variables instead, so every app server shares the same values.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


def load_or_create(path: Path, name: str, env_var: str, nbytes: int = 48) -> str:
    """Return the secret ``name`` from ``env_var`` or from the JSON file at ``path``, creating it once."""
    from_env = os.environ.get(env_var)
    if from_env:
        return from_env
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    if name not in stored:
        stored[name] = secrets.token_urlsafe(nbytes)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
        os.replace(tmp, path)
    return stored[name]
