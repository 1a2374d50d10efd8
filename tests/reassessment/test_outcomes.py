"""Outcomes per starting sequence (DESIGN §2b): weeks to remission and recommended starts followed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patients.models import TreatmentPhase
from patients.services import start_phase
from reassessment.outcomes import outcomes
from reassessment.services import submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items
from tests.frontend.conftest import signed_in


def ago(days: int):
    return TODAY - timedelta(days=days)


def scores(patient, by, *days_totals) -> None:
    for day, total in days_totals:
        submit_assessment(patient=patient, instrument="phq9", items=phq9_items(total), administered_at=day,
                          source="clinician", entered_by=by)


def phase(patient, by, modality, started_on, stage="acute") -> None:
    start_phase(patient=patient, by=by, modality=modality, stage=stage, started_on=started_on)


@pytest.fixture
def courses(alice, frozen) -> None:
    # Medication first (baseline 12: "either", followed), psychotherapy added on day 42, remission on day 70.
    a = make_patient(alice, "MRN-A")
    phase(a, alice, "medication", ago(100))
    phase(a, alice, "combined", ago(58))
    scores(a, alice, (ago(101), 12), (ago(72), 11), (ago(30), 4))
    # Medication first (baseline 18: "combined", not followed), no remission; a continuation stage is no change.
    b = make_patient(alice, "MRN-B")
    phase(b, alice, "medication", ago(90))
    phase(b, alice, "combined", ago(60))
    phase(b, alice, "combined", ago(20), stage="continuation")
    scores(b, alice, (ago(90), 18), (ago(40), 12))
    # Psychotherapy first (baseline 7: "psychotherapy", followed), remission on day 28.
    c = make_patient(alice, "MRN-C")
    phase(c, alice, "psychotherapy", ago(56))
    scores(c, alice, (ago(58), 7), (ago(28), 3))
    # Psychotherapy first without a baseline: counted, no recommended start to compare; remission on day 14.
    d = make_patient(alice, "MRN-D")
    phase(d, alice, "psychotherapy", ago(56))
    scores(d, alice, (ago(42), 4))


def by_key(result):
    return {row.key: row for row in result.by_start}


def test_it_groups_patients_by_their_starting_sequence(alice, courses):
    rows = by_key(outcomes(alice, TODAY))
    assert {key: row.patients for key, row in rows.items()} == {"medication>combined": 2, "psychotherapy": 2}


def test_it_gives_the_median_weeks_to_remission_with_its_count(alice, courses):
    rows = by_key(outcomes(alice, TODAY))
    assert (rows["medication>combined"].remitted, rows["medication>combined"].median_weeks) == (1, 10.0)
    assert (rows["psychotherapy"].remitted, rows["psychotherapy"].median_weeks) == (2, 3.0)  # 2 and 4 weeks


def test_it_gives_the_share_whose_first_phase_followed_the_recommended_start(alice, courses):
    rows = by_key(outcomes(alice, TODAY))
    med = rows["medication>combined"]
    assert (med.start_matched, med.start_evaluable, med.matched_pct) == (1, 2, 50.0)
    therapy = rows["psychotherapy"]
    assert (therapy.start_matched, therapy.start_evaluable, therapy.matched_pct) == (1, 1, 100.0)


def test_it_reads_only_the_first_course(alice, frozen):
    p = make_patient(alice, "MRN-E")
    phase(p, alice, "psychotherapy", ago(200))
    phase(p, alice, "medication", ago(100))
    scores(p, alice, (ago(201), 8), (ago(50), 3))
    (row,) = outcomes(alice, TODAY).by_start
    assert row.modalities == ("psychotherapy", "medication")  # unbroken: one course

    TreatmentPhase.objects.filter(patient=p, modality="psychotherapy").update(ended_on=ago(150))  # a gap
    (row,) = outcomes(alice, TODAY).by_start
    assert (row.modalities, row.remitted) == (("psychotherapy",), 0)  # the remission came in the second course


def test_it_shows_the_starting_sequences_on_the_page(alice, courses):
    page = signed_in(alice).get("/outcomes/").content.decode()
    table = page[page.index('id="starting-sequences"'):]
    table = table[: table.index("</table>")]
    assert "Medication, then psychotherapy added" in table
    assert "<strong>10.0</strong>" in table
    assert "n = 1" in table
    assert "<strong>50.0%</strong> <span class=\"sub-inline\">1/2</span>" in table
    assert "Psychotherapy</th>" in table
