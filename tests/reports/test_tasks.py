"""Background exports go to the ``reports`` queue with nothing but the export's id in the message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kombu import Connection, Queue

from reports.kinds import ExportKind
from reports.models import ReportExport
from reports.periods import make_period
from reports.services import ExportRequest, request_export
from reports.tasks import generate_export
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db
app = generate_export.app  # the app the task is sent with (the project's, unless a test made another current)


def _forget_connections() -> None:
    """Forget (without closing: other code may share them) the app's cached broker pools, so the next send
    connects to the current ``broker_url``."""
    app._pool = None
    app.amqp._producer_pool = None


def test_the_task_message_carries_only_the_export_id_on_the_reports_queue(
    staff: IntakeStaff, settings: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.conf.task_always_eager = False
    previous = app.conf.broker_url
    # Celery lets the environment variable win over the configured URL (CI's run sets it to Redis).
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://reports-test")
    app.conf.broker_url = "memory://reports-test"
    _forget_connections()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            export = request_export(
                user=staff.supervisor,
                request=ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31")),
                language="id",
            )
        with Connection("memory://reports-test") as connection:
            queue = Queue("reports").bind(connection)
            message = queue.get(no_ack=True)
            assert message is not None, "the export was not queued on the reports queue"
            body = message.decode() if hasattr(message, "decode") else json.loads(message.body)
            args, kwargs, _embed = body
            assert args == [str(export.pk)] and kwargs == {}
            assert message.headers["task"] == "reports.tasks.generate_export"
    finally:
        monkeypatch.undo()
        app.conf.broker_url = previous
        _forget_connections()
        app.conf.task_always_eager = True  # as the autouse fixture left it; it restores the original after
    assert ReportExport.objects.get(pk=export.pk).status == ReportExport.Status.QUEUED
