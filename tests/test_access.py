"""The URL x role test: every route that names a patient or a flag answers 404 to a clinician off the care team."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from instruments.models import Assessment
from patients.models import Medication, TreatmentPhase
from reassessment.models import Flag
from reassessment.services import change_phase, record_medication, submit_assessment
from tests.conftest import make_clinician


def routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, Any]]:
    """Every URL pattern of the project as (route, pattern), includes flattened."""
    found: list[tuple[str, Any]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(routes(entry, route))
        elif isinstance(entry, URLPattern):
            found.append((route, entry))
    return found


PATIENT_ROUTES = sorted(
    {route for route, _ in routes() if any(f"<int:{k}>" in route for k in ("patient_id", "flag_id", "assessment_id"))}
)


def test_it_finds_every_patient_route() -> None:
    # The walk finds routes by their converters: a new patient route changes this count and is covered below.
    assert len(PATIENT_ROUTES) == 23, PATIENT_ROUTES


@pytest.fixture
def alices_world(alice: Any, patient: Any, frozen: Any) -> dict[str, int]:
    from datetime import date

    change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=date(2026, 1, 5))
    submit_assessment(patient=patient, instrument="phq9", items=[2] * 9, administered_at="2026-01-04",
                      source="clinician", entered_by=alice)
    medication, _ = record_medication(
        patient=patient, by=alice, name="sertraline", drug_class="ssri", started_on=date(2026, 1, 5)
    )
    flag = Flag.objects.get(patient=patient)
    return {"patient_id": patient.id, "flag_id": flag.id, "medication_id": medication.id,
            "assessment_id": Assessment.objects.get().id}


def snapshot() -> tuple[Any, ...]:
    return (
        Assessment.objects.count(),
        TreatmentPhase.objects.count(),
        list(Medication.objects.order_by("id").values_list("id", "dose", "stopped_on")),
        list(Flag.objects.order_by("id").values_list("id", "status", "resolution_note")),
        list(Assessment.objects.order_by("id").values_list("id", "entered_in_error_at")),
    )


@pytest.mark.parametrize("route", PATIENT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_it_answers_404_to_a_clinician_off_the_care_team(
    route: str, method: str, alices_world: dict[str, int], db: None
) -> None:
    bob = make_clinician("bob-off-team")
    client = Client()
    client.force_login(bob)
    url = "/" + route.replace("<int:patient_id>", str(alices_world["patient_id"])).replace(
        "<int:flag_id>", str(alices_world["flag_id"])
    ).replace("<str:instrument>", "phq9").replace("<int:medication_id>", str(alices_world["medication_id"])).replace(
        "<int:assessment_id>", str(alices_world["assessment_id"]))
    before = snapshot()
    medication, flag = alices_world["medication_id"], alices_world["flag_id"]
    body = {"items": [0] * 9, "modality": "combined", "stage": "acute", "started_on": "2026-03-01",
            "name": "x", "drug_class": "ssri", "note": "x", **{f"item_{n}": "0" for n in range(1, 18)},
            "stopped_on": "2026-03-01", "dose": "100 mg", "on": "2026-03-01", "severity": "high",
            f"stop-{medication}-stopped_on": "2026-03-01", f"dose-{medication}-dose": "100 mg",
            f"dose-{medication}-on": "2026-03-01", f"resolve-{flag}-note": "x", "concern-severity": "high",
            "concern-note": "x", "reason": "x", f"eie-{alices_world['assessment_id']}-reason": "x"}
    if method == "patch":
        response = client.patch(url, body, content_type="application/json")
    else:
        response = getattr(client, method)(url, body)
    assert response.status_code in (404, 405), (url, response.status_code)
    if response.status_code == 405:
        # Only a method the route does not have; the other method of the same route is checked by its own case.
        return
    assert snapshot() == before


def test_it_answers_404_to_a_concern_raised_about_another_teams_patient(alices_world: dict[str, int]) -> None:
    bob = make_clinician("bob-off-team")
    client = Client()
    client.force_login(bob)
    before = snapshot()
    body = {"patient": alices_world["patient_id"], "kind": "clinician_concern", "severity": "high", "note": "x"}
    response = client.post("/api/v1/flags/", body, content_type="application/json")
    assert response.status_code == 404
    assert snapshot() == before
