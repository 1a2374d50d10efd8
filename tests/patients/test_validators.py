"""One date check for every clinical date the API and the pages take (issue 9 item 6): 1900-01-01 up to today."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from instruments.models import Assessment
from patients.models import Medication, Patient, TreatmentPhase
from patients.validators import TOO_EARLY, check_clinical_date, check_clinical_moment
from tests.conftest import NOW, TODAY, make_patient

EDGES = [("1899-12-31", 400), ("1900-01-01", 201), (TODAY.isoformat(), 201), ((TODAY + timedelta(1)).isoformat(), 400)]


@pytest.mark.parametrize(
    ("value", "ok"),
    [(date(1, 1, 1), False), (date(1899, 12, 31), False), (date(1900, 1, 1), True), (TODAY, True),
     (TODAY + timedelta(days=1), False), (date(9999, 12, 31), False)],
)
def test_it_takes_dates_from_1900_up_to_today(value: date, ok: bool) -> None:
    if ok:
        check_clinical_date(value, field="d", today=TODAY)
    else:
        with pytest.raises(ValidationError) as refused:
            check_clinical_date(value, field="d", today=TODAY)
        assert list(refused.value.message_dict) == ["d"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Etc/GMT-14")), False),  # +14:00
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Etc/GMT+12")), False),  # -12:00: past datetime.max UTC
        (datetime(1, 1, 1, 0, 0, tzinfo=ZoneInfo("Etc/GMT-14")), False),  # before datetime.min in UTC
        (datetime(1, 1, 1, 0, 0), False),
        (datetime(1900, 1, 1, 0, 0, tzinfo=ZoneInfo("Etc/GMT-14")), True),
        (NOW + timedelta(minutes=5), True),  # DESIGN §2: a datetime is in the future 5 minutes after now
        (NOW + timedelta(minutes=5, seconds=1), False),
    ],
)
def test_it_judges_a_datetime_without_overflowing_at_the_calendars_edge(value: datetime, ok: bool) -> None:
    if ok:
        assert check_clinical_moment(value, field="t", now=NOW) == value
    else:
        with pytest.raises(ValidationError):
            check_clinical_moment(value, field="t", now=NOW)


# --- through the API: every date it takes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "status"), EDGES)
@pytest.mark.parametrize(
    "case",
    ["birth_date", "phase_started_on", "medication_started_on", "medication_stopped_on", "administered_at",
     "patch_birth_date", "patch_episode_onset"],
)
def test_it_answers_400_with_a_field_message_for_a_date_out_of_range(
    alice_api: Any, alice: Any, frozen: Any, day: str, status: int, case: str
) -> None:
    patient = make_patient(alice, "MRN-X", birth_date=None)
    url, body, field = {
        "birth_date": ("/api/v1/patients/", {"external_id": "MRN-D", "display_name": "D", "birth_date": day},
                       "birth_date"),
        "phase_started_on": (f"/api/v1/patients/{patient.id}/phases/",
                             {"modality": "medication", "stage": "acute", "started_on": day}, "started_on"),
        "medication_started_on": (f"/api/v1/patients/{patient.id}/medications/",
                                  {"name": "sertraline", "drug_class": "ssri", "started_on": day}, "started_on"),
        "medication_stopped_on": (f"/api/v1/patients/{patient.id}/medications/",
                                  {"name": "sertraline", "drug_class": "ssri", "started_on": "1900-01-01",
                                   "stopped_on": day}, "stopped_on"),
        "patch_birth_date": (f"/api/v1/patients/{patient.id}/", {"birth_date": day}, "birth_date"),
        "patch_episode_onset": (f"/api/v1/patients/{patient.id}/", {"episode_onset": day}, "episode_onset"),
        "administered_at": ("/api/v1/assessments/",
                            {"patient": patient.id, "instrument": "phq9", "items": [0] * 9, "administered_at": day},
                            "administered_at"),
    }[case]
    counts = (Patient.objects.count(), TreatmentPhase.objects.count(), Medication.objects.count(),
              Assessment.objects.count())

    if case.startswith("patch_"):
        response = alice_api.patch(url, body, format="json")
        status = 200 if status == 201 else status
    else:
        response = alice_api.post(url, body, format="json")

    assert response.status_code == status, response.content
    if status == 400:
        assert list(response.json()) == [field]
        assert (Patient.objects.count(), TreatmentPhase.objects.count(), Medication.objects.count(),
                Assessment.objects.count()) == counts


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00-14:00",
     "0001-01-01T00:00:00+14:00", "0001-01-01", "1899-12-31T23:59:59"],
)
def test_it_answers_400_to_an_administered_at_at_the_calendars_edge(
    alice_api: Any, patient: Patient, frozen: Any, moment: str
) -> None:
    body = {"patient": patient.id, "instrument": "phq9", "items": [0] * 9, "administered_at": moment}
    response = alice_api.post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["administered_at"]
    assert not Assessment.objects.exists()


def test_it_refuses_a_year_1_date_with_a_clear_message(alice_api: Any, patient: Patient, frozen: Any) -> None:
    body = {"modality": "medication", "stage": "acute", "started_on": "0001-01-02"}
    response = alice_api.post(f"/api/v1/patients/{patient.id}/phases/", body, format="json")
    assert response.json() == {"started_on": [TOO_EARLY]}


# --- through the pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("phases", {"phase-modality": "medication", "phase-stage": "acute", "phase-started_on": "0001-01-02"},
         "started_on"),
        ("medications", {"med-name": "sertraline", "med-drug_class": "ssri", "med-started_on": "1899-12-31"},
         "started_on"),
        ("medications", {"med-name": "sertraline", "med-drug_class": "ssri", "med-started_on": "2026-01-01",
                         "med-stopped_on": "2026-03-13"}, "stopped_on"),
        ("assessments/phq9", {**{f"phq9-item_{n}": "0" for n in range(1, 10)}, "phq9-client_id": "c",
                              "phq9-administered_on": "0001-01-01"}, "administered_on"),
    ],
)
def test_it_shows_the_date_message_on_the_patient_pages_forms(
    alice: Any, patient: Patient, frozen: Any, url: str, data: dict[str, str], field: str
) -> None:
    browser = Client()
    browser.force_login(alice)
    response = browser.post(f"/patients/{patient.id}/{url}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert TOO_EARLY in page or "This date is in the future." in page
    assert not TreatmentPhase.objects.exists()
    assert not Medication.objects.exists()
    assert not Assessment.objects.exists()
