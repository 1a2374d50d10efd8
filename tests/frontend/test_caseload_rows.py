"""Issue 13: the caseload's rows: "due since" for a past date, overdue that stands out, no tiny-baseline percentage."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from frontend.templatetags.mbc import due_on
from patients.services import start_phase
from reassessment.selectors import patient_summary
from reassessment.services import submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 1), "due since 1 Mar"),
        (date(2025, 11, 13), "due since 13 Nov 2025"),
        (date(2026, 3, 12), "due today"),
        (date(2026, 3, 20), "20 Mar 2026"),
    ],
)
def test_it_says_due_since_for_a_past_date(day, expected):
    assert due_on(day, TODAY) == expected


def score(patient, on: date, total: int) -> None:
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(total), administered_at=on,
                      source="clinician")


@pytest.fixture
def remitted(alice, frozen):
    """An acute course from 19 to remission, then a continuation phase whose own baseline is 3."""
    patient = make_patient(alice, "MRN-C", display_name="Cora Continuation")
    acute = TODAY - timedelta(days=200)
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=acute)
    for day, total in [(-2, 19), (28, 12), (56, 6), (84, 3)]:
        score(patient, acute + timedelta(days=day), total)
    continuation = acute + timedelta(days=100)
    start_phase(patient=patient, by=alice, modality="medication", stage="continuation", started_on=continuation)
    score(patient, continuation + timedelta(days=30), 4)
    score(patient, continuation + timedelta(days=60), 4)
    return patient


def test_it_sets_a_continuation_phase_against_the_course_baseline(remitted):
    progress = patient_summary(remitted, TODAY).progress
    assert progress is not None
    assert (progress.pct, progress.baseline_total, progress.course) == (78.9, 19, True)  # (19 - 4) / 19


def test_it_shows_the_course_baseline_on_the_caseload_not_the_tiny_one(remitted, alice_client):
    page = alice_client.get("/").content.decode()
    row = page[page.index("Cora Continuation"):]
    row = row[: row.index("</tr>")]
    assert "-33.3%" not in row
    assert "78.9%" in row
    assert "from 19 at the course&#x27;s start" in row or "from 19 at the course's start" in row


def test_it_shows_nothing_without_a_course_baseline(alice, frozen, alice_client):
    patient = make_patient(alice, "MRN-M", display_name="Milo Maintenance")
    start_phase(patient=patient, by=alice, modality="medication", stage="maintenance",
                started_on=TODAY - timedelta(days=60))
    score(patient, TODAY - timedelta(days=30), 4)  # day 30: no baseline in the course's window
    assert patient_summary(patient, TODAY).progress is None


def test_it_keeps_the_acute_phase_improvement(alice, frozen):
    patient = make_patient(alice, "MRN-A")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY - timedelta(days=40))
    score(patient, TODAY - timedelta(days=41), 20)
    score(patient, TODAY - timedelta(days=5), 10)
    progress = patient_summary(patient, TODAY).progress
    assert (progress.pct, progress.baseline_total, progress.course) == (50.0, 20, False)


def test_it_says_due_since_on_the_caseload(alice, frozen, alice_client):
    patient = make_patient(alice, "MRN-O", display_name="Otto Overdue")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY - timedelta(days=70))
    score(patient, TODAY - timedelta(days=71), 18)
    page = alice_client.get("/").content.decode()
    row = page[page.index("Otto Overdue"):]
    row = row[: row.index("</tr>")]
    assert "due since 29 Jan" in row  # the phase's start (1 Jan) + 28 days, later than the anchor's 28 Jan
    assert 'class="badge badge-overdue"' in row
