"""The Celery app. Broker and queues come from Django settings (CELERY_* names)."""

import os
import threading

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("peluit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="peluit.ping")  # type: ignore[untyped-decorator]
def ping() -> str:
    """Answer "pong": lets operators and tests prove a worker is consuming the broker."""
    return "pong"


@worker_ready.connect  # type: ignore[untyped-decorator]
def relay_outbox_on_start(**_: object) -> None:
    """A worker that comes up sends the work that waited in the outbox (in a thread: it never delays the worker)."""
    threading.Thread(target=_relay_outbox, name="outbox-relay", daemon=True).start()


def _relay_outbox() -> None:
    from django.db import connection

    from casework.outbox.relay import relay_pending

    try:
        relay_pending()
    finally:
        connection.close()  # this thread's own connection
