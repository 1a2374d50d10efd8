"""Benchmark of the caseload page: server time, query count and page size for one clinician with N patients.

    .venv/bin/python bench/caseload.py [--patients 500,5000] [--scores 10] [--requests 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mbc .venv/bin/python bench/caseload.py

Runs in a throwaway test database (SQLite in memory, or test_<name> on PostgreSQL), never the real one. The patients
get an active phase, `--scores` weekly PHQ-9 totals and the flags the real sweep raises. The times are Django's test
client requests (the whole request/response cycle in process, no network), median of `--requests` after a warm-up.
Target: the caseload (50 rows a page) under 100 ms median and the same number of queries at 500 and 5,000 patients.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mbc.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from instruments import definitions  # noqa: E402
from instruments.models import Assessment  # noqa: E402
from patients.models import CareTeamMember, Patient, TreatmentPhase  # noqa: E402
from patients.services import create_clinician  # noqa: E402
from reassessment.services import sweep  # noqa: E402

PHQ9 = definitions.get("phq9")


def items_for(total: int) -> list[int]:
    items, rest = [], total
    for _ in range(8):
        items.append(min(3, rest))
        rest -= items[-1]
    return [*items, 0]


def seed(patients: int, scores: int) -> object:
    """One clinician, `patients` patients with a phase each and `scores` weekly PHQ-9s; then the real sweep."""
    user = create_clinician(username="bench", password="bench-password-long-enough-1")
    today = timezone.localdate()
    rows = Patient.objects.bulk_create(
        [Patient(external_id=f"BENCH-{n:05d}", display_name=f"Bench Patient {n:05d}") for n in range(patients)]
    )
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=user, role="therapist") for p in rows])
    start = today - timedelta(days=7 * scores + 3)
    modalities = ("medication", "psychotherapy", "combined")
    TreatmentPhase.objects.bulk_create(
        [
            TreatmentPhase(patient=p, modality=modalities[p.id % 3], stage="acute", started_on=start)
            for p in rows
        ]
    )
    assessments = []
    for p in rows:
        for k in range(scores):
            day = start + timedelta(days=7 * k - 1)
            total = max(0, 20 - k * (p.id % 4) // 2)
            assessments.append(
                Assessment(
                    patient=p, instrument="phq9", instrument_version=PHQ9.version, items=items_for(total),
                    total=total, severity=PHQ9.band_for(total).severity, source="self_report",
                    administered_on=day,
                    administered_at=timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12))),
                )
            )
    Assessment.objects.bulk_create(assessments, batch_size=2000)
    counts = sweep(today=today)
    print(f"seeded {patients} patients, {len(assessments)} assessments; sweep raised {dict(counts.flags)}")
    return user


def measure(client: Client, path: str, requests: int) -> tuple[float, float, int, int]:
    client.get(path)  # warm-up: template compilation, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    query_count = len(queries)  # now: the next request resets the connection's query log
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))], query_count, len(response.content)


def run(patients: int, scores: int, requests: int) -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = seed(patients, scores)
        client = Client()
        client.force_login(user)
        print(f"database: {connection.vendor}; {patients} patients; {requests} requests each after a warm-up")
        patient_id = Patient.objects.order_by("id").values_list("id", flat=True).first()
        for label, path in (
            ("caseload", "/"),
            ("caseload, page 2", "/?page=2"),
            ("caseload, flagged filter", "/?flagged=on"),
            ("caseload, sort by latest", "/?sort=latest&desc=on"),
            ("caseload, search", "/?q=00042"),
            ("patient page", f"/patients/{patient_id}/"),
            ("outcomes", "/outcomes/"),
        ):
            median, p90, queries, size = measure(client, path, requests)
            print(
                f"{label:<26} median {median:7.1f} ms   p90 {p90:7.1f} ms   {queries:3d} queries"
                f"   {size / 1024:6.0f} KiB"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", default="500", help="comma-separated caseload sizes, e.g. 500,5000")
    parser.add_argument("--scores", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    try:
        sizes = [int(n) for n in args.patients.split(",")]
    except ValueError:
        parser.error("--patients must be comma-separated whole numbers, e.g. 500,5000.")
    if any(n < 1 for n in sizes):
        parser.error("--patients sizes must be at least 1.")

    settings.DEBUG = False  # as in production: no query log kept, no debug pages
    for n in sizes:
        run(n, args.scores, args.requests)


if __name__ == "__main__":
    main()
