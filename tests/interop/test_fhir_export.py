"""FHIR R4 export: Questionnaires of the instruments and a patient's Bundle, validated with fhir.resources (R4B)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from instruments import definitions
from instruments.models import Assessment
from interop import fhir
from patients.models import AuditEvent
from tests.conftest import client_for

LOINC = "http://loinc.org"


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


# --- Questionnaire ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["phq9", "gad7", "pcl5", "hamd17"])
def test_it_serves_each_instrument_as_a_valid_r4_questionnaire(alice_api, code):
    r = alice_api.get(f"/api/v1/instruments/{code}/fhir/")

    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/fhir+json")
    q = Questionnaire.model_validate(r.json())
    definition = definitions.get(code)
    choices = [i for i in q.item if i.type == "choice" and i.required]
    assert len(choices) == len(definition.items)
    assert [len(i.answerOption) for i in choices] == [item.max_score + 1 for item in definition.items]


def test_it_codes_the_phq9_questionnaire_with_loinc_and_ordinal_values(alice_api):
    q = alice_api.get("/api/v1/instruments/phq9/fhir/").json()

    assert q["code"] == [{"system": LOINC, "code": "44249-1", "display": definitions.PHQ9.name}]
    first = next(i for i in q["item"] if i["linkId"] == "44250-9")
    answers = [o["valueCoding"] for o in first["answerOption"]]
    assert [(a["system"], a["code"]) for a in answers] == [
        (LOINC, "LA6568-5"), (LOINC, "LA6569-3"), (LOINC, "LA6570-1"), (LOINC, "LA6571-9")
    ]
    assert [a["extension"] for a in answers] == [
        [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": n}] for n in range(4)
    ]
    difficulty = next(i for i in q["item"] if i["linkId"] == "69722-7")
    assert difficulty["required"] is False
    assert [o["valueCoding"]["code"] for o in difficulty["answerOption"]] == [
        "LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"
    ]
    total = next(i for i in q["item"] if i["linkId"] == "44261-6")
    assert (total["type"], total["readOnly"]) == ("integer", True)


def test_it_codes_the_gad7_questionnaire_with_its_loinc_items(alice_api):
    q = alice_api.get("/api/v1/instruments/gad7/fhir/").json()

    assert q["code"][0]["code"] == "69737-5"
    assert [i["linkId"] for i in q["item"] if i["type"] == "choice" and i["required"]] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"
    ]


def test_it_codes_the_pcl5_in_mbcs_own_code_system(alice_api):
    q = alice_api.get("/api/v1/instruments/pcl5/fhir/").json()

    assert q["code"][0]["system"] == definitions.LOCAL_CODE_SYSTEM == "urn:mbc:fhir:CodeSystem:instrument"
    assert "identifier" not in q
    item = next(i for i in q["item"] if i["linkId"] == "pcl5-20")
    assert [o["valueCoding"]["code"] for o in item["answerOption"]] == [f"pcl5-20-{n}" for n in range(5)]


def test_it_words_the_questionnaire_in_spanish_on_request(alice_api):
    q = alice_api.get("/api/v1/instruments/gad7/fhir/", {"lang": "es"}).json()

    assert q["language"] == "es"
    assert q["item"][1]["text"] == "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta"
    Questionnaire.model_validate(q)


def test_it_answers_an_unknown_instrument_with_a_404_operation_outcome(alice_api):
    r = alice_api.get("/api/v1/instruments/bdi2/fhir/")

    assert r.status_code == 404
    assert r.json()["resourceType"] == "OperationOutcome"


# --- the patient's Bundle ---------------------------------------------------------------------------------------


@pytest.fixture
def bundle(alice_api, history) -> dict[str, Any]:
    r = alice_api.get(f"/api/v1/patients/{history.id}/fhir/")
    assert r.status_code == 200, r.content
    return r.json()


def test_it_exports_a_bundle_that_validates_as_fhir_r4(bundle):
    parsed = Bundle.model_validate(bundle)

    assert parsed.type == "collection"
    kinds = [e.resource.get_resource_type() for e in parsed.entry]
    assert kinds.count("Patient") == 1
    assert kinds.count("QuestionnaireResponse") == 6
    assert kinds.count("CarePlan") == 2
    assert kinds.count("MedicationStatement") == 2


def test_it_identifies_the_patient_by_record_number(bundle, history):
    (patient,) = resources(bundle, "Patient")

    assert patient["identifier"] == [{"system": "urn:mbc:patient:external-id", "value": history.external_id}]
    assert patient["birthDate"] == history.birth_date.isoformat()


def test_it_codes_each_response_with_loinc_answer_codes(bundle, history):
    responses = resources(bundle, "QuestionnaireResponse")
    phq = [r for r in responses if r["questionnaire"].startswith("urn:mbc:fhir:Questionnaire:phq9")]

    assert len(phq) == 3
    ninth = next(i for i in phq[1]["item"] if i["linkId"] == "44260-8")
    assert ninth["answer"][0]["valueCoding"]["code"] == "LA6569-3"  # item 9 answered 1: "Several days"
    assert {r["subject"]["identifier"]["value"] for r in responses} == {history.external_id}


def test_it_exports_one_screening_observation_per_assessment_with_members_and_total(bundle):
    urls = by_url(bundle)
    panels = [o for o in resources(bundle, "Observation") if "hasMember" in o]
    assessments = Assessment.objects.order_by("administered_at", "id")

    assert len(panels) == assessments.count()
    for panel in panels:
        source = urls[panel["derivedFrom"][0]["reference"]]
        assessment = assessments.get(pk=int(source["identifier"]["value"]))
        assert panel["category"][0]["coding"][0]["code"] == "survey"
        members = [urls[m["reference"]] for m in panel["hasMember"]]
        definition = definitions.get(assessment.instrument)
        assert len(members) == len(definition.items) + 1
        total = members[-1]
        assert total["valueQuantity"] == {
            "value": assessment.total, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"
        }
        assert source["resourceType"] == "QuestionnaireResponse"
        assert all(m["derivedFrom"] == panel["derivedFrom"] for m in members)


@pytest.mark.parametrize(("code", "panel", "total"), [("phq9", "44249-1", "44261-6"), ("gad7", "69737-5", "70274-6")])
def test_it_codes_the_panel_and_total_observations_with_loinc(bundle, code, panel, total):
    urls = by_url(bundle)
    panels = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == panel]

    assert panels
    members = [urls[m["reference"]] for m in panels[0]["hasMember"]]
    assert members[-1]["code"]["coding"][0] == {"system": LOINC, "code": total,
                                                "display": f"{definitions.get(code).short_name} total score"}


def test_it_exports_phases_as_care_plans_and_medications_as_statements(bundle):
    plans = sorted(resources(bundle, "CarePlan"), key=lambda p: p["period"]["start"])
    meds = {m["medicationCodeableConcept"]["text"]: m for m in resources(bundle, "MedicationStatement")}

    assert [(p["status"], p["intent"]) for p in plans] == [("completed", "plan"), ("active", "plan")]
    assert "end" in plans[0]["period"]
    assert (meds["Sertraline"]["status"], meds["Sertraline"]["dosage"][0]["text"]) == ("active", "50 mg daily")
    assert meds["Mirtazapine"]["status"] == "completed"


def test_it_refuses_another_care_teams_patient(bob_api, history):
    r = bob_api.get(f"/api/v1/patients/{history.id}/fhir/")

    assert r.status_code == 404


def test_it_audits_the_export_by_patient_id(alice, alice_api, history):
    alice_api.get(f"/api/v1/patients/{history.id}/fhir/")

    assert AuditEvent.objects.filter(user=alice, patient=history, what="fhir_bundle", action="view").count() == 1


def test_it_exports_in_a_bounded_number_of_queries(alice_api, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        alice_api.get(f"/api/v1/patients/{history.id}/fhir/")


def test_it_exports_a_valid_bundle_of_every_demo_patient(db, frozen, monkeypatch):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    demo = get_user_model().objects.get(username="demo")
    api = client_for(demo)
    from patients.models import Patient

    patients = list(Patient.objects.filter(care_team__user=demo))
    assert len(patients) == 50  # seed_demo: 40, two round-two stories (issue 8), eight course stories (issue 10)
    for p in patients:
        r = api.get(f"/api/v1/patients/{p.id}/fhir/")
        assert r.status_code == 200
        Bundle.model_validate(r.json())


def test_it_marks_an_assessment_entered_in_error_in_its_response_and_observations(alice, alice_api, history):
    from reassessment.services import mark_assessment_entered_in_error

    wrong = Assessment.objects.filter(patient=history, instrument="gad7").get()
    mark_assessment_entered_in_error(assessment=wrong, by=alice, reason="Typed into the wrong record.")

    bundle = alice_api.get(f"/api/v1/patients/{history.id}/fhir/").json()
    Bundle.model_validate(bundle)
    entries = by_url(bundle)
    urls = [fhir.full_url("questionnaire-response", wrong.id), fhir.full_url("observation", wrong.id),
            fhir.full_url("observation", wrong.id, "total"),
            *(fhir.full_url("observation", wrong.id, "item", n) for n in range(1, len(wrong.items) + 1))]
    marked = [entries[url] for url in urls]
    assert {(r["resourceType"], r["status"]) for r in marked} == {
        ("QuestionnaireResponse", "entered-in-error"), ("Observation", "entered-in-error")
    }
    others = [r for r in resources(bundle, "QuestionnaireResponse") if r["identifier"]["value"] != str(wrong.id)]
    assert {r["status"] for r in others} == {"completed"}
