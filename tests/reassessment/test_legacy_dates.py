"""A year-1 row already in the database (written before the date check) breaks nobody's sweep, caseload or outcomes.

Issue 9 item 6: `started_on` 0001-01-02 made the baseline window overflow the calendar for every patient.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from instruments.models import Assessment
from patients.models import Patient, TreatmentPhase
from reassessment import outcomes, selectors, services
from reassessment.models import Flag
from tests.conftest import TODAY, make_patient, phq9_items

YEAR_1 = date(1, 1, 2)


@pytest.fixture
def legacy(alice: Any, frozen: Any) -> dict[str, Patient]:
    """One patient with a year-1 phase and a year-1 score (as a raw write would leave them), and one ordinary one."""
    broken = make_patient(alice, "MRN-OLD", birth_date=None)
    TreatmentPhase.objects.create(patient=broken, modality="medication", stage="acute", started_on=YEAR_1)
    Assessment.objects.create(
        patient=broken, instrument="phq9", instrument_version="1", items=phq9_items(15), total=15,
        severity="moderately_severe", administered_at=datetime.combine(YEAR_1, time(12), ZoneInfo("UTC")),
        administered_on=YEAR_1, source="clinician",
    )
    fine = make_patient(alice, "MRN-OK")
    services.change_phase(patient=fine, by=alice, modality="medication", stage="acute", started_on=date(2025, 12, 1))
    services.submit_assessment(patient=fine, instrument="phq9", items=phq9_items(20), administered_at="2025-12-01",
                               source="clinician")
    return {"broken": broken, "fine": fine}


def test_it_sweeps_everyone_else_past_a_year_1_phase(legacy: dict[str, Patient]) -> None:
    counts = services.sweep(today=TODAY)
    assert counts.phases == 1
    assert Flag.objects.filter(patient=legacy["fine"], kind="reassessment_overdue").exists()
    assert not Flag.objects.filter(patient=legacy["broken"]).exists()


def test_it_evaluates_the_patient_of_a_year_1_phase_without_error(legacy: dict[str, Patient]) -> None:
    assert services.evaluate_patient(legacy["broken"].id, today=TODAY).phases == 0


def test_it_lists_the_caseload_with_a_year_1_phase(alice: Any, legacy: dict[str, Patient]) -> None:
    rows = {r.patient.external_id: r for r in selectors.caseload(alice, TODAY).rows}
    assert rows["MRN-OLD"].category == "no_phase"
    assert rows["MRN-OK"].category == "too_early"


def test_it_computes_the_outcomes_with_a_year_1_phase(alice: Any, legacy: dict[str, Patient]) -> None:
    assert outcomes.outcomes(alice, TODAY).patients == 2


@pytest.mark.parametrize("page", ["/", "/outcomes/", "patient", "summary", "/api/v1/outcomes/fidelity/"])
def test_it_serves_every_page_with_a_year_1_row(alice: Any, legacy: dict[str, Patient], page: str) -> None:
    browser = Client()
    browser.force_login(alice)
    url = {"patient": f"/patients/{legacy['broken'].id}/",
           "summary": f"/api/v1/patients/{legacy['broken'].id}/summary/"}.get(page, page)
    response = browser.get(url)
    assert response.status_code == 200
    if page == "patient":
        assert "phq9-figure" not in response.content.decode()  # its one score is listed, not charted
