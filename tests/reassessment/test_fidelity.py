"""Measurement fidelity of a caseload: scored in the last 30 days, with a baseline, median days between scores."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from patients.models import Patient, TreatmentPhase
from patients.services import start_phase
from reassessment.fidelity import fidelity
from reassessment.services import submit_assessment
from tests.conftest import TODAY, hamd17_items, make_patient, phq9_items


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def scored(patient: Patient, by: Any, *days_ago: int, instrument: str = "phq9") -> None:
    items = phq9_items(12) if instrument == "phq9" else hamd17_items(12)
    for n in days_ago:
        submit_assessment(patient=patient, instrument=instrument, items=items, administered_at=ago(n),
                          source="clinician", entered_by=by)


def phase(patient: Patient, by: Any, started_days_ago: int) -> None:
    start_phase(patient=patient, by=by, modality="medication", stage="acute", started_on=ago(started_days_ago))


@pytest.fixture
def caseload(alice: Any, bob: Any, frozen: Any) -> None:
    """Alice's five patients in an active phase (and three who do not count); bob's one."""
    p1 = make_patient(alice, "MRN-1")  # baseline, measured 15 days ago; gaps 22 and 25
    phase(p1, alice, 60)
    scored(p1, alice, 62, 40, 15)
    p2 = make_patient(alice, "MRN-2")  # baseline (day -10), last score 40 days ago; gap 60
    phase(p2, alice, 90)
    scored(p2, alice, 100, 40)
    p3 = make_patient(alice, "MRN-3")  # no score of its primary instrument: a HAM-D 17 is not a PHQ-9
    phase(p3, alice, 10)
    scored(p3, alice, 2, instrument="hamd17")
    p4 = make_patient(alice, "MRN-4")  # scored exactly 30 days ago (twice that day: one measurement, no gap)
    phase(p4, alice, 50)
    scored(p4, alice, 30, 30)
    p7 = make_patient(alice, "MRN-7")  # baseline on the start day, then 31 days ago: not recent; gap 29
    phase(p7, alice, 60)
    scored(p7, alice, 60, 31)
    scored(make_patient(alice, "MRN-5"), alice, 3)  # no phase
    p6 = make_patient(alice, "MRN-6")  # inactive
    phase(p6, alice, 20)
    scored(p6, alice, 20)
    Patient.objects.filter(pk=p6.pk).update(active=False)
    ended = make_patient(alice, "MRN-8")  # an ended phase only
    phase(ended, alice, 40)
    TreatmentPhase.objects.filter(patient=ended).update(ended_on=ago(5))
    theirs = make_patient(bob, "MRN-9")
    phase(theirs, bob, 20)
    scored(theirs, bob, 20, 1)


def test_it_counts_the_caseload_in_an_active_phase(alice: Any, caseload: None) -> None:
    assert fidelity(alice, TODAY).in_active_phase == 5


def test_it_counts_a_score_in_the_last_30_days(alice: Any, caseload: None) -> None:
    result = fidelity(alice, TODAY)
    assert (result.scored_recently.count, result.scored_recently.of, result.scored_recently.pct) == (2, 5, 40.0)


def test_it_counts_a_baseline(alice: Any, caseload: None) -> None:
    result = fidelity(alice, TODAY)
    assert (result.with_baseline.count, result.with_baseline.of, result.with_baseline.pct) == (3, 5, 60.0)


def test_it_takes_the_median_of_the_gaps_between_score_days(alice: Any, caseload: None) -> None:
    result = fidelity(alice, TODAY)
    # Gaps 22, 25, 60, 29: median (25 + 29) / 2.
    assert (result.median_days_between_scores, result.gaps, result.patients_with_gaps) == (27.0, 4, 3)


def test_it_shows_only_the_viewers_own_caseload(bob: Any, caseload: None) -> None:
    result = fidelity(bob, TODAY)
    assert result.in_active_phase == 1
    assert result.scored_recently.as_dict() == {"count": 1, "of": 1, "pct": 100.0}
    assert result.median_days_between_scores == 19.0


def test_it_has_no_rates_for_an_empty_caseload(alice: Any, frozen: Any) -> None:
    result = fidelity(alice, TODAY)
    assert result.in_active_phase == 0
    assert result.scored_recently.pct is None
    assert result.median_days_between_scores is None


def test_it_reads_the_figures_in_a_fixed_number_of_queries(
    alice: Any, caseload: None, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        fidelity(alice, TODAY)


def test_it_answers_the_api(alice_api: Any, caseload: None) -> None:
    response = alice_api.get("/api/v1/outcomes/fidelity/")
    assert response.status_code == 200
    assert response.json() == {
        "as_of": "2026-03-12",
        "recent_days": 30,
        "patients_in_active_phase": 5,
        "scored_recently": {"count": 2, "of": 5, "pct": 40.0},
        "with_baseline": {"count": 3, "of": 5, "pct": 60.0},
        "median_days_between_scores": 27.0,
        "gaps": 4,
        "patients_with_gaps": 3,
    }


def test_it_refuses_the_api_to_anonymous_callers(db: None) -> None:
    assert Client().get("/api/v1/outcomes/fidelity/").status_code == 401


def test_it_shows_the_figures_on_the_outcomes_page(alice: Any, caseload: None) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/outcomes/").content.decode()
    assert "Measurement fidelity" in page
    assert "40% <span class=\"muted\">(2 of 5)</span>" in page
    assert "60% <span class=\"muted\">(3 of 5)</span>" in page
    assert "27 <span class=\"muted\">(over 4 gaps of 3 patients)</span>" in page
