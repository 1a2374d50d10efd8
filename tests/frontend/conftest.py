"""Fixtures of the page tests: signed-in browsers (Django's test client) and a patient with a treatment history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from patients.models import Patient, TreatmentPhase
from patients.services import start_phase
from reassessment.services import evaluate_patient, submit_assessment
from tests.conftest import TODAY, phq9_items


def give_history(
    patient: Patient,
    by: Any,
    *,
    modality: str = "medication",
    started_on: date | None = None,
    scores: Sequence[tuple[int, int]] = ((-2, 18), (30, 16)),
    today: date = TODAY,
) -> TreatmentPhase:
    """A phase and PHQ-9 totals on the given days from its start, then the checks as of `today`."""
    started_on = started_on or today - timedelta(days=40)
    phase = start_phase(patient=patient, by=by, modality=modality, stage="acute", started_on=started_on)
    for day, total in scores:
        submit_assessment(
            patient=patient,
            instrument="phq9",
            items=phq9_items(total),
            administered_at=started_on + timedelta(days=day),
            source="clinician",
            entered_by=by,
        )
    evaluate_patient(patient.id, today=today)
    return phase


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: Any) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob: Any) -> Client:
    return signed_in(bob)


def give_partial_response(patient: Patient, by: Any, *, modality: str = "medication") -> TreatmentPhase:
    """A partial responder flagged 10 days ago: 18 -> 16 on day 60 of a phase started 70 days ago (DESIGN §2: the
    flag waits for a two-month course)."""
    return give_history(
        patient, by, modality=modality, started_on=TODAY - timedelta(days=70), scores=((-2, 18), (60, 16))
    )
