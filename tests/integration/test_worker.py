"""Real services: a Celery worker on Redis evaluates a real submission; a broker outage loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.utils import timezone

from mbc.celery import app as celery_app
from reassessment.models import Flag, FlagKind, Notification
from reassessment.services import change_phase, submit_assessment, sweep
from tests.conftest import make_patient, reachable, require

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def use_broker(url: str) -> None:
    """Point this process's Celery producer at `url` (the unit-test default is memory://)."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """The test Redis database, emptied, as this process's broker; the queue name the worker listens on."""
    require(reachable(REDIS_URL), f"Redis is not reachable at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    use_broker(REDIS_URL)
    yield str(celery_app.conf.task_default_queue)
    use_broker("memory://localhost/")


@pytest.fixture
def worker(transactional_db: None, redis_queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process on the test database and a queue of its own."""
    require(connection.vendor == "postgresql", "a worker process needs PostgreSQL (set DATABASE_URL)")
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_QUEUE=redis_queue,
        DJANGO_SETTINGS_MODULE="mbc.settings",
    )
    log = open(ROOT / "var" / "test-worker.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mbc", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", redis_queue, "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_for(predicate: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def partial_responder(alice: Any) -> Any:
    """A medication phase that started 60 days ago with a PHQ-9 baseline of 18 (a score today is after the
    two-month course a partial-response flag waits for, DESIGN §2)."""
    patient = make_patient(alice, external_id=f"MRN-{uuid.uuid4().hex[:6]}")
    # A real worker runs on the real clock, so the dates here are relative to the clinic's today.
    today = timezone.localdate()
    change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=today - timedelta(60))
    submit_assessment(patient=patient, instrument="phq9", items=[2] * 9, source="clinician", entered_by=alice,
                      administered_at=(today - timedelta(61)).isoformat())
    return patient


def test_it_evaluates_a_real_submission_on_a_real_worker(alice: Any, worker: Any) -> None:
    patient = partial_responder(alice)
    # The API path: commit, then enqueue evaluate_patient on Redis; the worker raises the partial-response flag.
    submit_assessment(patient=patient, instrument="phq9", items=[2, 2, 2, 2, 2, 2, 2, 2, 0],
                      administered_at=timezone.localdate().isoformat(), source="clinician", entered_by=alice)
    assert wait_for(lambda: Flag.objects.filter(patient=patient, kind=FlagKind.PARTIAL_RESPONSE).exists()), (
        "the worker did not raise the partial-response flag; see var/test-worker.log"
    )
    flag = Flag.objects.get(patient=patient, kind=FlagKind.PARTIAL_RESPONSE)
    assert flag.recommendation == "add_psychotherapy"
    assert worker.poll() is None


def test_it_saves_and_flags_a_submission_while_the_broker_is_down(
    alice: Any, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    patient = partial_responder(alice)
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1: connection refused
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            submission = submit_assessment(patient=patient, instrument="phq9", items=[2, 2, 2, 2, 2, 2, 2, 2, 1],
                                           administered_at=timezone.localdate().isoformat(), source="clinician",
                                           entered_by=alice)
        elapsed = time.monotonic() - started
    finally:
        use_broker("memory://localhost/")
    # Both enqueues (the evaluation, and the care team's alert: issue 14) were attempted, failed, and were swallowed;
    # the alert's outbox row is saved for beat's next round.
    assert len(callbacks) == 2
    assert Notification.objects.filter(flag__assessment=submission.assessment, sent_at__isnull=True).exists()
    assert submission.created
    assert Flag.objects.filter(assessment=submission.assessment, kind=FlagKind.SUICIDE_RISK).count() == 1
    assert not Flag.objects.filter(patient=patient, kind=FlagKind.PARTIAL_RESPONSE).exists()
    print(f"submission with the broker down answered in {elapsed:.2f} s")
    # The next sweep re-derives what the lost task would have raised.
    counts = sweep()
    assert counts.flags[FlagKind.PARTIAL_RESPONSE] == 1
    assert Flag.objects.filter(patient=patient, kind=FlagKind.PARTIAL_RESPONSE).count() == 1
