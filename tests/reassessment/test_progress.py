"""A patient's own progress after a check-in: from the phase's baseline to this score, their own scores only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from instruments.models import Assessment
from patients.models import Patient
from patients.services import start_phase
from reassessment.progress import Point, own_progress
from reassessment.services import submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def scored(patient: Patient, day: date, total: int, instrument: str = "phq9") -> Assessment:
    items = phq9_items(total) if instrument == "phq9" else [0] * 17
    return submit_assessment(patient=patient, instrument=instrument, items=items, administered_at=day,
                             source="clinician").assessment


@pytest.fixture
def treated(alice: Any, frozen: Any) -> Patient:
    patient = make_patient(alice, "MRN-P")
    scored(patient, ago(200), 24)  # long before this treatment: not on the chart, not the baseline
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=ago(60))
    scored(patient, ago(61), 18)  # the baseline
    scored(patient, ago(30), 14)
    return patient


@pytest.mark.parametrize(
    ("total", "change", "pct"),
    [(11, "better", 39), (17, "better", 6), (0, "better", 100), (18, "same", None), (21, "worse", None)],
)
def test_it_compares_this_score_with_the_phases_baseline(treated: Patient, total: int, change: str, pct: Any) -> None:
    progress = own_progress(scored(treated, TODAY, total))
    assert progress.baseline == Point(ago(61), 18)
    assert progress.current == Point(TODAY, total)
    assert (progress.change, progress.better_pct) == (change, pct)


def test_it_rounds_half_a_percent_up(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-H")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=ago(40))
    scored(patient, ago(40), 16)
    assert own_progress(scored(patient, TODAY, 14)).better_pct == 13  # 12.5% better


def test_it_charts_the_phases_scores_up_to_this_one(treated: Patient) -> None:
    current = scored(treated, ago(2), 11)
    scored(treated, TODAY, 9)  # a later score: not part of the progress of the earlier answer
    progress = own_progress(current)
    assert [(p.day, p.total) for p in progress.points] == [(ago(61), 18), (ago(30), 14), (ago(2), 11)]


def test_it_keeps_the_last_12_scores(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-W")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=ago(100))
    for n in range(15):
        scored(patient, ago(100 - 7 * n), 20 - n)
    progress = own_progress(Assessment.objects.filter(patient=patient).latest("administered_at"))
    assert len(progress.points) == 12
    assert progress.baseline == Point(ago(100), 20)


def test_it_has_nothing_to_compare_the_first_score_with(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-F")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY)
    progress = own_progress(scored(patient, TODAY, 16))
    assert (progress.change, progress.baseline, progress.points) == ("first", None, [Point(TODAY, 16)])


def test_it_has_no_baseline_without_a_phase(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-N")
    scored(patient, ago(30), 20)
    progress = own_progress(scored(patient, TODAY, 12))
    assert progress.change == "first"
    assert [p.total for p in progress.points] == [20, 12]


def test_it_reads_only_the_patients_own_scores_of_this_instrument(treated: Patient, alice: Any) -> None:
    other = make_patient(alice, "MRN-O")
    start_phase(patient=other, by=alice, modality="medication", stage="acute", started_on=ago(60))
    scored(other, ago(61), 3)
    scored(other, ago(1), 24)
    scored(treated, ago(1), 0, instrument="hamd17")
    progress = own_progress(scored(treated, TODAY, 11))
    assert [p.total for p in progress.points] == [18, 14, 11]
