"""``manage.py relay_outbox``: send the background work waiting in the outbox to the broker now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from casework.outbox.relay import relay_pending


class Command(BaseCommand):
    help = "Send the Celery tasks waiting in the outbox (beat does this every PELUIT_OUTBOX_SWEEP_SECONDS)."

    def handle(self, *args: Any, **options: Any) -> None:
        run = relay_pending()
        self.stdout.write(f"sent {run.sent}, waiting {run.waiting}")
        if run.failed:
            raise CommandError("The broker did not take every task; they wait for the next relay.")
