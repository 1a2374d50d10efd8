"""/health/: database, cache, broker, migrations and the daily sweep; the caseload tells staff of a missed sweep."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from reassessment.models import SweepRun
from tests.conftest import NOW
from tests.frontend.conftest import signed_in


def finished_sweep(hours_ago: float) -> SweepRun:
    run = SweepRun.objects.create(today=timezone.localdate(), chunks=0)
    SweepRun.objects.filter(pk=run.pk).update(finished_at=NOW - timedelta(hours=hours_ago))
    return run


# The checks run in threads with their own database connections: the rows they read must be committed.


def get(client: Any, url: str) -> Any:
    """GET from a thread of its own. django-health-check runs its checks through async_to_sync, which refuses a
    thread with a running event loop, and Playwright's sync API leaves one in the main thread once the browser tests
    have run in the same session (gunicorn's sync workers, where /health/ is served, have none)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(client.get, url).result()


def test_it_is_healthy_with_a_sweep_in_the_last_26_hours(client: Any, transactional_db: None, frozen: Any) -> None:
    finished_sweep(25)
    response = get(client, "/health/?format=json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body.values()) == {"OK"}
    assert any("Migrations" in name for name in body)
    assert any("Broker" in name for name in body)
    assert any("Database" in name for name in body)


@pytest.mark.parametrize("hours_ago", [27, None])
def test_it_fails_when_the_sweep_did_not_finish_within_26_hours(
    client: Any, transactional_db: None, frozen: Any, hours_ago: float | None
) -> None:
    if hours_ago is not None:
        finished_sweep(hours_ago)
    response = get(client, "/health/?format=json")
    assert response.status_code == 500
    failing = {name: status for name, status in response.json().items() if status != "OK"}
    assert list(failing) == ["Sweep()"]


def test_it_fails_when_the_broker_is_unreachable(client: Any, transactional_db: None, frozen: Any) -> None:
    from tests.integration.test_worker import use_broker

    finished_sweep(1)
    use_broker("redis://127.0.0.1:1/0")
    try:
        response = get(client, "/health/?format=json")
    finally:
        use_broker("memory://localhost/")
    assert response.status_code == 500
    assert [name for name, status in response.json().items() if status != "OK"] == ["Broker()"]


def test_it_names_no_patient_and_needs_no_sign_in(client: Any, patient: Any, frozen: Any) -> None:
    finished_sweep(1)
    page = get(client, "/health/").content.decode()
    assert patient.display_name not in page
    assert patient.external_id not in page


def test_it_warns_staff_on_the_caseload_when_the_sweep_did_not_run(alice: Any, frozen: Any) -> None:
    finished_sweep(30)
    assert "The daily checks did not run" not in signed_in(alice).get("/").content.decode()
    alice.is_staff = True
    alice.save()
    assert "The daily checks did not run" in signed_in(alice).get("/").content.decode()
    finished_sweep(2)
    assert "The daily checks did not run" not in signed_in(alice).get("/").content.decode()


def test_it_tells_whether_beat_is_sending(db: None, frozen: Any) -> None:
    # A data migration makes the outbox's beat entry; a transactional test run before this one flushes it away.
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        task="reassessment.send_reminders", defaults={"name": "Send reminders (test)", "interval": every}
    )
    PeriodicTask.objects.update(last_run_at=None)
    with pytest.raises(CommandError, match="not sent any"):
        call_command("check_beat")
    PeriodicTask.objects.filter(task="reassessment.send_reminders").update(last_run_at=NOW - timedelta(minutes=20))
    with pytest.raises(CommandError, match="20 minutes ago"):
        call_command("check_beat")
    PeriodicTask.objects.filter(task="reassessment.send_reminders").update(last_run_at=NOW - timedelta(minutes=4))
    out = StringIO()
    call_command("check_beat", stdout=out)
    assert "240 seconds ago" in out.getvalue()
