"""The outbox: rows written in the use case's transaction, only ids as arguments, beat's due tasks kept while the
broker is away and sent by the relay once it is back (on a real private redis-server)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from celery.beat import ScheduleEntry
from django.db import transaction
from kombu import Connection, Queue

from casework.outbox.models import QueuedTask
from casework.outbox.relay import enqueue, relay_pending, send_soon
from casework.staff.roles import Role
from config.beat import OutboxScheduler
from tests.support.servers import free_port, run_redis

pytestmark = pytest.mark.django_db

app = current_app


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Any]:
    """Point the project's Celery app at a broker URL the test chooses (``broker.use(url)``); restore after."""
    previous, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    settings.PELUIT_BROKER_TIMEOUT = 1.0
    settings.PELUIT_BROKER_RETRY_SECONDS = 0.0

    class Broker:
        def use(self, url: str) -> None:
            monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery lets the environment win over the conf
            app.conf.broker_url = url

    yield Broker()
    monkeypatch.undo()
    app.conf.broker_url, app.conf.task_always_eager = previous, eager


def _messages(url: str, queue: str) -> list[dict[str, Any]]:
    found = []
    with Connection(url) as connection:
        bound = Queue(queue).bind(connection)
        while (message := bound.get(no_ack=True)) is not None:
            found.append({"task": message.headers["task"], "id": message.headers["id"], "args": message.decode()[0]})
    return found


@pytest.mark.django_db(transaction=True)  # outside any transaction, as a view or a task would be
def test_only_ids_travel_and_only_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        enqueue(task="reports.tasks.generate_export", args=["abc"])
    with transaction.atomic():
        for bad in (["Pak Budi menerima suap"], ["x" * 65], [{"id": 1}], [True], [1.5]):
            with pytest.raises((TypeError, ValueError)):
                enqueue(task="reports.tasks.generate_export", args=bad)
        row = enqueue(task="reports.tasks.generate_export", args=["0c1e-42", 7])
    assert row is not None and QueuedTask.objects.get().args == ["0c1e-42", 7]


def test_a_rolled_back_use_case_leaves_no_task(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            enqueue(task="peluit.ping")
            1 / 0  # noqa: B018 - the use case fails after enqueueing
    assert callbacks == [] and not QueuedTask.objects.exists()


def test_a_broker_that_refuses_costs_the_request_little_and_the_task_waits(
    broker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    broker.use(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(task="peluit.ping")
    assert time.monotonic() - started < 5
    row = QueuedTask.objects.get()
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "OperationalError"
    assert row.leased_until is None, "the lease is given back for the relay"


def test_beat_keeps_a_due_task_while_the_broker_is_away_and_the_relay_sends_it_once(
    broker: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    broker.use(url)
    scheduler = OutboxScheduler(app=app, schedule_filename=str(tmp_path / "beat"))
    entry = ScheduleEntry(name="deadline-reminders", task="casework.tasks.deadline_reminders", schedule=60, app=app)
    for _missed in range(3):  # three due times while Redis is down: one run waits
        with django_capture_on_commit_callbacks(execute=True):
            scheduler.apply_async(entry)
    waiting = QueuedTask.objects.get()
    assert waiting.task == "casework.tasks.deadline_reminders" and waiting.sent_at is None
    assert relay_pending().failed

    with run_redis(tmp_path / "redis", port=port):
        run = relay_pending()
        assert (run.sent, run.waiting, run.failed) == (1, 0, False)
        assert relay_pending().sent == 0, "sent once"
        assert send_soon(ids=[waiting.pk]) == 0
        messages = _messages(url, "default")
    assert messages == [{"task": "casework.tasks.deadline_reminders", "id": str(waiting.pk), "args": []}]
    assert QueuedTask.objects.get().sent_at is not None
    scheduler.close()


def test_an_export_message_carries_the_export_id_only(broker: Any, tmp_path: Path, make_staff: Any) -> None:
    from reports.kinds import ExportKind
    from reports.periods import make_period
    from reports.services import ExportRequest, request_export

    with run_redis(tmp_path / "redis") as url:
        broker.use(url)
        with transaction.atomic():
            export = request_export(
                user=make_staff(Role.AUDITOR),
                request=ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31")),
                language="id",
            )
        assert QueuedTask.objects.get().sent_at is None, "nothing is sent before the commit"
        assert relay_pending().sent == 1
        messages = _messages(url, "reports")
    assert [(m["task"], m["args"]) for m in messages] == [("reports.tasks.generate_export", [str(export.pk)])]
    assert json.dumps(messages).count(str(export.pk)) == 1, "the export id as the argument, nothing else"
