"""Tests of /api/v1/assessments/ and /api/v1/instruments/: validation, idempotency, the suicide flag, isolation."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from instruments.models import Assessment
from instruments.services import CLIENT_ID_CONFLICT, record_assessment
from patients.models import AuditEvent
from reassessment.models import Flag
from tests.conftest import NOW, make_patient

URL = "/api/v1/assessments/"
CLINIC = ZoneInfo(settings.TIME_ZONE)
# 00:30 on a summer night in the clinic: clinic-local date 2026-07-02, still 2026-07-01 in UTC (BST is UTC+1).
SUMMER_NIGHT = datetime(2026, 7, 2, 0, 30, tzinfo=CLINIC)


def phq9(patient, items=None, **extra):
    body = {"patient": patient.id, "instrument": "phq9", "items": items or [1] * 9, "administered_at": "2026-03-10"}
    body.update(extra)
    return body


def hamd17(patient, items=None, **extra):
    return phq9(patient, items or [1] * 17, instrument="hamd17", **extra)


def record(patient, instrument="phq9", day="2026-03-01", items=None, **extra):
    size = 9 if instrument == "phq9" else 17
    return record_assessment(
        patient=patient,
        instrument=instrument,
        items=items or [1] * size,
        administered_at=day,
        source="clinician",
        **extra,
    )[0]


@pytest.fixture
def summer_night():
    with time_machine.travel(SUMMER_NIGHT, tick=False) as traveller:
        yield traveller


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Assessment.objects.count() == 0


# --- creation ------------------------------------------------------------------------------------------------------


def test_it_creates_an_assessment_with_server_computed_total_and_severity(alice_api, patient, frozen):
    r = alice_api.post(URL, phq9(patient, [3, 3, 2, 2, 1, 1, 1, 1, 0]), format="json")

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["total"], body["severity"], body["instrument_version"]) == (14, "moderate", "1")
    saved = Assessment.objects.get(pk=body["id"])
    assert (saved.patient_id, saved.total, saved.severity, saved.items) == (
        patient.id,
        14,
        "moderate",
        [3, 3, 2, 2, 1, 1, 1, 1, 0],
    )


def test_it_scores_a_hamd17_assessment(alice_api, patient, frozen):
    items = [4, 4, 0, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2]

    r = alice_api.post(URL, hamd17(patient, items), format="json")

    assert r.status_code == 201, r.content
    assert (r.json()["total"], r.json()["severity"]) == (48, "very_severe")


def test_it_records_who_entered_it_and_the_clinician_source(alice_api, alice, patient, frozen):
    r = alice_api.post(URL, phq9(patient), format="json")

    saved = Assessment.objects.get(pk=r.json()["id"])
    assert (saved.entered_by_id, saved.source) == (alice.id, "clinician")


def test_it_never_counts_the_difficulty_answer_in_the_total(alice_api, patient, frozen):
    r = alice_api.post(URL, phq9(patient, [0] * 9, difficulty=3), format="json")

    assert r.status_code == 201, r.content
    assert (r.json()["total"], r.json()["difficulty"]) == (0, 3)


def test_it_refuses_a_difficulty_answer_out_of_range(alice_api, patient, frozen):
    assert_refused(alice_api.post(URL, phq9(patient, difficulty=4), format="json"), "difficulty")


def test_it_refuses_self_report_as_a_source_through_the_clinician_api(alice_api, patient, frozen):
    assert_refused(alice_api.post(URL, phq9(patient, source="self_report"), format="json"), "source")


# --- validation: items ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 8, 10, 17])
def test_it_refuses_the_wrong_number_of_items(alice_api, patient, frozen, count):
    r = alice_api.post(URL, phq9(patient, [1] * count) | {"items": [1] * count}, format="json")

    assert_refused(r, "items")
    assert r.json()["items"] == [f"PHQ-9 (Patient Health Questionnaire-9) has 9 items; {count} answers were given."]


@pytest.mark.parametrize(
    ("instrument", "number", "value", "top"),
    [
        ("phq9", 1, 4, 3),
        ("phq9", 9, -1, 3),
        ("phq9", 9, 10**30, 3),
        ("hamd17", 4, 3, 2),
        ("hamd17", 3, 5, 4),
        ("hamd17", 17, 3, 2),
    ],
)
def test_it_refuses_an_answer_out_of_range_naming_the_item(alice_api, patient, frozen, instrument, number, value, top):
    body = phq9(patient) if instrument == "phq9" else hamd17(patient)
    body["items"][number - 1] = value

    r = alice_api.post(URL, body, format="json")

    assert_refused(r, "items")
    assert r.json()["items"] == [f"Item {number}: {value} is outside 0 to {top}."]


@pytest.mark.parametrize("bad", [1.5, "2", True, None, 2.0], ids=repr)
def test_it_refuses_an_answer_that_is_not_a_whole_number(alice_api, patient, frozen, bad):
    body = phq9(patient)
    body["items"][2] = bad

    r = alice_api.post(URL, body, format="json")

    assert_refused(r, "items")
    assert r.json()["items"] == ["Item 3: expected a whole number from 0 to 3."]


@pytest.mark.parametrize("bad", ["111111111", {"1": 1}, 9, None], ids=repr)
def test_it_refuses_items_that_are_not_a_list(alice_api, patient, frozen, bad):
    assert_refused(alice_api.post(URL, phq9(patient) | {"items": bad}, format="json"), "items")


@pytest.mark.parametrize("field", ["patient", "instrument", "items", "administered_at"])
def test_it_refuses_a_submission_missing_a_required_field(alice_api, patient, frozen, field):
    body = phq9(patient)
    del body[field]

    assert_refused(alice_api.post(URL, body, format="json"), field)


@pytest.mark.parametrize("instrument", ["bdi2", "PHQ9", "", "phq-9", "GAD7"])
def test_it_refuses_an_unknown_instrument(alice_api, patient, frozen, instrument):
    assert_refused(alice_api.post(URL, phq9(patient, instrument=instrument), format="json"), "instrument")


def test_it_refuses_phq9_answers_submitted_as_hamd17(alice_api, patient, frozen):
    assert_refused(alice_api.post(URL, phq9(patient, instrument="hamd17"), format="json"), "items")


# --- validation: administered_at -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "status"), [("2026-03-12", 201), ("2026-03-13", 400), ("2027-01-01", 400)])
def test_it_refuses_a_date_after_the_clinic_local_today(alice_api, patient, frozen, day, status):
    r = alice_api.post(URL, phq9(patient, administered_at=day), format="json")

    assert r.status_code == status, r.content
    assert Assessment.objects.count() == (1 if status == 201 else 0)


def test_it_accepts_todays_clinic_local_date_while_utc_is_still_on_yesterday(alice_api, patient, summer_night):
    r = alice_api.post(URL, phq9(patient, administered_at="2026-07-02"), format="json")

    assert r.status_code == 201, r.content
    assert r.json()["administered_on"] == "2026-07-02"


def test_it_refuses_tomorrows_clinic_local_date_just_after_local_midnight(alice_api, patient, summer_night):
    assert_refused(alice_api.post(URL, phq9(patient, administered_at="2026-07-03"), format="json"), "administered_at")


@pytest.mark.parametrize(("minutes", "status"), [(4, 201), (5, 201), (6, 400), (60 * 24, 400)])
def test_it_allows_a_datetime_at_most_five_minutes_ahead(alice_api, patient, frozen, minutes, status):
    moment = (NOW + timedelta(minutes=minutes)).isoformat()

    r = alice_api.post(URL, phq9(patient, administered_at=moment), format="json")

    assert r.status_code == status, r.content
    assert Assessment.objects.count() == (1 if status == 201 else 0)


def test_it_refuses_a_datetime_six_minutes_ahead_given_in_another_zone(alice_api, patient, frozen):
    moment = (NOW + timedelta(minutes=6)).astimezone(ZoneInfo("America/New_York")).isoformat()

    assert_refused(alice_api.post(URL, phq9(patient, administered_at=moment), format="json"), "administered_at")


def test_it_reads_a_datetime_without_offset_as_clinic_local(alice_api, patient, summer_night):
    # 00:34 clinic-local is four minutes ahead; read as UTC it would be 01:34 BST, an hour in the future.
    r = alice_api.post(URL, phq9(patient, administered_at="2026-07-02T00:34:00"), format="json")

    assert r.status_code == 201, r.content
    assert Assessment.objects.get().administered_at == datetime(2026, 7, 2, 0, 34, tzinfo=CLINIC)


def test_it_stores_a_date_only_administered_at_as_noon_clinic_local(alice_api, patient, frozen):
    # A summer date, so that 12:00 clinic-local (BST) and 12:00 UTC differ.
    r = alice_api.post(URL, phq9(patient, administered_at="2025-07-01"), format="json")

    assert r.status_code == 201, r.content
    saved = Assessment.objects.get()
    assert saved.administered_at == datetime(2025, 7, 1, 12, 0, tzinfo=CLINIC)
    assert saved.administered_on.isoformat() == "2025-07-01"


def test_it_stores_a_datetime_as_given(alice_api, patient, frozen):
    r = alice_api.post(URL, phq9(patient, administered_at="2026-03-11T08:15:00+01:00"), format="json")

    assert r.status_code == 201, r.content
    assert Assessment.objects.get().administered_at == datetime(2026, 3, 11, 7, 15, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(("day", "status"), [("1980-05-16", 400), ("1980-05-17", 201)])
def test_it_refuses_a_date_before_the_patients_birth(alice_api, patient, frozen, day, status):
    r = alice_api.post(URL, phq9(patient, administered_at=day), format="json")

    assert r.status_code == status, r.content
    if status == 400:
        assert r.json()["administered_at"] == ["This date is before the patient's birth date."]
    assert Assessment.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    "bad",
    ["2026-13-01", "2026-02-30", "12/03/2026", "yesterday", "", "2026-03-10T25:00", "2026-03-10Tnoon", True],
    ids=repr,
)
def test_it_refuses_a_malformed_administered_at(alice_api, patient, frozen, bad):
    assert_refused(alice_api.post(URL, phq9(patient, administered_at=bad), format="json"), "administered_at")


def test_it_names_every_problem_of_a_submission_at_once(alice_api, patient, frozen):
    r = alice_api.post(URL, phq9(patient, [9] * 9, administered_at="2026-04-01"), format="json")

    assert r.status_code == 400
    assert {"items", "administered_at"} <= set(r.json())


# --- validation: the body ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"patient": 1, "instrument": "phq9",', "{items: [1]}", "not json", "[1, 2"])
def test_it_refuses_malformed_json(alice_api, patient, frozen, raw):
    r = alice_api.post(URL, data=raw, content_type="application/json")

    assert r.status_code == 400, r.content
    assert "JSON parse error" in r.json()["detail"]
    assert Assessment.objects.count() == 0


def test_it_refuses_a_json_body_that_is_not_an_object(alice_api, patient, frozen):
    r = alice_api.post(URL, data="[1, 2, 3]", content_type="application/json")

    assert r.status_code == 400, r.content
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("field", ["total", "severity"])
def test_it_refuses_a_client_sent_score(alice_api, patient, frozen, field):
    r = alice_api.post(URL, phq9(patient, [0] * 9) | {field: 27}, format="json")

    assert_refused(r, field)
    assert r.json()[field] == ["Computed by the server; do not send it."]


def test_it_refuses_a_client_sent_total_even_when_it_is_right(alice_api, patient, frozen):
    assert_refused(alice_api.post(URL, phq9(patient, [1] * 9, total=9), format="json"), "total")


# --- idempotency ---------------------------------------------------------------------------------------------------


def test_it_returns_the_first_assessment_for_a_repeated_client_id_with_the_same_content(alice_api, patient, frozen):
    body = phq9(patient, [1] * 9, client_id="tablet-7", difficulty=2)
    first = alice_api.post(URL, body, format="json")

    again = alice_api.post(URL, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Assessment.objects.count() == 1


def test_it_treats_a_date_and_its_noon_as_the_same_administration(alice_api, patient, frozen):
    first = alice_api.post(URL, phq9(patient, client_id="tablet-7", administered_at="2026-03-10"), format="json")
    again = alice_api.post(
        URL, phq9(patient, client_id="tablet-7", administered_at="2026-03-10T12:00:00+00:00"), format="json"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


# DESIGN §3's table said "the same client_id again returns the first one, 200" whatever was sent; issue 9 item 7 (newer)
# makes other content a 409: a later item 9 = 3 sent under a reused id was silently lost.
@pytest.mark.parametrize(
    "change",
    [
        {"items": [1] * 8 + [3]},
        {"instrument": "hamd17", "items": [0] * 17, "difficulty": None},
        {"administered_at": "2026-03-11"},
        {"difficulty": 3},
    ],
    ids=["items", "instrument", "administered_at", "difficulty"],
)
def test_it_answers_409_to_a_repeated_client_id_with_other_content(alice_api, patient, frozen, change):
    body = phq9(patient, [1] * 8 + [0], client_id="tablet-7", difficulty=2)
    first = alice_api.post(URL, body, format="json")

    again = alice_api.post(URL, body | change, format="json")

    assert (first.status_code, again.status_code) == (201, 409)
    assert again["Content-Type"] == "application/json"
    assert again.json() == {"client_id": [CLIENT_ID_CONFLICT]}
    assert "first submission was kept" in again.json()["client_id"][0]
    assert list(Assessment.objects.values_list("id", "total")) == [(first.json()["id"], 8)]
    assert not Flag.objects.exists()


def test_it_answers_409_to_a_reused_client_id_from_the_clinicians_page_too(alice, patient, frozen):
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    page = f"/patients/{patient.id}/assessments/phq9/"
    form = {f"phq9-item_{n}": "1" for n in range(1, 9)} | {"phq9-item_9": "0", "phq9-administered_on": "2026-03-10"}
    form["phq9-client_id"] = "f-1"
    assert browser.post(page, form).status_code == 302

    response = browser.post(page, form | {"phq9-item_9": "3"})

    assert response.status_code == 400
    assert "first submission was kept" in response.content.decode()
    assert Assessment.objects.get().items == [1] * 8 + [0]
    assert not Flag.objects.exists()


def test_it_creates_a_new_assessment_for_the_same_client_id_on_another_patient(alice, alice_api, patient, frozen):
    other = make_patient(alice, "MRN-2")
    first = alice_api.post(URL, phq9(patient, client_id="tablet-7"), format="json")

    r = alice_api.post(URL, phq9(other, client_id="tablet-7"), format="json")

    assert r.status_code == 201, r.content
    assert r.json()["id"] != first.json()["id"]
    assert sorted(Assessment.objects.values_list("patient_id", flat=True)) == [patient.id, other.id]


def test_it_creates_one_assessment_per_submission_without_client_id(alice_api, patient, frozen):
    alice_api.post(URL, phq9(patient), format="json")
    r = alice_api.post(URL, phq9(patient), format="json")

    assert r.status_code == 201
    assert Assessment.objects.count() == 2


def test_it_refuses_a_client_id_longer_than_64_characters(alice_api, patient, frozen):
    assert_refused(alice_api.post(URL, phq9(patient, client_id="x" * 65), format="json"), "client_id")


# --- the suicide item ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "number"), [(phq9, 9), (hamd17, 3)], ids=["phq9-item9", "hamd17-item3"])
@pytest.mark.parametrize("answer", [1, 3])
def test_it_raises_one_suicide_flag_for_a_positive_suicide_item(alice_api, patient, frozen, make, number, answer):
    body = make(patient, client_id="c-1")
    body["items"] = [0] * len(body["items"])
    body["items"][number - 1] = answer

    r = alice_api.post(URL, body, format="json")

    flag = Flag.objects.get()
    assert (flag.kind, flag.severity, flag.recommendation, flag.status) == (
        "suicide_risk",
        "urgent",
        "safety_assessment",
        "open",
    )
    assert (flag.patient_id, flag.assessment_id) == (patient.id, r.json()["id"])


@pytest.mark.parametrize(("make", "number"), [(phq9, 9), (hamd17, 3)], ids=["phq9-item9", "hamd17-item3"])
def test_it_raises_no_second_suicide_flag_on_resubmission(alice_api, patient, frozen, make, number):
    body = make(patient, client_id="c-1")
    body["items"][number - 1] = 2
    alice_api.post(URL, body, format="json")

    r = alice_api.post(URL, body, format="json")

    assert r.status_code == 200
    assert Flag.objects.filter(kind="suicide_risk").count() == 1


@pytest.mark.parametrize(("make", "number"), [(phq9, 9), (hamd17, 3)], ids=["phq9-item9", "hamd17-item3"])
def test_it_raises_no_suicide_flag_when_only_other_items_are_positive(alice_api, patient, frozen, make, number):
    body = make(patient)
    body["items"] = [2] * len(body["items"])
    body["items"][number - 1] = 0

    r = alice_api.post(URL, body, format="json")

    assert r.status_code == 201, r.content
    assert not Flag.objects.filter(kind="suicide_risk").exists()


def test_it_raises_no_suicide_flag_for_a_refused_submission(alice_api, patient, frozen):
    r = alice_api.post(URL, phq9(patient, [0] * 8 + [3], administered_at="2026-04-01"), format="json")

    assert r.status_code == 400
    assert not Flag.objects.exists()


# --- reading -------------------------------------------------------------------------------------------------------


@pytest.fixture
def history(alice, patient, frozen):
    """Alice's two patients, with PHQ-9 and HAM-D 17 scores recorded out of date order."""
    other = make_patient(alice, "MRN-2")
    return {
        "late": record(patient, day="2026-03-05"),
        "early": record(patient, day="2026-01-05"),
        "hamd": record(patient, "hamd17", day="2026-02-05"),
        "middle": record(patient, day="2026-02-05"),
        "other": record(other, day="2026-02-01"),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def test_it_lists_a_patients_assessments_oldest_first(alice_api, patient, history):
    r = alice_api.get(URL, {"patient": patient.id})

    assert ids(r) == [history[k].id for k in ("early", "hamd", "middle", "late")]


def test_it_orders_assessments_of_the_same_moment_by_id(alice_api, patient, history):
    extra = record(patient, day="2026-01-05")

    assert ids(alice_api.get(URL, {"patient": patient.id}))[:2] == [history["early"].id, extra.id]


def test_it_filters_by_instrument(alice_api, patient, history):
    r = alice_api.get(URL, {"patient": patient.id, "instrument": "hamd17"})

    assert ids(r) == [history["hamd"].id]


def test_it_lists_every_visible_assessment_without_a_filter(alice_api, history):
    assert sorted(ids(alice_api.get(URL))) == sorted(a.id for a in history.values())


def test_it_refuses_an_unknown_instrument_filter(alice_api, patient, history):
    r = alice_api.get(URL, {"patient": patient.id, "instrument": "bdi2"})

    assert r.status_code == 400
    assert "instrument" in r.json()


def test_it_serves_the_fields_of_the_contract(alice_api, patient, history):
    row = alice_api.get(URL, {"patient": patient.id}).json()[0]

    assert {"id", "patient", "instrument", "items", "administered_at", "total", "severity", "client_id"} <= set(row)
    assert (row["patient"], row["instrument"], row["total"], row["severity"]) == (patient.id, "phq9", 9, "mild")


def test_it_records_an_audit_event_for_a_submission(alice_api, alice, patient, frozen):
    r = alice_api.post(URL, phq9(patient), format="json")

    assert AuditEvent.objects.filter(
        user=alice, patient=patient, action="create", what="assessment", object_id=r.json()["id"]
    ).exists()


def test_it_records_an_audit_event_for_a_read(alice_api, alice, patient, history):
    alice_api.get(URL, {"patient": patient.id})

    assert AuditEvent.objects.filter(user=alice, patient=patient, action="view", what="assessments").count() == 1


# --- care-team isolation -------------------------------------------------------------------------------------------


def test_it_hides_alices_patient_from_bob_when_he_posts(bob_api, patient, frozen):
    r = bob_api.post(URL, phq9(patient, [0] * 8 + [3]), format="json")

    assert r.status_code == 404
    assert Assessment.objects.count() == 0
    assert not Flag.objects.exists()


def test_it_answers_bob_404_for_an_invalid_post_to_alices_patient(bob_api, patient, frozen):
    # The 404 must not depend on the body: a 400 for bad items would confirm that the patient exists.
    r = bob_api.post(URL, phq9(patient, [9] * 9), format="json")

    assert r.status_code == 404


def test_it_hides_alices_patient_from_bob_when_he_filters(bob_api, patient, history):
    assert bob_api.get(URL, {"patient": patient.id}).status_code == 404


def test_it_answers_bob_the_same_404_as_for_a_missing_patient(bob_api, patient, history):
    hidden = bob_api.get(URL, {"patient": patient.id})
    missing = bob_api.get(URL, {"patient": patient.id + 1000})

    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_it_lists_nothing_of_alices_patients_to_bob(bob_api, history):
    assert ids(bob_api.get(URL)) == []


def test_it_lists_only_bobs_own_assessments_to_bob(bob, bob_api, history):
    own = record(make_patient(bob, "MRN-B"), day="2026-01-01")

    assert ids(bob_api.get(URL)) == [own.id]


def test_it_returns_bob_404_for_a_client_id_alice_used(bob_api, patient, frozen, alice_api):
    alice_api.post(URL, phq9(patient, client_id="c-1"), format="json")

    r = bob_api.post(URL, phq9(patient, client_id="c-1"), format="json")

    assert r.status_code == 404
    assert "items" not in r.json()


def test_it_answers_404_for_a_patient_id_beyond_any_integer_column(alice_api, patient, frozen):
    huge = 10**25

    assert alice_api.post(URL, phq9(patient) | {"patient": huge}, format="json").status_code == 404
    assert alice_api.get(URL, {"patient": huge}).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_an_anonymous_client(patient, frozen, method):
    r = getattr(APIClient(), method)(URL, phq9(patient), format="json")

    assert r.status_code in (401, 403)
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("bad", ["abc", "1.5", ""])
def test_it_refuses_a_malformed_patient_filter(alice_api, history, bad):
    r = alice_api.get(URL, {"patient": bad})

    assert r.status_code == 400
    assert list(r.json()) == ["patient"]


# --- query counts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_assessments_in_a_fixed_number_of_queries(
    alice, alice_api, patient, frozen, django_assert_max_num_queries, count
):
    other = make_patient(alice, "MRN-2")
    for n in range(count):
        record(patient if n % 2 else other, day=(NOW - timedelta(days=n + 1)).date().isoformat())

    # The count (X-Total-Count), the assessments, then one INSERT of the audit rows: never a query per row.
    with django_assert_max_num_queries(3):
        r = alice_api.get(URL)

    assert len(r.json()) == count


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_a_patients_assessments_in_a_fixed_number_of_queries(
    alice_api, patient, frozen, django_assert_max_num_queries, count
):
    for n in range(count):
        record(patient, day=(NOW - timedelta(days=n + 1)).date().isoformat())

    # The patient (access check), the count (X-Total-Count), the assessments, the audit row.
    with django_assert_max_num_queries(4):
        r = alice_api.get(URL, {"patient": patient.id, "instrument": "phq9"})

    assert len(r.json()) == count


# --- instruments ---------------------------------------------------------------------------------------------------


def test_it_lists_every_instrument_definition(alice_api):
    r = alice_api.get("/api/v1/instruments/")

    assert r.status_code == 200
    assert [d["code"] for d in r.json()] == ["phq9", "hamd17", "gad7", "pcl5"]


def test_it_describes_each_instrument_fully(alice_api):
    phq, hamd, gad, pcl = alice_api.get("/api/v1/instruments/").json()

    assert {"code", "version", "name", "rater", "items", "bands", "remission_max", "suicide_item", "citation"} <= set(
        phq
    )
    assert (phq["rater"], phq["max_total"], phq["suicide_item"], phq["loinc_panel"]) == ("self", 27, 9, "44249-1")
    assert (hamd["rater"], hamd["max_total"], hamd["suicide_item"], hamd["loinc_panel"]) == ("clinician", 52, 3, None)
    assert (gad["rater"], gad["max_total"], gad["suicide_item"], gad["loinc_panel"]) == ("self", 21, None, "69737-5")
    assert (pcl["rater"], pcl["max_total"], pcl["suicide_item"], pcl["loinc_panel"]) == ("self", 80, None, None)


def test_it_gives_each_instrument_item_its_range(alice_api):
    phq, hamd, gad, pcl = alice_api.get("/api/v1/instruments/").json()

    assert [(i["number"], i["min"], i["max"]) for i in phq["items"]] == [(n, 0, 3) for n in range(1, 10)]
    assert [i["max"] for i in hamd["items"]] == [4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2]
    assert [(i["number"], i["min"], i["max"]) for i in gad["items"]] == [(n, 0, 3) for n in range(1, 8)]
    assert [(i["number"], i["min"], i["max"]) for i in pcl["items"]] == [(n, 0, 4) for n in range(1, 21)]


def test_it_serves_the_severity_bands(alice_api):
    phq, hamd, gad, pcl = alice_api.get("/api/v1/instruments/").json()

    assert [(b["low"], b["high"]) for b in phq["bands"]] == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]
    assert [(b["low"], b["high"]) for b in hamd["bands"]] == [(0, 7), (8, 13), (14, 18), (19, 22), (23, 52)]
    assert [(b["low"], b["high"]) for b in gad["bands"]] == [(0, 4), (5, 9), (10, 14), (15, 21)]
    assert [(b["low"], b["high"], b["severity"]) for b in pcl["bands"]] == [
        (0, 32, "below_cutoff"),
        (33, 80, "probable_ptsd"),
    ]


def test_it_serves_instruments_to_any_clinician(bob_api):
    assert bob_api.get("/api/v1/instruments/").status_code == 200


def test_it_refuses_instruments_to_an_anonymous_client(db):
    assert APIClient().get("/api/v1/instruments/").status_code in (401, 403)
