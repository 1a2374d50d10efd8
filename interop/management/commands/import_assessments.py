"""manage.py import_assessments FILE.csv [--dry-run] [--by USERNAME]: old spreadsheets in, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interop import services


class Command(BaseCommand):
    help = (
        "Import assessments from a CSV file (external_id, instrument, administered_at, item_1..item_n): every row is "
        "checked first; nothing is saved unless every row is good."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A UTF-8 CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, save nothing.")
        parser.add_argument(
            "--by", metavar="USERNAME",
            help="Enter the assessments as this clinician, for their care teams' patients only (default: any patient).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"There is no active user {options['by']!r}.")
        with path.open("rb") as stream:
            try:
                report = services.import_assessments_csv(stream=stream, by=by, dry_run=options["dry_run"])
            except services.ImportFileError as exc:
                raise CommandError(str(exc)) from None
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"line {line}: {message}")
            more = report.error_count - len(report.errors)
            if more:
                self.stderr.write(f"... and {more} more.")
            raise CommandError(
                f"{report.error_count} problem(s) in {report.rows} rows; nothing was imported. Fix the rows and run "
                "the import again."
            )
        if report.dry_run:
            self.stdout.write(f"All {report.rows} rows are good (dry run: nothing was saved).")
            return
        self.stdout.write(
            f"Imported {report.created} assessments ({report.existing} already there) from {report.rows} rows; "
            f"{report.suicide_flags} suicide-item flags raised."
        )
