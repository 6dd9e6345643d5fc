"""The audit log as exports read it: a log edited behind its back stops the export with a clear message.

Every export embeds a signed checkpoint, which ``audit.checkpoints`` refuses to sign when the log does not
verify (``AuditError``), and prints audit events. Someone with the database can edit those rows; in SQLite a
cell may then hold a value of any type, or text that is not UTF-8, which cannot be read at all (an
``OperationalError`` that would otherwise pass for a database outage). All of these become ``AuditLogAltered``,
whose message sends the operator to ``manage.py audit_verify``; a database that is really unavailable keeps
its error (the 503).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.checkpoints import CheckpointAltered
from audit.db import undecodable_text_raises
from audit.exceptions import AuditError
from audit.models import AuditEvent
from reports.exceptions import AuditLogAltered


def _altered() -> AuditLogAltered:
    return AuditLogAltered(
        _(
            "The audit log does not verify, so the export cannot be made. "
            "The system's operator must run manage.py audit_verify."
        )
    )


@contextmanager
def reading_the_log() -> Iterator[None]:
    """Raise ``AuditLogAltered`` when the block fails on the audit log: it does not verify, or holds unreadable text.

    Wrap only blocks that sign a checkpoint or read events: elsewhere an ``AuditError`` (from
    ``audit.services.record``, say) is a programming error, not an altered log.
    """
    try:
        with undecodable_text_raises(_altered()):
            yield
    except (AuditError, CheckpointAltered) as error:
        raise _altered() from error


def readable_events(events: QuerySet[AuditEvent]) -> list[AuditEvent]:
    """Return the events of ``events`` to print; raise ``AuditLogAltered`` when one of them was altered.

    An export reuses the latest checkpoint when the log has not grown since, without verifying the log again,
    so an event edited after that checkpoint reaches this point: a row whose values its columns cannot hold
    (``AuditEvent.altered``: a time beyond any date, text where a number belongs) or cannot be read.
    """
    with reading_the_log():
        read = list(events)
    if any(event.altered for event in read):
        raise _altered()
    return read
