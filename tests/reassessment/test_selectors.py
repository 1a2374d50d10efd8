"""Reads of the checks through the database: the facts the engine gets (DESIGN §2b course)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from patients.models import Patient, TreatmentPhase
from reassessment import selectors, services

START = date(2026, 1, 5)


def on(day: int) -> date:
    return START + timedelta(days=day)


def start(patient: Patient, day: int, modality: str = "medication", stage: str = "acute") -> TreatmentPhase:
    return services.change_phase(patient=patient, by=None, modality=modality, stage=stage, started_on=on(day))


def active_facts(patient: Patient) -> Any:
    (facts,) = selectors.active_phase_facts(services.active_phases().filter(patient=patient), on(70))
    return facts


def test_it_starts_the_course_with_the_phase_when_it_is_the_first(patient: Patient, frozen: Any) -> None:
    start(patient, 0)
    assert active_facts(patient).course_started_on == on(0)


def test_it_runs_the_course_back_through_phases_each_ended_the_day_before_the_next(
    patient: Patient, frozen: Any
) -> None:
    start(patient, 0)
    start(patient, 30, modality="combined")
    start(patient, 50, modality="combined", stage="continuation")
    assert active_facts(patient).course_started_on == on(0)


@pytest.mark.parametrize(("ended", "course_day"), [(29, 0), (35, 0), (28, 30), (10, 30)])
def test_it_breaks_the_course_at_a_gap_between_phases(
    patient: Patient, frozen: Any, ended: int, course_day: int
) -> None:
    first = start(patient, 0)
    start(patient, 30, modality="combined")
    # Ended the day before the next began (29), earlier (a gap) or later (overlapping records).
    TreatmentPhase.objects.filter(pk=first.pk).update(ended_on=on(ended))
    assert active_facts(patient).course_started_on == on(course_day)


def test_it_starts_the_course_after_the_last_gap(patient: Patient, frozen: Any) -> None:
    first = start(patient, 0)
    start(patient, 30)
    start(patient, 50, stage="continuation")
    TreatmentPhase.objects.filter(pk=first.pk).update(ended_on=on(10))
    assert active_facts(patient).course_started_on == on(30)


def test_it_gives_each_phase_its_own_course_in_the_outcomes_facts(patient: Patient, frozen: Any) -> None:
    first = start(patient, 0)
    second = start(patient, 30)
    TreatmentPhase.objects.filter(pk=first.pk).update(ended_on=on(10))
    rows = selectors.with_course(TreatmentPhase.objects.filter(patient=patient)).values_list("id", "course_started_on")
    assert dict(rows) == {first.id: on(0), second.id: on(30)}


def test_it_loads_the_course_scores_from_14_days_before_the_course(patient: Patient, frozen: Any) -> None:
    from tests.reassessment.test_services import score

    start(patient, 0)
    start(patient, 60, modality="combined")
    kept, dropped = score(patient, on(-14), 19), score(patient, on(-15), 20)
    facts = active_facts(patient)
    loaded = {p.assessment_id for p in selectors.score_points([facts])[patient.id]}
    assert kept.id in loaded
    assert dropped.id not in loaded


def test_it_shows_the_course_on_the_summary_facts(patient: Patient, frozen: Any) -> None:
    start(patient, 0)
    start(patient, 60, modality="combined")
    summary = selectors.patient_summary(patient, on(62))
    assert summary.phase is not None
    assert summary.phase.course_started_on == on(0)  # type: ignore[attr-defined]
