"""Stopping a medication and changing its dose through the API (DESIGN §2b, §3), and therapy codes in any case."""

from datetime import date
from typing import Any

import pytest

from patients.models import AuditEvent, Medication, TreatmentPhase
from reassessment.models import Flag
from tests.patients.test_api import PATIENTS, medication, phases


def one(patient: Any, m: Medication) -> str:
    return f"{PATIENTS}{patient.id}/medications/{m.id}/"


def change_dose(patient: Any, m: Medication) -> str:
    return one(patient, m) + "change-dose/"


def rows() -> list[tuple[Any, ...]]:
    return list(Medication.objects.order_by("id").values_list("name", "dose", "started_on", "stopped_on"))


def test_it_stops_a_medication(alice_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient)
    r = alice_api.patch(one(patient, m), {"stopped_on": "2026-03-01"}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["stopped_on"], r.json()["active"]) == ("2026-03-01", False)
    assert AuditEvent.objects.filter(what="medication", action="update", object_id=m.id).exists()


def test_it_corrects_a_dose_in_place(alice_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient, dose="50 mg")
    r = alice_api.patch(one(patient, m), {"dose": "50 mg daily"}, format="json")
    assert r.status_code == 200
    assert rows() == [("Sertraline", "50 mg daily", date(2026, 1, 5), None)]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"stopped_on": "2026-01-04"}, "stopped_on", "The stop date is before the start date (2026-01-05)."),
        ({"stopped_on": "2026-03-13"}, "stopped_on", "A medication cannot be stopped in the future."),
        ({}, "stopped_on", "Give stopped_on, dose or both."),
        ({"stopped_on": "yesterday"}, "stopped_on", None),
        ({"started_on": "2026-01-01"}, "started_on", "This field cannot be changed here."),
    ],
)
def test_it_refuses_a_bad_stop_and_saves_nothing(
    alice_api: Any, patient: Any, frozen: Any, body: dict[str, str], field: str, message: str | None
) -> None:
    m = medication(patient)
    before = rows()
    r = alice_api.patch(one(patient, m), body, format="json")
    assert r.status_code == 400
    assert field in r.json()
    if message:
        assert r.json()[field] == [message]
    assert rows() == before


@pytest.mark.parametrize("stop_day", ["2026-01-05", "2026-03-12"])  # its start day and today are both allowed
def test_it_stops_on_the_boundaries(alice_api: Any, patient: Any, frozen: Any, stop_day: str) -> None:
    m = medication(patient)
    assert alice_api.patch(one(patient, m), {"stopped_on": stop_day}, format="json").status_code == 200


def test_it_changes_a_dose_as_one_action(alice_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient, dose="50 mg")
    r = alice_api.post(change_dose(patient, m), {"dose": "100 mg", "on": "2026-03-01"}, format="json")
    assert r.status_code == 201, r.content
    new = Medication.objects.get(pk=r.json()["id"])
    assert rows() == [
        ("Sertraline", "50 mg", date(2026, 1, 5), date(2026, 2, 28)),
        ("Sertraline", "100 mg", date(2026, 3, 1), None),
    ]
    assert (new.drug_class, new.serotonergic, r.json()["flags"]) == ("ssri", True, [])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"dose": "100 mg", "on": "2026-01-05"},
            "on",
            "A dose change must come after the medication's start (2026-01-05).",
        ),
        ({"dose": "100 mg", "on": "2026-03-13"}, "on", "A dose change cannot be in the future."),
        ({"dose": " ", "on": "2026-03-01"}, "dose", None),
        ({"on": "2026-03-01"}, "dose", None),
        ({"dose": "100 mg"}, "on", None),
    ],
)
def test_it_refuses_a_bad_dose_change_and_saves_nothing(
    alice_api: Any, patient: Any, frozen: Any, body: dict[str, str], field: str, message: str | None
) -> None:
    m = medication(patient)
    before = rows()
    r = alice_api.post(change_dose(patient, m), body, format="json")
    assert r.status_code == 400
    assert field in r.json()
    if message:
        assert r.json()[field] == [message]
    assert rows() == before


def test_it_refuses_to_change_the_dose_of_a_stopped_medication(alice_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient, stopped_on=date(2026, 2, 1))
    r = alice_api.post(change_dose(patient, m), {"dose": "100 mg", "on": "2026-03-01"}, format="json")
    assert r.status_code == 400
    assert r.json()["on"] == ["This medication was stopped on 2026-02-01; record it again instead."]
    assert Medication.objects.count() == 1


def test_it_hides_another_teams_medication(alice_api: Any, bob_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient)
    before = rows()
    assert bob_api.patch(one(patient, m), {"stopped_on": "2026-03-01"}, format="json").status_code == 404
    assert bob_api.post(change_dose(patient, m), {"dose": "1 mg", "on": "2026-03-01"}, format="json").status_code == 404
    assert rows() == before


def test_it_hides_a_medication_under_another_patients_url(
    alice_api: Any, alice: Any, patient: Any, frozen: Any
) -> None:
    from tests.conftest import make_patient

    other = make_patient(alice, "MRN-OTHER")
    m = medication(patient)
    assert alice_api.patch(one(other, m), {"stopped_on": "2026-03-01"}, format="json").status_code == 404


def test_it_rechecks_the_medications_when_one_is_stopped(alice_api: Any, patient: Any, frozen: Any) -> None:
    # Fluoxetine stopped 20 days before an MAOI starts: still in its 5-week washout, an urgent pair (DESIGN §2).
    fluoxetine = medication(patient, name="Fluoxetine", started_on=date(2026, 1, 5))
    medication(patient, name="phenelzine", drug_class="maoi", started_on=date(2026, 3, 12))
    assert not Flag.objects.exists()  # recorded by the record service alone, no check yet
    r = alice_api.patch(one(patient, fluoxetine), {"stopped_on": "2026-02-20"}, format="json")
    (flag,) = Flag.objects.all()
    assert r.json()["flags"] == [flag.id]
    assert (flag.kind, flag.severity, flag.recommendation) == ("serotonergic_combination", "urgent", "stop_combination")


def test_it_never_pairs_a_dose_change_with_itself(alice_api: Any, patient: Any, frozen: Any) -> None:
    m = medication(patient)
    r = alice_api.post(change_dose(patient, m), {"dose": "100 mg", "on": "2026-03-12"}, format="json")
    assert r.json()["flags"] == []
    assert not Flag.objects.exists()


@pytest.mark.parametrize("therapy", ["CBT", "cbt", "Cbt", " ipt "])
def test_it_accepts_therapy_codes_in_any_letter_case(alice_api: Any, patient: Any, frozen: Any, therapy: str) -> None:
    body = {"modality": "combined", "stage": "acute", "started_on": "2026-03-01", "therapy": therapy}
    r = alice_api.post(phases(patient), body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["therapy"] == therapy.strip().lower()
    assert TreatmentPhase.objects.get().therapy == therapy.strip().lower()


def test_it_still_refuses_an_unknown_therapy(alice_api: Any, patient: Any, frozen: Any) -> None:
    body = {"modality": "combined", "stage": "acute", "started_on": "2026-03-01", "therapy": "EMDR"}
    r = alice_api.post(phases(patient), body, format="json")
    assert r.status_code == 400
    assert "therapy" in r.json()
    assert not TreatmentPhase.objects.exists()
