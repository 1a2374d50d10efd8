"""Tests of the patients API: patients, phases, medications, care-team isolation, tokens and the audit trail."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from patients.models import AuditEvent, CareTeamMember, Medication, Patient, TreatmentPhase
from patients.services import add_medication, add_to_care_team, start_phase
from reassessment.models import Flag
from tests.conftest import PASSWORD, TODAY, client_for, make_patient

PATIENTS = "/api/v1/patients/"


def detail(patient):
    return f"{PATIENTS}{patient.id}/"


def phases(patient):
    return f"{PATIENTS}{patient.id}/phases/"


def medications(patient):
    return f"{PATIENTS}{patient.id}/medications/"


NEW_PATIENT = {
    "external_id": "MRN-900",
    "display_name": "Jane Roe",
    "birth_date": "1991-04-02",
    "diagnosis": "F33.1",
    "email": "jane@example.test",
}
PHASE = {"modality": "medication", "stage": "acute", "started_on": "2026-01-05"}
SERTRALINE = {"name": "Sertraline", "drug_class": "ssri", "started_on": "2026-01-05", "dose": "50 mg"}


def phase(patient, started_on, **kwargs):
    values = {"modality": "medication", "stage": "acute"} | kwargs
    return start_phase(patient=patient, by=None, started_on=started_on, **values)


def medication(patient, name="Sertraline", drug_class="ssri", started_on=date(2026, 1, 5), **kwargs):
    return add_medication(patient=patient, by=None, name=name, drug_class=drug_class, started_on=started_on, **kwargs)


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


# --- patients ------------------------------------------------------------------------------------------------------


def test_it_creates_a_patient(alice_api, frozen):
    r = alice_api.post(PATIENTS, NEW_PATIENT, format="json")

    assert r.status_code == 201, r.content
    saved = Patient.objects.get(pk=r.json()["id"])
    assert (saved.external_id, saved.display_name, saved.birth_date, saved.diagnosis, saved.email) == (
        "MRN-900",
        "Jane Roe",
        date(1991, 4, 2),
        "F33.1",
        "jane@example.test",
    )


def test_it_gives_a_new_patient_the_defaults(alice_api, frozen):
    r = alice_api.post(PATIENTS, {"external_id": "MRN-901", "display_name": "John Doe"}, format="json")

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["primary_instrument"], body["reminder_interval_days"], body["active"]) == ("phq9", 28, True)
    assert (body["birth_date"], body["diagnosis"], body["email"]) == (None, "", "")


def test_it_puts_the_creator_on_the_care_team_in_their_role(alice_api, alice, frozen):
    r = alice_api.post(PATIENTS, NEW_PATIENT, format="json")

    team = CareTeamMember.objects.filter(patient_id=r.json()["id"])
    assert [(m.user_id, m.role) for m in team] == [(alice.id, "prescriber")]


def test_it_shows_the_creator_the_new_patient(alice_api, frozen):
    created = alice_api.post(PATIENTS, NEW_PATIENT, format="json").json()

    assert ids(alice_api.get(PATIENTS)) == [created["id"]]


@pytest.mark.parametrize("external_id", ["MRN-1", " MRN-1 "])
def test_it_refuses_a_duplicate_external_id(alice_api, patient, frozen, external_id):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"external_id": external_id}, format="json")

    assert r.status_code == 400, r.content
    assert "external_id" in r.json()
    assert Patient.objects.count() == 1


def test_it_refuses_an_external_id_bob_already_used_without_joining_him(alice_api, bob, frozen):
    make_patient(bob, "MRN-B")

    r = alice_api.post(PATIENTS, NEW_PATIENT | {"external_id": "MRN-B"}, format="json")

    assert r.status_code == 400
    assert not CareTeamMember.objects.filter(user__username="alice").exists()


@pytest.mark.parametrize("diagnosis", ["depression", "F3", "33.1", "F33.12345", "FF33", "F33."])
def test_it_refuses_a_diagnosis_that_is_not_an_icd10_code(alice_api, frozen, diagnosis):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"diagnosis": diagnosis}, format="json")

    assert r.status_code == 400, r.content
    assert "diagnosis" in r.json()
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("diagnosis", ["F32", "F33.1", "F41.0", "F43.10"])
def test_it_accepts_an_icd10_code(alice_api, frozen, diagnosis):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"diagnosis": diagnosis}, format="json")

    assert r.status_code == 201, r.content
    assert Patient.objects.get().diagnosis == diagnosis


@pytest.mark.parametrize(("birth_date", "status"), [("2026-03-12", 201), ("2026-03-13", 400), ("2030-01-01", 400)])
def test_it_refuses_a_birth_date_in_the_future(alice_api, frozen, birth_date, status):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"birth_date": birth_date}, format="json")

    assert r.status_code == status, r.content
    assert Patient.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(("days", "status"), [(6, 400), (7, 201), (56, 201), (57, 400), (0, 400), (-7, 400)])
def test_it_keeps_the_reminder_interval_within_7_to_56_days(alice_api, frozen, days, status):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"reminder_interval_days": days}, format="json")

    assert r.status_code == status, r.content
    if status == 400:
        assert "reminder_interval_days" in r.json()
    assert Patient.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize("field", ["external_id", "display_name"])
def test_it_refuses_a_patient_without_a_required_field(alice_api, frozen, field):
    body = dict(NEW_PATIENT)
    del body[field]

    r = alice_api.post(PATIENTS, body, format="json")

    assert r.status_code == 400
    assert field in r.json()
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("primary_instrument", "bdi2"), ("email", "not-an-email"), ("birth_date", "17/05/1980"), ("external_id", "")],
)
def test_it_refuses_a_malformed_patient_field(alice_api, frozen, field, value):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {field: value}, format="json")

    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Patient.objects.count() == 0


def test_it_ignores_a_client_sent_active_flag(alice_api, frozen):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"active": False}, format="json")

    assert r.status_code == 201
    assert Patient.objects.get().active is True


def test_it_refuses_malformed_json_for_a_patient(alice_api, frozen):
    r = alice_api.post(PATIENTS, data='{"external_id": "MRN-9"', content_type="application/json")

    assert r.status_code == 400
    assert Patient.objects.count() == 0


def test_it_shows_a_patient(alice_api, patient):
    r = alice_api.get(detail(patient))

    assert r.status_code == 200
    assert (r.json()["id"], r.json()["external_id"], r.json()["email"]) == (patient.id, "MRN-1", "pat@example.test")


def test_it_lists_only_the_users_patients_by_name(alice, alice_api, bob, patient):
    other = make_patient(alice, "MRN-2", display_name="Aaron Able")
    make_patient(bob, "MRN-B")

    assert ids(alice_api.get(PATIENTS)) == [other.id, patient.id]


def test_it_shows_a_patient_to_every_member_of_the_care_team(charlie, patient):
    add_to_care_team(patient=patient, user=charlie, role="care_manager")

    assert client_for(charlie).get(detail(patient)).status_code == 200


# --- care-team isolation: every endpoint and method ----------------------------------------------------------------


def test_it_lists_none_of_alices_patients_to_bob(bob_api, patient):
    assert ids(bob_api.get(PATIENTS)) == []


ENDPOINTS = [
    ("get", detail, None),
    ("get", phases, None),
    ("post", phases, PHASE),
    ("get", medications, None),
    ("post", medications, SERTRALINE),
    ("get", lambda p: f"{PATIENTS}{p.id}/summary/", None),
    ("get", lambda p: f"/api/v1/flags/?patient={p.id}", None),
    ("get", lambda p: f"/api/v1/assessments/?patient={p.id}", None),
]
ENDPOINT_IDS = ["detail", "phases", "phases-post", "medications", "medications-post", "summary", "flags", "assessments"]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_answers_bob_404_for_alices_patient(bob_api, patient, frozen, method, url, body):
    r = getattr(bob_api, method)(url(patient), body, format="json")

    assert r.status_code == 404, r.content


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_answers_bob_as_for_a_patient_that_does_not_exist(bob_api, patient, frozen, method, url, body):
    hidden = getattr(bob_api, method)(url(patient), body, format="json")
    missing = getattr(bob_api, method)(url(Patient(id=patient.id + 1000)), body, format="json")

    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_serves_alice_every_endpoint_of_her_patient(alice_api, patient, frozen, method, url, body):
    r = getattr(alice_api, method)(url(patient), body, format="json")

    assert r.status_code in (200, 201), r.content


def test_it_changes_nothing_when_bob_posts_a_phase_for_alices_patient(bob_api, patient, frozen):
    phase(patient, date(2026, 1, 1))

    bob_api.post(phases(patient), PHASE | {"started_on": "2026-02-01"}, format="json")

    assert list(TreatmentPhase.objects.values_list("started_on", "ended_on")) == [(date(2026, 1, 1), None)]


def test_it_changes_nothing_when_bob_posts_a_medication_for_alices_patient(bob_api, patient, frozen):
    medication(patient)

    bob_api.post(
        medications(patient), SERTRALINE | {"name": "Tramadol", "drug_class": "serotonergic_opioid"}, format="json"
    )

    assert Medication.objects.count() == 1
    assert not Flag.objects.exists()


def test_it_answers_bob_404_even_for_an_invalid_phase(bob_api, patient, frozen):
    r = bob_api.post(phases(patient), {"modality": "surgery"}, format="json")

    assert r.status_code == 404


def test_it_leaves_no_audit_event_of_alices_patient_for_bob(bob, bob_api, patient, frozen):
    for method, url, body in ENDPOINTS:
        getattr(bob_api, method)(url(patient), body, format="json")
    bob_api.get(PATIENTS)

    assert not AuditEvent.objects.filter(user=bob, patient=patient).exists()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [("get", lambda p: PATIENTS, None), ("post", lambda p: PATIENTS, NEW_PATIENT), *ENDPOINTS],
    ids=["list", "create", *ENDPOINT_IDS],
)
def test_it_refuses_an_anonymous_client(patient, frozen, method, url, body):
    r = getattr(APIClient(), method)(url(patient), body, format="json")

    assert r.status_code in (401, 403), r.content
    assert (Patient.objects.count(), TreatmentPhase.objects.count(), Medication.objects.count()) == (1, 0, 0)


# --- token authentication ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_throttle():
    # The token endpoint is throttled per client address in the cache; start each test with no history.
    cache.clear()
    yield
    cache.clear()


def test_it_issues_a_token_that_authenticates(alice, patient, fresh_throttle):
    client = APIClient()
    r = client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert r.status_code == 200, r.content

    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")

    assert ids(client.get(PATIENTS)) == [patient.id]


def test_it_scopes_a_token_to_its_user(bob, patient, fresh_throttle):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "bob", "password": PASSWORD}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    assert ids(client.get(PATIENTS)) == []
    assert client.get(detail(patient)).status_code == 404


def test_it_refuses_a_token_for_a_wrong_password(alice, fresh_throttle):
    r = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "wrong-password"}, format="json")

    assert r.status_code == 400
    assert "token" not in r.json()


def test_it_refuses_an_unknown_token(patient):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    assert client.get(PATIENTS).status_code in (401, 403)


# --- phases --------------------------------------------------------------------------------------------------------


def test_it_starts_a_phase(alice_api, alice, patient, frozen):
    r = alice_api.post(phases(patient), PHASE | {"therapy": "cbt", "notes": "Sertraline started"}, format="json")

    assert r.status_code == 201, r.content
    saved = TreatmentPhase.objects.get(pk=r.json()["id"])
    assert (saved.patient_id, saved.modality, saved.stage, saved.therapy, saved.started_on, saved.ended_on) == (
        patient.id,
        "medication",
        "acute",
        "cbt",
        date(2026, 1, 5),
        None,
    )
    assert saved.created_by_id == alice.id


def test_it_ends_the_active_phase_the_day_before_a_new_one(alice_api, patient, frozen):
    first = phase(patient, date(2026, 1, 5))

    r = alice_api.post(phases(patient), PHASE | {"modality": "combined", "started_on": "2026-02-16"}, format="json")

    assert r.status_code == 201, r.content
    first.refresh_from_db()
    assert first.ended_on == date(2026, 2, 15)
    assert r.json()["ended_on"] is None


def test_it_ends_a_one_day_phase_on_its_start_day(alice_api, patient, frozen):
    first = phase(patient, date(2026, 1, 5))

    r = alice_api.post(phases(patient), PHASE | {"started_on": "2026-01-06"}, format="json")

    assert r.status_code == 201, r.content
    first.refresh_from_db()
    assert first.ended_on == date(2026, 1, 5)


@pytest.mark.parametrize("started_on", ["2026-01-05", "2026-01-04", "2025-06-01"])
def test_it_refuses_a_phase_starting_on_or_before_the_active_one(alice_api, patient, frozen, started_on):
    phase(patient, date(2026, 1, 5))

    r = alice_api.post(phases(patient), PHASE | {"started_on": started_on}, format="json")

    assert r.status_code == 400, r.content
    assert "started_on" in r.json()
    assert list(TreatmentPhase.objects.values_list("started_on", "ended_on")) == [(date(2026, 1, 5), None)]


def test_it_refuses_a_phase_starting_before_an_ended_one(alice_api, patient, frozen):
    phase(patient, date(2026, 1, 5))
    phase(patient, date(2026, 2, 1))

    r = alice_api.post(phases(patient), PHASE | {"started_on": "2026-01-20"}, format="json")

    assert r.status_code == 400
    assert TreatmentPhase.objects.count() == 2


@pytest.mark.parametrize(("started_on", "status"), [("2026-03-12", 201), ("2026-03-13", 400)])
def test_it_refuses_a_phase_starting_in_the_future(alice_api, patient, frozen, started_on, status):
    r = alice_api.post(phases(patient), PHASE | {"started_on": started_on}, format="json")

    assert r.status_code == status, r.content
    assert TreatmentPhase.objects.count() == (1 if status == 201 else 0)


def test_it_leaves_the_active_phase_alone_when_a_future_phase_is_refused(alice_api, patient, frozen):
    phase(patient, date(2026, 1, 5))

    alice_api.post(phases(patient), PHASE | {"started_on": "2026-04-01"}, format="json")

    assert list(TreatmentPhase.objects.values_list("ended_on", flat=True)) == [None]


@pytest.mark.parametrize(
    ("field", "value"),
    [("modality", "surgery"), ("stage", "chronic"), ("therapy", "emdr"), ("started_on", "05/01/2026")],
)
def test_it_refuses_a_malformed_phase(alice_api, patient, frozen, field, value):
    r = alice_api.post(phases(patient), PHASE | {field: value}, format="json")

    assert r.status_code == 400, r.content
    assert field in r.json()
    assert TreatmentPhase.objects.count() == 0


@pytest.mark.parametrize("field", ["modality", "stage", "started_on"])
def test_it_refuses_a_phase_without_a_required_field(alice_api, patient, frozen, field):
    body = dict(PHASE)
    del body[field]

    r = alice_api.post(phases(patient), body, format="json")

    assert r.status_code == 400
    assert field in r.json()


def test_it_ignores_a_client_sent_end_date(alice_api, patient, frozen):
    r = alice_api.post(phases(patient), PHASE | {"ended_on": "2026-02-01"}, format="json")

    assert r.status_code == 201
    assert TreatmentPhase.objects.get().ended_on is None


def test_it_keeps_at_most_one_phase_active(alice_api, patient, frozen):
    for started_on in ("2025-10-01", "2025-12-01", "2026-02-01", "2026-03-01"):
        alice_api.post(phases(patient), PHASE | {"started_on": started_on}, format="json")

    spans = list(TreatmentPhase.objects.order_by("started_on").values_list("started_on", "ended_on"))
    assert spans == [
        (date(2025, 10, 1), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), None),
    ]


def test_it_lists_phases_newest_first(alice_api, patient, frozen):
    made = [phase(patient, date(2025, 10, 1)), phase(patient, date(2025, 12, 1)), phase(patient, date(2026, 2, 1))]

    assert ids(alice_api.get(phases(patient))) == [p.id for p in reversed(made)]


def test_it_lists_only_this_patients_phases(alice, alice_api, patient, frozen):
    phase(make_patient(alice, "MRN-2"), date(2026, 1, 1))
    own = phase(patient, date(2026, 2, 1))

    assert ids(alice_api.get(phases(patient))) == [own.id]


# --- medications ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug_class", "serotonergic"),
    [
        ("ssri", True),
        ("snri", True),
        ("tca", True),
        ("maoi", True),
        ("serotonergic_antidepressant", True),
        ("triptan", True),
        ("serotonergic_opioid", True),
        ("lithium", True),
        ("serotonergic_supplement", True),
        ("bupropion", False),
        ("antipsychotic", False),
        ("mood_stabilizer", False),
        ("benzodiazepine", False),
        ("stimulant", False),
        ("other", False),
    ],
)
def test_it_defaults_serotonergic_from_the_class(alice_api, patient, frozen, drug_class, serotonergic):
    r = alice_api.post(medications(patient), SERTRALINE | {"drug_class": drug_class}, format="json")

    assert r.status_code == 201, r.content
    assert r.json()["serotonergic"] is serotonergic
    assert Medication.objects.get().serotonergic is serotonergic


@pytest.mark.parametrize(("drug_class", "serotonergic"), [("ssri", False), ("other", True)])
def test_it_lets_an_explicit_serotonergic_override_the_class(alice_api, patient, frozen, drug_class, serotonergic):
    body = SERTRALINE | {"drug_class": drug_class, "serotonergic": serotonergic}

    r = alice_api.post(medications(patient), body, format="json")

    assert r.status_code == 201, r.content
    assert Medication.objects.get().serotonergic is serotonergic


def test_it_records_a_medication(alice_api, alice, patient, frozen):
    r = alice_api.post(medications(patient), SERTRALINE | {"stopped_on": "2026-03-01"}, format="json")

    assert r.status_code == 201, r.content
    saved = Medication.objects.get(pk=r.json()["id"])
    assert (saved.patient_id, saved.name, saved.drug_class, saved.dose, saved.started_on, saved.stopped_on) == (
        patient.id,
        "Sertraline",
        "ssri",
        "50 mg",
        date(2026, 1, 5),
        date(2026, 3, 1),
    )
    assert saved.created_by_id == alice.id


@pytest.mark.parametrize(("stopped_on", "status"), [("2026-01-04", 400), ("2025-01-05", 400), ("2026-01-05", 201)])
def test_it_refuses_a_stop_date_before_the_start(alice_api, patient, frozen, stopped_on, status):
    r = alice_api.post(medications(patient), SERTRALINE | {"stopped_on": stopped_on}, format="json")

    assert r.status_code == status, r.content
    if status == 400:
        assert "stopped_on" in r.json()
    assert Medication.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("field", "value"), [("drug_class", "ssri-ish"), ("name", ""), ("name", "   "), ("started_on", "soon")]
)
def test_it_refuses_a_malformed_medication(alice_api, patient, frozen, field, value):
    r = alice_api.post(medications(patient), SERTRALINE | {field: value}, format="json")

    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Medication.objects.count() == 0


def test_it_lists_active_medications_first(alice_api, patient, frozen):
    old_active = medication(patient, "Lithium", "lithium", date(2025, 6, 1))
    stopped = medication(
        patient, "Mirtazapine", "serotonergic_antidepressant", date(2026, 2, 1), stopped_on=date(2026, 2, 20)
    )
    stops_today = medication(patient, "Lorazepam", "benzodiazepine", date(2025, 1, 1), stopped_on=TODAY)
    recent = medication(patient, "Sertraline", "ssri", date(2026, 3, 1))

    r = alice_api.get(medications(patient))

    assert ids(r) == [recent.id, old_active.id, stops_today.id, stopped.id]
    assert [row["active"] for row in r.json()] == [True, True, True, False]


def test_it_reports_a_serotonergic_combination_flag_with_the_second_drug(alice_api, patient, frozen):
    first = medication(patient, "Sertraline", "ssri", date(2026, 1, 5))

    r = alice_api.post(
        medications(patient), SERTRALINE | {"name": "Tramadol", "drug_class": "serotonergic_opioid"}, format="json"
    )

    assert r.status_code == 201, r.content
    flag = Flag.objects.get(kind="serotonergic_combination")
    assert r.json()["flags"] == [flag.id]
    assert (flag.patient_id, flag.evidence["medication_ids"]) == (patient.id, [first.id, r.json()["id"]])


# --- query counts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_patients_in_a_fixed_number_of_queries(alice, alice_api, frozen, django_assert_max_num_queries, count):
    for n in range(count):
        make_patient(alice, f"MRN-{n}")

    # The count (X-Total-Count), the page of patients, then one INSERT of the audit rows.
    with django_assert_max_num_queries(3):
        r = alice_api.get(PATIENTS)

    assert len(r.json()) == count


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_phases_in_a_fixed_number_of_queries(alice_api, patient, frozen, django_assert_max_num_queries, count):
    for n in range(count):
        phase(patient, TODAY - timedelta(days=count - n))

    # The patient (access check), the count (X-Total-Count), the audit row, the phases.
    with django_assert_max_num_queries(4):
        r = alice_api.get(phases(patient))

    assert len(r.json()) == count


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_medications_in_a_fixed_number_of_queries(
    alice_api, patient, frozen, django_assert_max_num_queries, count
):
    for n in range(count):
        medication(patient, f"Drug {n}", "other", TODAY - timedelta(days=n))

    # The patient (access check), the count (X-Total-Count), the audit row, the medications.
    with django_assert_max_num_queries(4):
        r = alice_api.get(medications(patient))

    assert len(r.json()) == count


# --- audit trail ---------------------------------------------------------------------------------------------------


def audit(**filters):
    return list(AuditEvent.objects.filter(**filters).values_list("user__username", "patient_id", "action", "what"))


def test_it_audits_viewing_a_patient(alice_api, patient):
    alice_api.get(detail(patient))

    assert audit(action="view") == [("alice", patient.id, "view", "patient")]


def test_it_audits_listing_patients_once_per_patient(alice, alice_api, patient):
    other = make_patient(alice, "MRN-2")

    alice_api.get(PATIENTS)

    assert sorted(audit(action="list")) == sorted(
        [("alice", patient.id, "list", "patient"), ("alice", other.id, "list", "patient")]
    )


def test_it_audits_creating_a_patient(alice_api, frozen):
    r = alice_api.post(PATIENTS, NEW_PATIENT, format="json")

    assert audit(action="create") == [("alice", r.json()["id"], "create", "patient")]


@pytest.mark.parametrize(("url", "what"), [(phases, "phases"), (medications, "medications")])
def test_it_audits_reading_phases_and_medications(alice_api, patient, frozen, url, what):
    alice_api.get(url(patient))

    assert audit(action="view") == [("alice", patient.id, "view", what)]


@pytest.mark.parametrize(("url", "body", "what"), [(phases, PHASE, "phase"), (medications, SERTRALINE, "medication")])
def test_it_audits_recording_a_phase_or_medication_with_its_id(alice_api, patient, frozen, url, body, what):
    r = alice_api.post(url(patient), body, format="json")

    event = AuditEvent.objects.get(what=what)
    assert (event.user.username, event.patient_id, event.action, event.object_id) == (
        "alice",
        patient.id,
        "create",
        r.json()["id"],
    )


def test_it_keeps_names_out_of_the_audit_trail(alice_api, frozen):
    created = alice_api.post(PATIENTS, NEW_PATIENT, format="json").json()
    patient = Patient.objects.get(pk=created["id"])
    alice_api.get(PATIENTS)
    alice_api.get(detail(patient))
    alice_api.post(phases(patient), PHASE, format="json")
    alice_api.post(medications(patient), SERTRALINE, format="json")

    events = list(AuditEvent.objects.all())
    assert len(events) == 5
    text = " ".join(
        [str(e) for e in events]
        + [str(getattr(e, f.attname)) for e in events for f in AuditEvent._meta.concrete_fields]
    )
    for secret in ("Jane", "Roe", "jane@example.test", "F33.1", "Sertraline"):
        assert secret not in text


# --- the course record: prior_episodes, episode_onset, preference (DESIGN §2b) ------------------------------------


def test_it_creates_a_patient_with_the_course_record(alice_api, frozen):
    body = NEW_PATIENT | {"prior_episodes": 2, "episode_onset": "2024-01-15", "preference": "psychotherapy"}
    r = alice_api.post(PATIENTS, body, format="json")

    assert r.status_code == 201, r.content
    saved = Patient.objects.get(pk=r.json()["id"])
    assert (saved.prior_episodes, saved.episode_onset, saved.preference) == (2, date(2024, 1, 15), "psychotherapy")
    assert (r.json()["prior_episodes"], r.json()["episode_onset"], r.json()["preference"]) == (
        2, "2024-01-15", "psychotherapy"
    )


def test_it_leaves_the_course_record_unknown_by_default(alice_api, frozen):
    r = alice_api.post(PATIENTS, {"external_id": "MRN-901", "display_name": "John Doe"}, format="json")
    assert (r.json()["prior_episodes"], r.json()["episode_onset"], r.json()["preference"]) == (None, None, "none")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("prior_episodes", -1, "greater than or equal to 0"),
        ("prior_episodes", 2.5, "valid integer"),
        ("prior_episodes", "two", "valid integer"),
        ("prior_episodes", 100, "less than or equal to 99"),
        ("episode_onset", "2026-03-13", "future"),  # tomorrow
        ("episode_onset", "1899-12-31", "1900"),
        ("episode_onset", "0001-01-01", "1900"),
        ("episode_onset", "1990-04-01", "birth date"),  # NEW_PATIENT was born on 2 April 1991
        ("episode_onset", "15/01/2024", "Date has wrong format"),
        ("preference", "hypnosis", "valid choice"),
    ],
)
def test_it_refuses_a_malformed_course_record(alice_api, frozen, field, value, message):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {field: value}, format="json")

    assert r.status_code == 400, r.content
    assert message in " ".join(r.json()[field])
    assert not Patient.objects.filter(external_id="MRN-900").exists()


def test_it_accepts_an_episode_that_began_today(alice_api, frozen):
    r = alice_api.post(PATIENTS, NEW_PATIENT | {"episode_onset": TODAY.isoformat()}, format="json")
    assert r.status_code == 201, r.content


def test_it_changes_the_course_record(alice_api, alice, patient, frozen):
    r = alice_api.patch(detail(patient), {"prior_episodes": 0, "preference": "medication"}, format="json")

    assert r.status_code == 200, r.content
    assert (r.json()["prior_episodes"], r.json()["preference"], r.json()["episode_onset"]) == (0, "medication", None)
    patient.refresh_from_db()
    assert (patient.prior_episodes, patient.preference) == (0, "medication")
    assert AuditEvent.objects.filter(user=alice, patient=patient, action="update", what="patient").count() == 1


def test_it_clears_the_course_record_with_null(alice_api, alice, frozen):
    patient = make_patient(alice, "MRN-2", prior_episodes=3, episode_onset=date(2025, 1, 1))
    r = alice_api.patch(detail(patient), {"prior_episodes": None, "episode_onset": None}, format="json")

    assert r.status_code == 200, r.content
    patient.refresh_from_db()
    assert (patient.prior_episodes, patient.episode_onset) == (None, None)


def test_it_changes_the_other_optional_fields(alice_api, patient, frozen):
    r = alice_api.patch(detail(patient), {"diagnosis": "f31.4", "reminder_interval_days": 14}, format="json")

    assert r.status_code == 200, r.content
    patient.refresh_from_db()
    assert (patient.diagnosis, patient.reminder_interval_days) == ("F31.4", 14)


def test_it_saves_nothing_of_a_patch_with_one_bad_field(alice_api, patient, frozen):
    r = alice_api.patch(detail(patient), {"preference": "combined", "episode_onset": "2027-01-01"}, format="json")

    assert r.status_code == 400
    assert list(r.json()) == ["episode_onset"]
    patient.refresh_from_db()
    assert (patient.preference, patient.episode_onset) == ("none", None)
    assert not AuditEvent.objects.filter(patient=patient, action="update").exists()


def test_it_refuses_to_change_the_record_number(alice_api, patient, frozen):
    r = alice_api.patch(detail(patient), {"external_id": "MRN-77"}, format="json")

    assert r.status_code == 400
    assert "external_id" in r.json()
    patient.refresh_from_db()
    assert patient.external_id == "MRN-1"


def test_it_answers_bob_404_for_a_patch_of_alices_patient(bob_api, patient, frozen):
    r = bob_api.patch(detail(patient), {"preference": "medication"}, format="json")

    assert r.status_code == 404
    patient.refresh_from_db()
    assert patient.preference == "none"


def test_it_re_runs_the_checks_after_a_patch(alice_api, patient, frozen, django_capture_on_commit_callbacks,
                                             monkeypatch):
    queued = []
    monkeypatch.setattr("reassessment.services.enqueue_evaluation", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        r = alice_api.patch(detail(patient), {"prior_episodes": 2}, format="json")

    assert r.status_code == 200
    assert queued == [patient.id]
