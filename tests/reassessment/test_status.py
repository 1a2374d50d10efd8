"""The stored per-patient status (PatientStatus) against the engine's live answer, and every path that refreshes it."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from patients.models import Patient
from reassessment import selectors, services
from reassessment.models import Flag, PatientStatus
from tests.conftest import TODAY, make_patient, phq9_items


def live_view(user: Any, today: Any) -> dict[int, tuple[Any, ...]]:
    """What the engine says now, for each of the user's active patients, in the caseload's terms."""
    patients = list(selectors.visible_patients(user).filter(active=True))
    live = selectors.summaries(patients, today)
    flags = selectors.open_flags_by_patient(p.id for p in patients)
    return {p.id: row_terms(selectors.CaseloadRow(patient=p, summary=live[p.id], flags=flags.get(p.id, [])))
            for p in patients}


def row_terms(row: selectors.CaseloadRow) -> tuple[Any, ...]:
    s = row.summary
    return (
        s.instrument,
        s.phase.id if s.phase else None,
        s.phase.modality if s.phase else None,
        row.result,
        s.recommended,
        s.start_differs,
        row.category,
        row.due,
        row.overdue,
        row.suicide_risk,
        [(f.id, f.kind) for f in row.flags],
    )


def stored_view(user: Any, today: Any) -> dict[int, tuple[Any, ...]]:
    view = selectors.caseload(user, today, page_size=10_000)
    assert view.pages == 1
    return {row.patient.id: row_terms(row) for row in view.rows}


@pytest.fixture
def demo(db: None, frozen: Any, monkeypatch: Any) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-demo-password-42\n"))
    call_command("seed_demo", "--password-stdin", stdout=io.StringIO())
    return get_user_model().objects.get(username="demo")


def test_it_stores_what_the_engine_says_for_every_demo_patient_after_the_sweep(demo: Any) -> None:
    services.sweep(today=TODAY)
    live = live_view(demo, TODAY)
    assert len(live) >= 30
    assert stored_view(demo, TODAY) == live


def test_it_stores_what_the_engine_says_for_every_demo_patient_straight_after_seeding(demo: Any) -> None:
    # No sweep yet: every path that wrote the demo record refreshed the statuses on its own.
    assert stored_view(demo, TODAY) == live_view(demo, TODAY)


@pytest.mark.parametrize("days", [1, 7])
def test_it_derives_week_due_and_overdue_for_later_days_before_the_sweep_runs(demo: Any, frozen: Any,
                                                                               days: int) -> None:
    services.sweep(today=TODAY)
    later = TODAY + timedelta(days=days)
    frozen.move_to(later.isoformat() + " 10:00")
    stored = stored_view(demo, later)
    live = live_view(demo, later)
    # week, due and overdue follow the date; whatever else the sweep of that day finds, it stores (next test).
    def moving(terms: tuple[Any, ...]) -> tuple[Any, ...]:
        return (terms[3].week if terms[3] else None, terms[7], terms[8])
    assert {pid: moving(t) for pid, t in stored.items()} == {pid: moving(t) for pid, t in live.items()}
    services.sweep(today=later)
    assert stored_view(demo, later) == live_view(demo, later)


def test_it_refreshes_on_a_submission_an_acknowledgement_a_phase_and_a_medication(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-S")
    assert not PatientStatus.objects.filter(patient=patient).exists()
    services.change_phase(patient=patient, by=alice, modality="medication", stage="acute",
                          started_on=TODAY - timedelta(days=40))
    assert PatientStatus.objects.get(patient=patient).category == "no_baseline"
    services.submit_assessment(patient=patient, instrument="phq9", items=phq9_items(15, item9=1),
                               administered_at=TODAY - timedelta(days=41), source="clinician", entered_by=alice)
    status = PatientStatus.objects.get(patient=patient)
    assert (status.category, status.latest_total, status.suicide_risk, status.open_flags) == ("too_early", 15, True, 1)
    services.acknowledge_flag(flag=Flag.objects.get(patient=patient), by=alice)
    status.refresh_from_db()
    assert (status.suicide_risk, status.open_flags) == (False, 0)
    for name, cls in (("sertraline", "ssri"), ("tramadol", "serotonergic_opioid")):
        services.record_medication(patient=patient, by=alice, name=name, drug_class=cls,
                                   started_on=TODAY - timedelta(days=1))
    status.refresh_from_db()
    assert status.open_flags == 1
    services.change_phase(patient=patient, by=alice, modality="combined", stage="acute", started_on=TODAY)
    status.refresh_from_db()
    assert (status.modality, status.category) == ("combined", "no_baseline")  # the last score is 41 days old


def test_it_writes_nothing_when_nothing_changed(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-S")
    services.change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY)
    assert services.refresh_statuses(patient_ids=[patient.id]) == 0
    Patient.objects.filter(pk=patient.pk).update(reminder_interval_days=14)
    assert services.refresh_statuses(patient_ids=[patient.id]) == 1


def test_it_is_exact_again_once_the_sweep_of_a_later_day_ran(demo: Any, frozen: Any) -> None:
    """30 days on, weekly-monitoring windows have ended (the interval in force lengthened): until that day's sweep
    the derived due/overdue may run ahead of the engine (README "Scaling"); the sweep stores the exact answer."""
    services.sweep(today=TODAY)
    later = TODAY + timedelta(days=30)
    frozen.move_to(later.isoformat() + " 10:00")
    services.sweep(today=later)
    assert stored_view(demo, later) == live_view(demo, later)


def test_a_later_day_with_the_same_answer_only_moves_the_rows_day_on(alice: Any, frozen: Any) -> None:
    """The first sweep of a day rewrites only the rows whose answer changed; the others keep their summary and
    digest and only say they hold for the new day (computed_on), so the caseload reads them as exact, not derived."""
    patient = make_patient(alice, "MRN-C")
    services.change_phase(patient=patient, by=alice, modality="psychotherapy", stage="maintenance",
                          started_on=TODAY - timedelta(days=1))
    before = PatientStatus.objects.get(patient=patient)
    frozen.move_to((TODAY + timedelta(days=1)).isoformat() + " 10:00")  # still week 1, not due: the same answer

    assert services.refresh_statuses(patient_ids=[patient.id]) == 1
    after = PatientStatus.objects.get(patient=patient)
    assert after.computed_on == TODAY + timedelta(days=1)
    assert (after.digest, after.summary, after.updated_at) == (before.digest, before.summary, before.updated_at)
    assert services.refresh_statuses(patient_ids=[patient.id]) == 0  # and the same day again: nothing


def test_a_changed_answer_rewrites_the_row_and_its_digest(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-D")
    services.change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY)
    before = PatientStatus.objects.get(patient=patient)
    services.submit_assessment(patient=patient, instrument="phq9", items=phq9_items(18),
                               administered_at=TODAY, source="clinician", entered_by=alice)

    after = PatientStatus.objects.get(patient=patient)
    assert after.digest != before.digest
    assert len(after.digest) == 32
    assert after.latest_total == 18


def test_the_sweep_pages_of_many_patients_match_the_engine_after_a_day_passes(demo: Any, frozen: Any) -> None:
    """The day after the sweep, most rows are confirmed rather than rewritten: the stored view is still exact."""
    services.sweep(today=TODAY)
    tomorrow = TODAY + timedelta(days=1)
    frozen.move_to(tomorrow.isoformat() + " 10:00")
    services.sweep(today=tomorrow)
    assert set(PatientStatus.objects.values_list("computed_on", flat=True)) == {tomorrow}
    assert stored_view(demo, tomorrow) == live_view(demo, tomorrow)
