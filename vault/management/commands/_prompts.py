"""Secrets for management commands: from an environment variable, or typed at a terminal (never echoed)."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import CommandError


def secret_from_env_or_prompt(env_var: str, prompt: str) -> str:
    """Return the value of ``env_var``, or ask for it when running at a terminal."""
    value = os.environ.get(env_var)
    if value:
        return value
    if not os.isatty(0):
        raise CommandError(f"Set {env_var} or run interactively.")
    return getpass.getpass(prompt)
