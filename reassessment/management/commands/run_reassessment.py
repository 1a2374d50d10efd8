"""manage.py run_reassessment [--today YYYY-MM-DD]: the daily sweep, synchronously, then the reminder outbox."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reassessment import notifications, selectors, services
from reassessment.models import FlagKind


class Command(BaseCommand):
    help = "Run the reassessment sweep over every active phase now, then send the reminders it queued."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Evaluate as of this clinic-local date (YYYY-MM-DD); default today.")
        parser.add_argument("--no-send", action="store_true", help="Queue reminders but do not send them.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"--today must be a date like 2026-03-31, not {options['today']!r}.") from None
        counts = services.sweep(today=today)
        raised = sum(counts.flags.values())
        self.stdout.write(f"Evaluated {counts.phases} active phases as of {today.isoformat()}.")
        self.stdout.write(f"Raised {raised} flags" + (": " if raised else ".") + ", ".join(
            f"{kind} {n}" for kind, n in sorted(counts.flags.items())))
        # Suicide-item flags are raised when the answers are saved, never by the sweep: count the day's anyway.
        suicide = selectors.flags_raised_on(today, FlagKind.SUICIDE_RISK)
        self.stdout.write(f"Suicide-item flags raised on {today.isoformat()} (when the answers were saved): {suicide}.")
        self.stdout.write(f"Queued {counts.reminders} reminders; resolved {counts.resolved} overdue flags.")
        if not options["no_send"]:
            sent = services.send_pending_reminders()
            self.stdout.write(
                f"Sent {sent['sent']} reminder emails; {sent['failed']} failed and will be retried."
            )
            alerts = notifications.send_pending_notifications()
            self.stdout.write(
                f"Sent {alerts['sent']} flag notification emails to clinicians; {alerts['failed']} failed and will "
                "be retried."
            )
        unreachable = selectors.due_without_email(today)
        self.stdout.write(
            f"{unreachable} patient{' is' if unreachable == 1 else 's are'} due for reassessment with no email "
            "(shown as due on the caseload)."
        )
