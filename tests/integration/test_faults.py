"""Fault tests on real services: Redis, PostgreSQL and Celery worker processes. Nothing lost, nothing duplicated.

Each test is bounded in time (every wait has a deadline). PostgreSQL is not restarted (the cluster is shared): its
restart is simulated by terminating every connection to this test database (pg_terminate_backend), which is what the
workers see when the server restarts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.utils import timezone

from instruments.models import Assessment
from mbc.celery import app as celery_app
from patients.models import CareTeamMember, Patient, TreatmentPhase
from reassessment import tasks
from reassessment.models import Flag, FlagKind, Reminder, SweepChunk, SweepRun
from reassessment.services import refresh_statuses, submit_assessment, sweep
from tests.conftest import phq9_items, reachable, require
from tests.integration.test_worker import REDIS_URL, use_broker, wait_for

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 240
CHUNK = 4  # 60 chunks: a sweep long enough to be interrupted in the middle


@pytest.fixture
def queue(transactional_db: None) -> Iterator[str]:
    """The test Redis database, emptied, as this process's broker; the queue the workers listen on."""
    require(connection.vendor == "postgresql", "worker processes need PostgreSQL (set DATABASE_URL)")
    require(reachable(REDIS_URL), f"Redis is not reachable at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    use_broker(REDIS_URL)
    yield str(celery_app.conf.task_default_queue)
    redis.Redis.from_url(REDIS_URL).flushdb()  # what a killed worker left unacknowledged
    use_broker("memory://localhost/")


class Workers:
    """Starts real `celery worker` processes on the test database and the test's queue; stops them all at the end."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []

    def start(self, name: str, *, pool: str = "prefork", visibility: int = 300) -> subprocess.Popen[bytes]:
        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            CELERY_BROKER_URL=REDIS_URL,
            CELERY_QUEUE=self.queue,
            CELERY_VISIBILITY_TIMEOUT=str(visibility),
            MBC_SWEEP_CHUNK_PATIENTS=str(CHUNK),
            DJANGO_SETTINGS_MODULE="mbc.settings",
        )
        log = open(ROOT / "var" / f"test-worker-{name}.log", "ab")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mbc", "worker", f"--pool={pool}", "--concurrency=1",
             "--loglevel=INFO", "-Q", self.queue, "-n", f"{name}-{self.queue}@%h",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                for child in children(proc.pid):
                    os.kill(child, signal.SIGKILL)
                proc.kill()
                proc.wait(timeout=20)
        for log in self.logs:
            log.close()


@pytest.fixture
def workers(queue: str) -> Iterator[Workers]:
    pool = Workers(queue)
    yield pool
    pool.stop_all()


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def seed_partial_responders(alice: Any, n: int = PATIENTS) -> int:
    """n patients of alice's, each a partial responder (18, then 17 on day 56: a flag) and, 28 days after that score,
    due a reminder; written in bulk."""
    today = timezone.localdate()
    start = today - timedelta(days=84)
    patients = Patient.objects.bulk_create(
        [Patient(external_id=f"FAULT-{i}", display_name=f"Fault {i}", email=f"f{i}@example.test") for i in range(n)]
    )
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=alice, role="therapist") for p in patients])
    TreatmentPhase.objects.bulk_create(
        [TreatmentPhase(patient=p, modality="medication", stage="acute", started_on=start) for p in patients]
    )
    rows = []
    for p in patients:
        for day, total in ((-2, 18), (56, 17)):
            on = start + timedelta(days=day)
            rows.append(Assessment(
                patient=p, instrument="phq9", instrument_version="1", items=phq9_items(total), total=total,
                severity="moderately_severe", administered_on=on, source="import",
                administered_at=timezone.make_aware(datetime.combine(on, clock(12))),
            ))
    Assessment.objects.bulk_create(rows)
    return n


def run_finished(run_id: int) -> Callable[[], bool]:
    return lambda: SweepRun.objects.filter(pk=run_id, finished_at__isnull=False).exists()


def latest_run() -> SweepRun | None:
    return SweepRun.objects.order_by("-id").first()


def started_sweep(deadline: float = 60) -> SweepRun:
    """Queue the beat's sweep task and wait until its first chunks are done (the middle of the sweep)."""
    tasks.sweep.delay()
    assert wait_for(lambda: latest_run() is not None, deadline), "no worker planned the sweep"
    run = latest_run()
    assert run is not None
    assert wait_for(lambda: SweepChunk.objects.filter(run=run, done_at__isnull=False).exists(), deadline)
    return run


def assert_everything_once(n: int) -> None:
    assert Flag.objects.filter(kind=FlagKind.PARTIAL_RESPONSE).count() == n
    assert Reminder.objects.count() == n
    assert Flag.objects.values("dedupe_key").distinct().count() == Flag.objects.count()
    assert Reminder.objects.values("patient").distinct().count() == n


def test_it_completes_a_sweep_whose_worker_pool_child_was_killed(alice: Any, workers: Workers) -> None:
    n = seed_partial_responders(alice)
    worker = workers.start("a")
    run = started_sweep()
    assert not run_finished(run.id)()  # killed in the middle, not after
    kids = children(worker.pid)
    assert kids, "the worker has no pool child"
    os.kill(kids[0], signal.SIGKILL)  # the chunk it was running is lost with it
    # acks_late + reject_on_worker_lost: the lost chunk goes back to the queue; the main process forks a new child.
    assert wait_for(run_finished(run.id), 180), "the sweep did not complete after its pool child was killed"
    assert worker.poll() is None
    assert_everything_once(n)


def test_it_completes_a_sweep_whose_worker_main_process_was_killed(alice: Any, workers: Workers) -> None:
    n = seed_partial_responders(alice)
    worker = workers.start("a", visibility=10)
    run = started_sweep()
    assert not run_finished(run.id)()
    for child in children(worker.pid):
        os.kill(child, signal.SIGKILL)
    worker.kill()  # SIGKILL: no warm shutdown, the reserved chunk stays unacknowledged in Redis
    worker.wait(timeout=20)
    done = SweepChunk.objects.filter(run=run, done_at__isnull=False).count()
    assert done < run.chunks
    # A restarted worker takes the rest; the unacknowledged chunk comes back after the visibility timeout.
    workers.start("b", visibility=10)
    assert wait_for(run_finished(run.id), 180), "the sweep did not complete after its worker was killed"
    assert_everything_once(n)


def test_it_retries_a_chunk_whose_database_connections_were_cut(alice: Any, workers: Workers) -> None:
    n = seed_partial_responders(alice)
    workers.start("a")
    run = started_sweep()
    assert not run_finished(run.id)()
    # Our own test database only: what a PostgreSQL restart does to the worker's connection mid-sweep.
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()",
            [name],
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1
    assert wait_for(run_finished(run.id), 180), "the sweep did not complete after its connections were cut"
    assert_everything_once(n)


def test_it_raises_each_flag_once_when_two_workers_run_two_sweeps_at_once(alice: Any, workers: Workers) -> None:
    n = seed_partial_responders(alice)
    workers.start("a")
    workers.start("b")
    tasks.sweep.delay()
    tasks.sweep.delay()
    assert wait_for(lambda: SweepRun.objects.filter(finished_at__isnull=False).count() == 2, 180)
    assert_everything_once(n)
    counted = sum(sum(c.counts["flags"].values()) for c in SweepChunk.objects.all())
    # Each flag counted by the one chunk that inserted it (a baseline of 18 also raises consider_combined, DESIGN 2b).
    assert counted == Flag.objects.count()


def test_it_saves_submissions_while_the_broker_is_down_and_the_next_sweep_catches_up(
    alice: Any, queue: str, django_capture_on_commit_callbacks: Any
) -> None:
    n = seed_partial_responders(alice, 5)
    refresh_statuses(patient_ids=Patient.objects.values_list("id", flat=True))
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1: connection refused
    try:
        submissions = []
        with django_capture_on_commit_callbacks(execute=True):
            for i, patient in enumerate(Patient.objects.order_by("id")):
                submissions.append(submit_assessment(
                    patient=patient, instrument="phq9", items=phq9_items(16, item9=1 if i == 0 else 0),
                    administered_at=timezone.localdate().isoformat(), source="clinician", entered_by=alice,
                ))
    finally:
        use_broker(REDIS_URL)
    assert all(s.created for s in submissions)
    assert Assessment.objects.filter(administered_on=timezone.localdate()).count() == n
    assert Flag.objects.filter(kind=FlagKind.SUICIDE_RISK).count() == 1  # at once, in the submission
    assert not Flag.objects.filter(kind=FlagKind.PARTIAL_RESPONSE).exists()  # the queued checks were lost
    counts = sweep()
    assert counts.flags[FlagKind.PARTIAL_RESPONSE] == n
