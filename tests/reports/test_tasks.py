"""Background exports go to the ``reports`` queue with nothing but the export's id in the message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kombu import Connection, Queue

from config.celery import app
from reports.kinds import ExportKind
from reports.models import ReportExport
from reports.periods import make_period
from reports.services import ExportRequest, request_export
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def _forget_connections() -> None:
    """Drop the app's cached broker connection and producer pools, so the next send uses ``broker_url``."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def test_the_task_message_carries_only_the_export_id_on_the_reports_queue(
    staff: IntakeStaff, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    app.conf.task_always_eager = False
    previous = app.conf.broker_url
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
        app.conf.broker_url = previous
        _forget_connections()
        app.conf.task_always_eager = True  # as the autouse fixture left it; it restores the original after
    assert ReportExport.objects.get(pk=export.pk).status == ReportExport.Status.QUEUED
