"""Celery tasks of the vault."""

from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from vault.attachments import sweep_orphaned_blobs
from vault.followup import purge_expired_followups
from vault.held import purge_expired_held_files


@shared_task(name="vault.tasks.housekeeping", ignore_result=True)  # type: ignore[untyped-decorator]
def housekeeping() -> dict[str, int]:
    """Purge expired follow-up sessions, expired console sessions (each holds half of an officer's unlocked
    key), orphaned attachment blobs and expired held files (run hourly by Celery beat)."""
    return {
        "followups": purge_expired_followups(),
        "console_sessions": _clear_expired_sessions(),
        "blobs": sweep_orphaned_blobs(),
        "held_files": purge_expired_held_files(),
    }


@shared_task(name="vault.tasks.purge_held_files", ignore_result=True)  # type: ignore[untyped-decorator]
def purge_held_files() -> int:
    """Delete files held for reporters longer than an hour (run every 10 minutes by Celery beat)."""
    return purge_expired_held_files()


def _clear_expired_sessions() -> int:
    """Delete expired staff sessions from the session store; return how many were in the database."""
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return int(expired)
