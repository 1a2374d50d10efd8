"""GAD-7 and PCL-5 as a patient's primary instrument: the engine, the summary, the pages and the link (issue 12)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from instruments import definitions
from patients.models import Patient
from reassessment import services
from reassessment.models import Flag, SelfReportLink
from tests.conftest import TODAY, make_patient

START = date(2026, 2, 1)


def items_for(code: str, total: int) -> list[int]:
    answers, left = [], total
    for item in definitions.get(code).items:
        answers.append(min(item.max_score, left))
        left -= answers[-1]
    return answers


def score(patient: Patient, code: str, day: int, total: int) -> Any:
    return services.submit_assessment(
        patient=patient, instrument=code, items=items_for(code, total),
        administered_at=START + timedelta(days=day), source="clinician",
    ).assessment


@pytest.fixture
def anxious(alice: Any) -> Patient:
    return make_patient(alice, "MRN-GAD", primary_instrument="gad7", email="gad@example.test")


@pytest.mark.parametrize(("rise", "flagged"), [(3, False), (4, True)])
def test_it_flags_gad7_worsening_at_its_reliable_change_of_4(anxious, frozen, rise, flagged):
    services.change_phase(patient=anxious, by=None, modality="psychotherapy", stage="acute", started_on=START)
    score(anxious, "gad7", 0, 8)
    score(anxious, "gad7", 10, 8 + rise)

    services.sweep(today=TODAY)

    assert Flag.objects.filter(patient=anxious, kind="worsening").count() == int(flagged)


@pytest.mark.parametrize(("second", "flagged"), [(12, True), (11, False)])
def test_it_flags_a_gad7_partial_response_from_a_moderate_baseline(anxious, frozen, second, flagged):
    # Baseline 16, day 35: 12 is 25% better (< 30%), 11 is 31.3% better.
    services.change_phase(
        patient=anxious, by=None, modality="medication", stage="acute", started_on=TODAY - timedelta(days=60)
    )
    services.submit_assessment(patient=anxious, instrument="gad7", items=items_for("gad7", 16),
                               administered_at=TODAY - timedelta(days=61), source="clinician")
    services.submit_assessment(patient=anxious, instrument="gad7", items=items_for("gad7", second),
                               administered_at=TODAY - timedelta(days=1), source="clinician")

    services.sweep(today=TODAY)

    assert Flag.objects.filter(patient=anxious, kind="partial_response").count() == int(flagged)


def test_it_summarises_a_gad7_patient_on_gad7_only(alice_api, anxious, frozen):
    services.change_phase(patient=anxious, by=None, modality="psychotherapy", stage="acute", started_on=START)
    score(anxious, "gad7", 0, 15)
    score(anxious, "phq9", 1, 27)  # not the primary instrument: no part of the summary

    body = alice_api.get(f"/api/v1/patients/{anxious.id}/summary/").json()

    assert (body["instrument"], body["baseline"]["total"], body["baseline"]["severity"]) == ("gad7", 15, "severe")


def test_it_scores_a_pcl5_through_the_api(alice_api, patient, frozen):
    r = alice_api.post(
        "/api/v1/assessments/",
        {"patient": patient.id, "instrument": "pcl5", "items": [2] * 17 + [0, 0, 0], "administered_at": "2026-03-01"},
        format="json",
    )

    assert r.status_code == 201, r.content
    assert (r.json()["total"], r.json()["severity"], r.json()["instrument_version"]) == (34, "probable_ptsd", "1-cut33")


def test_it_never_raises_a_suicide_flag_from_gad7_or_pcl5(patient, frozen):
    services.submit_assessment(patient=patient, instrument="gad7", items=[3] * 7, administered_at=TODAY,
                               source="clinician")
    services.submit_assessment(patient=patient, instrument="pcl5", items=[4] * 20, administered_at=TODAY,
                               source="clinician")

    assert not Flag.objects.filter(kind="suicide_risk").exists()


def test_it_shows_gad7_and_pcl5_on_the_patient_page_with_their_bands(alice, anxious, frozen):
    score(anxious, "gad7", 0, 12)
    score(anxious, "pcl5", 0, 40)
    client = Client()
    client.force_login(alice)

    page = client.get(f"/patients/{anxious.id}/").content.decode()

    assert "GAD-7" in page
    assert "PCL-5" in page
    assert "Moderate" in page
    assert "Probable PTSD" in page
    # Issue 13: one trend chart, the primary instrument with each further one as a small plot below it (same dates);
    # each instrument keeps its own item heat map.
    assert 'id="gad7-figure"' in page
    figure = json.loads(re.search(r'id="gad7-figure" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert [trace.get("name") for trace in figure["data"]][-1] == "PCL-5"
    assert 'id="gad7-items"' in page
    assert 'id="pcl5-items"' in page


def test_it_offers_the_gad7_on_the_link_of_a_gad7_patient(anxious, frozen):
    link, token = services.issue_link(patient=anxious)

    page = Client().get(f"/r/{token}/").content.decode()

    assert link.instrument == "gad7"
    assert "Feeling nervous, anxious, or on edge" in page
    assert "Little interest or pleasure" not in page
    assert SelfReportLink.objects.count() == 1


def test_it_takes_a_pcl5_primary_instrument_and_language_through_the_api(alice_api, frozen):
    r = alice_api.post(
        "/api/v1/patients/",
        {"external_id": "MRN-P", "display_name": "P", "primary_instrument": "pcl5", "language": "es"},
        format="json",
    )

    assert r.status_code == 201, r.content
    assert (r.json()["primary_instrument"], r.json()["language"]) == ("pcl5", "es")


@pytest.mark.parametrize(("given", "stored"), [(None, "en"), ("", "")])
def test_it_defaults_the_language_from_the_clinics_language_code(alice_api, frozen, given, stored):
    body = {"external_id": "MRN-L", "display_name": "L"} | ({} if given is None else {"language": given})

    r = alice_api.post("/api/v1/patients/", body, format="json")

    assert r.status_code == 201, r.content
    assert Patient.objects.get().language == stored


def test_it_refuses_a_language_the_patients_pages_do_not_speak(alice_api, frozen):
    r = alice_api.post("/api/v1/patients/", {"external_id": "X", "display_name": "X", "language": "fr"}, format="json")

    assert r.status_code == 400
    assert "language" in r.json()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [(["hamd17"], "Not a self-rated instrument: hamd17"), (["phq9", "phq9"], "Name each instrument once."),
     ("phq9", "Give a list of instrument codes"), (["bdi2"], "Not a self-rated instrument: bdi2")],
)
def test_it_refuses_link_instruments_that_cannot_go_on_a_link(alice_api, patient, frozen, value, message):
    r = alice_api.patch(f"/api/v1/patients/{patient.id}/", {"link_instruments": value}, format="json")

    assert r.status_code == 400, r.content
    assert message in r.json()["link_instruments"][0]
    patient.refresh_from_db()
    assert patient.link_instruments == []


def test_it_keeps_the_clinicians_choice_of_link_instruments(alice_api, patient, frozen):
    r = alice_api.patch(f"/api/v1/patients/{patient.id}/", {"link_instruments": ["gad7", "phq9"]}, format="json")

    assert r.status_code == 200, r.content
    patient.refresh_from_db()
    assert patient.link_instruments == ["gad7", "phq9"]
    assert [d.code for d in definitions.link_instruments(patient.primary_instrument, patient.link_instruments)] == [
        "gad7", "phq9"
    ]


@pytest.mark.parametrize(("primary", "chosen", "carried"), [
    ("phq9", [], ["phq9"]), ("hamd17", [], ["phq9"]), ("gad7", [], ["gad7"]), ("hamd17", ["pcl5"], ["pcl5"]),
    ("phq9", ["hamd17", "gad7"], ["gad7"]),
])
def test_it_carries_the_chosen_self_rated_instruments_else_the_default(primary, chosen, carried):
    assert [d.code for d in definitions.link_instruments(primary, chosen)] == carried
