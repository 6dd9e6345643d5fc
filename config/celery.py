"""The Celery app. Broker and queues come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("peluit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="peluit.ping")  # type: ignore[untyped-decorator]
def ping() -> str:
    """Answer "pong": lets operators and tests prove a worker is consuming the broker."""
    return "pong"
