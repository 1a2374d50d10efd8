"""Two sweeps at once on PostgreSQL (two workers, or beat plus an operator's run_reassessment) never duplicate."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, connections

from reassessment.models import Flag, FlagKind, Reminder
from reassessment.services import change_phase, submit_assessment, sweep
from tests.conftest import make_patient, require

pytestmark = pytest.mark.services

TODAY = date(2026, 3, 12)


def test_it_raises_each_flag_once_when_two_sweeps_race(alice: Any, transactional_db: None, frozen: Any) -> None:
    require(connection.vendor == "postgresql", "concurrent sweeps need PostgreSQL (set DATABASE_URL)")
    for n in range(60):
        patient = make_patient(alice, external_id=f"MRN-{n}")
        change_phase(patient=patient, by=alice, modality="medication", stage="acute",
                     started_on=TODAY - timedelta(days=100))
        # DESIGN 2: a partial response is judged from day 56 on; day 65, 35 days ago, is also due for a reminder.
        for day, items in ((-101, [2] * 9), (-35, [2] * 8 + [0])):
            submit_assessment(patient=patient, instrument="phq9", items=items, source="clinician",
                              administered_at=(TODAY + timedelta(days=day)).isoformat(), entered_by=alice)

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            sweep(today=TODAY, batch_size=7)
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Flag.objects.filter(kind=FlagKind.PARTIAL_RESPONSE).count() == 60
    assert Reminder.objects.count() == 60
    assert Flag.objects.values("dedupe_key").distinct().count() == Flag.objects.count()
