"""Fixtures of the interoperability tests: a patient with a treatment history on every instrument."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from instruments import definitions
from patients.models import Patient
from reassessment import services
from tests.conftest import TODAY, phq9_items

START = TODAY - timedelta(days=60)


def items_for(code: str, total: int) -> list[int]:
    answers, left = [], total
    for item in definitions.get(code).items:
        answers.append(min(item.max_score, left))
        left -= answers[-1]
    assert left == 0
    return answers


@pytest.fixture
def history(alice: Any, patient: Patient, frozen: Any) -> Patient:
    """Two phases, two medications, PHQ-9 (one with item 9 positive), GAD-7, PCL-5 and HAM-D 17 scores."""
    services.change_phase(patient=patient, by=alice, modality="psychotherapy", stage="acute", started_on=START,
                          therapy="cbt", notes="Started CBT.")
    services.change_phase(patient=patient, by=alice, modality="combined", stage="acute",
                          started_on=START + timedelta(days=30))
    services.record_medication(patient=patient, by=alice, name="Sertraline", drug_class="ssri",
                               started_on=START + timedelta(days=30), dose="50 mg daily")
    services.record_medication(patient=patient, by=alice, name="Mirtazapine", drug_class="serotonergic_antidepressant",
                               started_on=START, stopped_on=START + timedelta(days=10))
    for day, total, item9, difficulty in [(-1, 19, 0, 2), (28, 15, 1, None), (56, 9, 0, 0)]:
        services.submit_assessment(patient=patient, instrument="phq9", items=phq9_items(total, item9=item9),
                                   administered_at=START + timedelta(days=day), source="clinician", entered_by=alice,
                                   difficulty=difficulty)
    for code, total in [("gad7", 12), ("pcl5", 41), ("hamd17", 17)]:
        services.submit_assessment(patient=patient, instrument=code, items=items_for(code, total),
                                   administered_at=START + timedelta(days=2), source="clinician", entered_by=alice)
    return patient


def on(day: int) -> date:
    return START + timedelta(days=day)
