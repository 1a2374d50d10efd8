"""The sweep as a Celery group of short chunk tasks: the same flags and reminders as one synchronous sweep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mbc.celery import app as celery_app
from patients.models import Patient
from reassessment import selectors, services, tasks
from reassessment.models import Flag, Reminder, SweepChunk, SweepRun
from tests.conftest import TODAY, make_patient
from tests.reassessment.test_services import JAN, on, score, start


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery runs tasks (and a group's members) in this process: the tasks' own code, no broker."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


@pytest.fixture
def caseload(alice: Any, frozen: Any) -> list[Patient]:
    """Nine patients spread over several chunks: partial responders, worsening, overdue, due, two SSRIs at once."""
    patients = []
    for n in range(3):
        partial = make_patient(alice, f"MRN-P{n}", email=f"p{n}@example.test")
        start(partial, JAN)  # TODAY is day 70: after the two-month course partial response waits for
        score(partial, on(-2, JAN), 18)
        score(partial, on(60, JAN), 15)
        worse = make_patient(alice, f"MRN-W{n}")
        start(worse)
        score(worse, on(0), 8)
        score(worse, on(35), 16)
        overdue = make_patient(alice, f"MRN-O{n}", email=f"o{n}@example.test")
        start(overdue, TODAY - timedelta(days=60 + n))
        patients += [partial, worse, overdue]
    for name in ("sertraline", "tramadol"):
        services.record_medication(
            patient=patients[-1], by=alice, name=name, drug_class="ssri" if name == "sertraline" else
            "serotonergic_opioid", started_on=TODAY, today=TODAY - timedelta(days=1),
        )
    return patients


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    flags = sorted(
        Flag.objects.values_list(
            "dedupe_key", "patient_id", "phase_id", "assessment_id", "kind", "severity", "recommendation", "status"
        )
    )
    evidence = {key: ev for key, ev in Flag.objects.values_list("dedupe_key", "evidence")}
    reminders = sorted(Reminder.objects.values_list("dedupe_key", "patient_id", "phase_id", "due_on", "kind"))
    return [(*row, evidence[row[0]]) for row in flags], reminders


def forget_findings() -> None:
    Reminder.objects.all().delete()
    Flag.objects.all().delete()


def test_it_gives_the_same_flags_and_reminders_chunked_and_in_one_process(
    caseload: Any, eager: None, settings: Any
) -> None:
    single = services.sweep(today=TODAY, chunk_patients=10_000)
    one_process = snapshot()
    assert one_process[0]
    assert one_process[1]
    assert {row[4] for row in one_process[0]} >= {"partial_response", "worsening", "reassessment_overdue",
                                                 "serotonergic_combination"}
    forget_findings()

    settings.MBC_SWEEP_CHUNK_PATIENTS = 2
    result = tasks.sweep.delay().get()
    assert result["chunks"] == 5  # nine patients, two a chunk
    assert snapshot() == one_process
    run = SweepRun.objects.get(pk=result["run"])
    assert run.finished_at is not None
    chunk_counts = [c.counts for c in run.chunk_set.all()]
    assert sum(c["phases"] for c in chunk_counts) == single.phases == 9
    assert sum(c["reminders"] for c in chunk_counts) == single.reminders


@pytest.mark.parametrize("chunk_patients", [1, 2, 4, 9])
def test_it_gives_the_same_result_whatever_the_chunk_size(caseload: Any, chunk_patients: int) -> None:
    services.sweep(today=TODAY, chunk_patients=100)
    reference = snapshot()
    forget_findings()
    counts = services.sweep(today=TODAY, chunk_patients=chunk_patients)
    assert snapshot() == reference
    assert counts.phases == 9
    assert SweepChunk.objects.filter(run=SweepRun.objects.first()).count() == -(-9 // chunk_patients)


def test_it_cuts_the_active_patients_into_ranges_of_the_chunk_size(alice: Any) -> None:
    ids = [make_patient(alice, f"MRN-{n}").id for n in range(7)]
    Patient.objects.filter(id=ids[3]).update(active=False)
    assert selectors.sweep_ranges(3) == [(ids[0], ids[2]), (ids[4], ids[6])]
    assert selectors.sweep_ranges(4) == [(ids[0], ids[4]), (ids[5], ids[6])]
    assert selectors.sweep_ranges(100) == [(ids[0], ids[6])]


def test_it_plans_no_chunk_and_finishes_at_once_with_no_patients(db: None) -> None:
    run = services.plan_sweep(today=TODAY)
    assert run.chunks == 0
    assert SweepRun.objects.get(pk=run.pk).finished_at is not None


def test_it_counts_a_chunk_once_when_it_is_delivered_twice(caseload: Any) -> None:
    run = services.plan_sweep(today=TODAY, chunk_patients=4)
    first, *rest = run.chunk_set.order_by("first_patient_id")
    counted = services.sweep_chunk(chunk_id=first.id)
    again = services.sweep_chunk(chunk_id=first.id)  # a redelivered task: nothing new, the record kept
    assert sum(counted.flags.values()) > 0
    assert sum(again.flags.values()) == 0
    first.refresh_from_db()
    assert first.counts == counted.as_dict()
    assert SweepRun.objects.get(pk=run.pk).finished_at is None  # other chunks still pending
    for chunk in rest:
        services.sweep_chunk(chunk_id=chunk.id)
    assert SweepRun.objects.get(pk=run.pk).finished_at is not None


def test_it_writes_no_flag_row_on_the_second_sweep_of_a_day(caseload: Any) -> None:
    services.sweep(today=TODAY)
    with CaptureQueriesContext(connection) as queries:
        counts = services.sweep(today=TODAY)
    inserts = [q["sql"] for q in queries if Flag._meta.db_table in q["sql"] and q["sql"].startswith("INSERT")]
    assert inserts == []  # the steady state sends no flag to the database again
    assert sum(counts.flags.values()) == 0
    assert counts.phases == 9


def test_it_inserts_only_the_new_flag_when_one_appears(caseload: Any, alice: Any) -> None:
    services.sweep(today=TODAY)
    before = Flag.objects.count()
    newcomer = make_patient(alice, "MRN-NEW")
    start(newcomer, TODAY - timedelta(days=70))
    counts = services.sweep(today=TODAY)
    assert dict(counts.flags) == {"reassessment_overdue": 1}
    assert Flag.objects.count() == before + 1


def test_it_keeps_every_retry_countdown_under_the_visibility_timeout() -> None:
    for task in (tasks.evaluate_patient, tasks.sweep, tasks.sweep_chunk, tasks.send_reminders):
        assert task.retry_backoff_max == tasks.MAX_BACKOFF < 300
