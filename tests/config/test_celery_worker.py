"""A real Celery worker consumes the configured broker: the embedded SQLite one, or Redis in CI's second run."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_real_worker_runs_a_task_on_the_configured_broker(tmp_path: Path) -> None:
    broker = os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    if broker.startswith("redis"):
        backend = broker
    else:
        backend = f"db+sqlite:///{tmp_path / 'results.sqlite3'}"
    queue = f"test-{uuid.uuid4().hex[:8]}"  # never steal work from, or give work to, another worker
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": backend}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-n",
            f"{queue}@localhost",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        # Not the current app: shared tasks of later tests in this process must keep the project's app.
        client = Celery("peluit-test", broker=broker, backend=backend, set_as_current=False)
        result = client.send_task("peluit.ping", queue=queue)
        assert result.get(timeout=90) == "pong"
        assert settings.CELERY_BROKER_URL == (os.environ.get("CELERY_BROKER_URL") or settings.CELERY_BROKER_URL)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
