"""manage.py check_beat [--minutes 15]: exit 1 when beat has sent no scheduled task lately (compose's health check)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reassessment.selectors import beat_last_sent


class Command(BaseCommand):
    help = "Check that Celery beat is sending its schedule: the reminder outbox runs every 5 minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=int, default=15, help="How recent the last sent task must be.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["minutes"] < 1:
            raise CommandError("--minutes must be at least 1.")
        last = beat_last_sent()
        if last is None:
            raise CommandError("Beat has not sent any scheduled task yet.")
        age = timezone.now() - last
        if age > timedelta(minutes=options["minutes"]):
            raise CommandError(f"Beat last sent a scheduled task {age.total_seconds() // 60:.0f} minutes ago.")
        self.stdout.write(f"Beat sent a scheduled task {age.total_seconds():.0f} seconds ago.")
