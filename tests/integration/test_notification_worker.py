"""Real services: a Celery worker killed in the middle of sending an urgent alert; the next round sends it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from patients.models import Role
from patients.services import add_to_care_team
from reassessment import notifications, tasks
from reassessment.models import Notification
from reassessment.services import submit_assessment
from tests.conftest import make_clinician, make_patient, phq9_items, require
from tests.integration.test_worker import REDIS_URL, redis_queue, wait_for  # noqa: F401 -- redis_queue: a fixture

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_worker(
    transactional_db: None, redis_queue: str, tmp_path: Path  # noqa: F811 -- the imported fixture
) -> Iterator[Callable[[float], subprocess.Popen[bytes]]]:
    """Start real `celery worker` processes on the test database whose emails land in tmp_path as files."""
    require(connection.vendor == "postgresql", "a worker process needs PostgreSQL (set DATABASE_URL)")
    db = connection.settings_dict
    started: list[subprocess.Popen[bytes]] = []
    log = open(ROOT / "var" / "test-notification-worker.log", "ab")  # noqa: SIM115 - closed below

    def start(mail_delay: float) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            CELERY_BROKER_URL=REDIS_URL,
            CELERY_QUEUE=redis_queue,
            DJANGO_SETTINGS_MODULE="mbc.settings",
            EMAIL_BACKEND="tests.integration.email_backends.SlowFileBackend",
            MBC_TEST_MAIL_DIR=str(tmp_path),
            MBC_TEST_MAIL_DELAY=str(mail_delay),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mbc", "worker", "--pool=solo", "--loglevel=INFO",
             "-Q", redis_queue, "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    log.close()


def mails(folder: Path) -> list[Any]:
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(folder.glob("*.eml"))]


def test_it_sends_an_alert_once_after_its_worker_was_killed_mid_send(
    start_worker: Callable[[float], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    alice = make_clinician("alice")
    patient = make_patient(alice, external_id="MRN-kill")
    first = start_worker(60.0)  # an SMTP server that takes a minute: the worker is killed in the middle
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(15, item9=1),
                      administered_at=timezone.localdate().isoformat(), source="self_report")
    row = Notification.objects.get()
    assert wait_for(lambda: Notification.objects.filter(pk=row.pk, claimed_at__isnull=False).exists()), (
        "the worker never claimed the alert; see var/test-notification-worker.log"
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    row.refresh_from_db()
    assert (row.attempts, row.sent_at, mails(tmp_path)) == (1, None, [])

    # Beat's next round, once the dead worker's claim has expired (time moved on: the claim is made older).
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=row.claimed_at - notifications.CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    start_worker(0.0)
    tasks.send_notifications.delay()
    assert wait_for(lambda: Notification.objects.filter(pk=row.pk, sent_at__isnull=False).exists()), (
        "the second worker did not send the alert; see var/test-notification-worker.log"
    )
    tasks.send_notifications.delay()  # and another round: nothing left to send
    tasks.escalate_flags.delay()
    assert wait_for(lambda: False, seconds=3) is False
    row.refresh_from_db()
    assert (row.attempts, row.outcome) == (2, Notification.Outcome.SENT)
    (mail,) = mails(tmp_path)
    assert mail["To"] == "alice@clinic.test"
    assert mail["Subject"] == notifications.URGENT_SUBJECT


def test_it_escalates_on_a_real_worker(start_worker: Callable[[float], subprocess.Popen[bytes]],
                                       tmp_path: Path) -> None:
    alice = make_clinician("alice")
    charlie = make_clinician("charlie", Role.CARE_MANAGER)
    patient = make_patient(alice, external_id="MRN-esc")
    add_to_care_team(patient=patient, user=charlie, role=Role.CARE_MANAGER)
    start_worker(0.0)
    flag = submit_assessment(patient=patient, instrument="phq9", items=phq9_items(15, item9=1),
                             administered_at=timezone.localdate().isoformat(), source="self_report").suicide_flag
    assert flag is not None
    assert wait_for(lambda: len(mails(tmp_path)) == 2)
    # Nobody acknowledged it for an hour (the flag is made older), then beat's escalation round runs.
    type(flag).objects.filter(pk=flag.pk).update(created_at=flag.created_at - timedelta(minutes=60))
    tasks.escalate_flags.delay()
    assert wait_for(lambda: len(mails(tmp_path)) == 3)
    escalation = [m for m in mails(tmp_path) if "nobody on the care team" in m.get_content()]
    assert [m["To"] for m in escalation] == ["charlie@clinic.test"]
