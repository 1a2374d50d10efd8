"""FHIR import: POST /api/v1/fhir/QuestionnaireResponse, scored on the server, OperationOutcome on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from instruments.models import Assessment
from patients.models import AuditEvent, Patient
from reassessment.models import Flag
from tests.conftest import make_patient

URL = "/api/v1/fhir/QuestionnaireResponse"
LOINC = "http://loinc.org"
PHQ_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
ANSWERS = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def response(scores: list[int], *, links: list[str] = PHQ_ITEMS, panel: str = "44249-1",
             record: str = "MRN-1", **extra: Any) -> dict[str, Any]:
    """A QuestionnaireResponse as LHC-Forms writes it: path linkIds, LOINC answer codes, a total it computed."""
    items = [
        {"linkId": f"/{link}", "answer": [{"valueCoding": {"system": LOINC, "code": ANSWERS[s]}}]}
        for link, s in zip(links, scores, strict=True)
    ]
    items.append({"linkId": "/44261-6", "answer": [{"valueInteger": 99}]})  # another system's total: ignored
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "ext-123",
        "questionnaire": f"http://loinc.org/q/{panel}",
        "status": "completed",
        "subject": {"identifier": {"system": "urn:oid:1.2.3", "value": record}},
        "authored": "2026-03-10T09:30:00+00:00",
        "item": items,
    } | extra


def post(api, body: Any, content_type: str = "application/fhir+json"):
    return api.post(URL, json.dumps(body), content_type=content_type)


def outcome(r) -> list[str]:
    OperationOutcome.model_validate(r.json())
    return [i["diagnostics"] for i in r.json()["issue"]]


def test_it_imports_a_phq9_scored_on_the_server(alice_api, patient, frozen):
    r = post(alice_api, response([1, 2, 3, 0, 1, 2, 1, 0, 0]))

    assert r.status_code == 201, r.content
    a = Assessment.objects.get()
    assert (a.patient_id, a.instrument, a.total, a.severity, a.source) == (patient.id, "phq9", 10, "moderate", "import")
    assert a.items == [1, 2, 3, 0, 1, 2, 1, 0, 0]
    assert a.administered_at.isoformat() == "2026-03-10T09:30:00+00:00"
    assert r.json()["resourceType"] == "Bundle"


def test_it_imports_a_gad7_by_its_item_codes_alone(alice_api, patient, frozen):
    body = response([3, 3, 2, 2, 1, 1, 0], links=GAD_ITEMS, panel="x") | {"questionnaire": "Questionnaire/abc"}

    r = post(alice_api, body, content_type="application/json")

    assert r.status_code == 201, r.content
    assert Assessment.objects.values_list("instrument", "total", "severity").get() == ("gad7", 12, "moderate")


def test_it_flags_a_positive_item_9_at_once(alice_api, patient, frozen):
    r = post(alice_api, response([0, 0, 0, 0, 0, 0, 0, 0, 1]))

    assert r.status_code == 201
    flag = Flag.objects.get(kind="suicide_risk")
    assert flag.assessment_id == Assessment.objects.get().id


def test_it_takes_the_same_response_twice_as_one_assessment(alice_api, patient, frozen):
    first = post(alice_api, response([1] * 9))
    second = post(alice_api, response([1] * 9))

    assert (first.status_code, second.status_code) == (201, 200)
    assert Assessment.objects.count() == 1


def test_it_audits_the_import(alice, alice_api, patient, frozen):
    post(alice_api, response([1] * 9))

    assert AuditEvent.objects.filter(user=alice, patient=patient, what="assessment", action="create").count() == 1


def test_it_matches_only_patients_of_the_importers_care_teams(bob_api, patient, frozen):
    r = post(bob_api, response([1] * 9))

    assert r.status_code == 404
    assert outcome(r) == ["No patient of your care teams has this record number."]
    assert not Assessment.objects.exists()


def test_it_imports_for_bobs_own_patient_with_the_same_form(bob, bob_api, patient, frozen):
    make_patient(bob, "MRN-B")

    r = post(bob_api, response([1] * 9, record="MRN-B"))

    assert r.status_code == 201
    assert Assessment.objects.get().patient == Patient.objects.get(external_id="MRN-B")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resourceType": "Observation"}, "Expected a QuestionnaireResponse."),
        ({"status": "in-progress"}, "Only a completed (or amended) response can be imported."),
        ({"subject": {"reference": "Patient/1"}}, "Name the patient by their record number."),
        ({"authored": None}, "Give the date and time the answers were given."),
        ({"authored": "2026-04-01"}, "This date is in the future."),
        ({"authored": "yesterday"}, "Enter an ISO date (YYYY-MM-DD) or date and time."),
        ({"questionnaire": "http://loinc.org/q/00000-0", "item": [{"linkId": "x", "answer": [{"valueInteger": 1}]}]},
         "Not a questionnaire mbc knows (PHQ-9, GAD-7, ...)."),
        ({"item": "nine answers"}, "Expected a list of items."),
    ],
)
def test_it_answers_bad_input_with_an_operation_outcome_and_saves_nothing(alice_api, patient, frozen, change,
                                                                           message):
    r = post(alice_api, response([1] * 9) | change)

    assert r.status_code == 400, r.content
    assert message in outcome(r)
    assert r["Content-Type"].startswith("application/fhir+json")
    assert not Assessment.objects.exists()
    assert not Flag.objects.exists()


def test_it_names_every_missing_or_unreadable_answer(alice_api, patient, frozen):
    body = response([1] * 9)
    body["item"] = [*body["item"][:7], body["item"][9]]  # items 8 and 9 missing
    body["item"][0]["answer"] = [{"valueCoding": {"system": LOINC, "code": "LA9999-9"}}]

    r = post(alice_api, body)

    assert r.status_code == 400
    assert outcome(r) == ["Unknown answer code 'LA9999-9'.", "PHQ-9 items not answered: 1, 8, 9."]
    assert r.json()["issue"][0]["expression"] == ["QuestionnaireResponse.item[0].answer[0]"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe"])
def test_it_answers_a_body_that_is_not_json_with_an_operation_outcome(alice_api, patient, frozen, body):
    r = alice_api.post(URL, body, content_type="application/fhir+json")

    assert r.status_code == 400
    assert r.json()["resourceType"] == "OperationOutcome"


def test_it_takes_ordinal_values_and_integers_where_no_code_is_known(alice_api, patient, frozen):
    body = response([0] * 9)
    body["item"][0]["answer"] = [{"valueCoding": {"code": "other", "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 2}]}}]
    body["item"][1]["answer"] = [{"valueInteger": 3}]

    r = post(alice_api, body)

    assert r.status_code == 201, r.content
    assert Assessment.objects.get().items[:2] == [2, 3]


def test_it_refuses_an_anonymous_import(client, patient):
    r = client.post(URL, json.dumps(response([1] * 9)), content_type="application/fhir+json")

    assert r.status_code == 401
    assert not Assessment.objects.exists()


def test_it_round_trips_an_export_into_an_empty_clinic_with_the_same_scores(alice_api, charlie, history):
    """FHIR export -> FHIR import: every response, into a patient with no record yet, gives the same scores."""
    from tests.conftest import client_for

    bundle = alice_api.get(f"/api/v1/patients/{history.id}/fhir/").json()
    before = sorted(Assessment.objects.values_list("instrument", "items", "total", "severity", "administered_at",
                                                   "difficulty"))
    Patient.objects.filter(pk=history.id).update(external_id="OLD-1")  # the old clinic keeps its own copy
    fresh = make_patient(charlie, history.external_id)
    charlie_api = client_for(charlie)

    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "QuestionnaireResponse":
            r = post(charlie_api, entry["resource"])
            assert r.status_code == 201, r.content

    after = sorted(Assessment.objects.filter(patient=fresh).values_list(
        "instrument", "items", "total", "severity", "administered_at", "difficulty"))
    assert after == before
    assert set(Assessment.objects.filter(patient=fresh).values_list("source", flat=True)) == {"import"}


def test_it_answers_the_same_response_id_with_other_answers_with_a_409(alice_api, patient, frozen):
    post(alice_api, response([1] * 9))

    r = post(alice_api, response([2] * 9))

    assert r.status_code == 409
    assert r.json()["issue"][0]["code"] == "conflict"
    assert list(Assessment.objects.values_list("total", flat=True)) == [9]
