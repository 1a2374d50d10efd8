"""Benchmark of the CSV import: rows per second and peak memory for a 50,000-row file.

    .venv/bin/python bench/csv_import.py [--rows 50000] [--patients 500]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mbc .venv/bin/python bench/csv_import.py

Runs in a throwaway test database (SQLite in memory, or test_<name> on PostgreSQL), never the real one. Writes a CSV
of `--rows` PHQ-9 rows (one in 200 with a positive item 9) for `--patients` patients, then times the check-only pass
(`--dry-run`) and the real import through the submission service (scoring, suicide flags, audit), and prints the peak
resident memory of the process after each (it must not grow with the file: the file is streamed, never read whole).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mbc.settings")

import django

django.setup()

from mbc.celery import app  # noqa: E402

app.conf.broker_url = "memory://localhost/"  # the evaluations queued after the import go nowhere

from django.db import connection  # noqa: E402

from instruments.models import Assessment  # noqa: E402
from interop.services import import_assessments_csv  # noqa: E402
from patients.models import Patient  # noqa: E402
from reassessment.models import Flag  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def write_file(path: Path, rows: int, patients: int) -> None:
    rng = random.Random(12)
    start = date(2020, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("external_id,instrument,administered_at," + ",".join(f"item_{n}" for n in range(1, 10)) + "\n")
        for n in range(rows):
            items = [rng.randint(0, 3) for _ in range(8)] + [1 if n % 200 == 0 else 0]
            day = start + timedelta(days=n // patients)
            out.write(f"BENCH-{n % patients:05d},phq9,{day.isoformat()}," + ",".join(map(str, items)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--patients", type=int, default=500)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        Patient.objects.bulk_create(
            [Patient(external_id=f"BENCH-{n:05d}", display_name=f"Bench {n}") for n in range(args.patients)]
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.csv"
            write_file(path, args.rows, args.patients)
            size = path.stat().st_size / 2**20
            print(f"mbc CSV import benchmark: {args.rows:,} rows ({size:.1f} MiB), {args.patients} patients, "
                  f"{connection.vendor}")
            print(f"  peak RSS before reading: {peak_mib():.0f} MiB")
            t0 = time.perf_counter()
            with path.open("rb") as stream:
                report = import_assessments_csv(stream=stream, dry_run=True)
            checked = time.perf_counter() - t0
            if not report.ok:
                raise SystemExit(f"check failed: {report.errors[:3]}")
            print(f"  check only (--dry-run): {checked:.1f} s, {args.rows / checked:,.0f} rows/s; "
                  f"peak RSS {peak_mib():.0f} MiB")
            t0, c0 = time.perf_counter(), cpu_seconds()
            with path.open("rb") as stream:
                report = import_assessments_csv(stream=stream)
            total, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            if not report.ok or report.created != args.rows:
                raise SystemExit(f"import failed: {report.created} created, {report.errors[:3]}")
            print(f"  import (check, then save all in one transaction): {total:.1f} s, {args.rows / total:,.0f} "
                  f"rows/s; peak RSS {peak_mib():.0f} MiB")
            print(f"  this process's CPU time for the import: {cpu:.1f} s ({args.rows / cpu:,.0f} rows per CPU second; "
                  f"the rest of the wall time is the database and the machine's other work)")
            print(f"  saved {Assessment.objects.count():,} assessments, {Flag.objects.count():,} suicide flags")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
