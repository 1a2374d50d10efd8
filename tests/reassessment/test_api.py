"""The flags, summary and self-report API (DESIGN §3), and the clinical rules as a client of the API sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from instruments.models import Assessment
from mbc.celery import app as celery_app
from patients.models import Patient
from reassessment import services
from reassessment.models import Flag, FlagStatus, SelfReportLink
from tests.conftest import NOW, TODAY, hamd17_items, make_patient, phq9_items

START = date(2026, 2, 1)  # TODAY (2026-03-12) is day 39 of a phase started here: week 6
JAN = date(2026, 1, 1)  # TODAY is day 70 of a phase started here: after the two-month course (DESIGN §2)


def on(day: int, start: date = START) -> date:
    return start + timedelta(days=day)


def score(patient: Patient, day: date, total: int, *, item9: int = 0) -> Assessment:
    return services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(total, item9=item9), administered_at=day,
        source="clinician",
    ).assessment


def start(patient: Patient, started_on: date = START, *, modality: str = "medication", stage: str = "acute") -> Any:
    return services.change_phase(patient=patient, by=None, modality=modality, stage=stage, started_on=started_on)


def point(a: Assessment) -> dict[str, Any]:
    return {"id": a.id, "total": a.total, "severity": a.severity, "date": a.administered_on.isoformat()}


@pytest.fixture
def on_submit_evaluation(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run what a submission queues after commit, with Celery eager: the API's real on-submit path, no broker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        celery_app.conf.task_always_eager = eager


# --- GET /flags/ --------------------------------------------------------------------------------------------------


@pytest.fixture
def flagged(alice: Any, bob: Any, frozen: Any) -> dict[str, Any]:
    """Alice's partial responder (also a suicide flag), another patient of hers worsening, and Bob's own patient."""
    dora = make_patient(alice, "MRN-DORA")
    start(dora, JAN)
    score(dora, on(-2, JAN), 18)
    score(dora, on(60, JAN), 15, item9=1)
    evan = make_patient(alice, "MRN-EVAN")
    start(evan)
    score(evan, on(0), 8)
    score(evan, on(10), 14)
    fay = make_patient(bob, "MRN-FAY")
    score(fay, TODAY, 12, item9=2)
    services.sweep(today=TODAY)
    return {"dora": dora, "evan": evan, "fay": fay}


def kinds(response: Any) -> list[tuple[str, str]]:
    return sorted((Patient.objects.get(pk=row["patient"]).external_id, row["kind"]) for row in response.json())


def test_it_lists_only_the_clinicians_own_patients_flags(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    response = alice_api.get("/api/v1/flags/")
    assert response.status_code == 200
    assert kinds(response) == [
        ("MRN-DORA", "consider_combined"),  # DESIGN §2b: 18 at the start of medication alone
        ("MRN-DORA", "partial_response"),
        ("MRN-DORA", "suicide_risk"),
        ("MRN-EVAN", "worsening"),
    ]


def test_it_lists_a_flag_with_the_fields_of_the_contract(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="worsening")
    (row,) = alice_api.get("/api/v1/flags/", {"kind": "worsening"}).json()
    assert {k: row[k] for k in ("id", "patient", "kind", "status", "severity", "recommendation", "evidence")} == {
        "id": flag.id,
        "patient": flagged["evan"].id,
        "kind": "worsening",
        "status": "open",
        "severity": "high",
        "recommendation": "review_treatment",
        "evidence": {
            "reference_total": 8,
            "reference_date": "2026-02-01",
            "score_total": 14,
            "score_date": "2026-02-11",
            "change": 6,
            "instrument": "phq9",
        },
    }
    assert row["created_at"].startswith("2026-03-12T10:00:00")


def test_it_lists_flags_newest_first(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    ids = [row["id"] for row in alice_api.get("/api/v1/flags/").json()]
    assert ids == sorted(ids, reverse=True)


def test_it_filters_flags_by_patient(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    response = alice_api.get("/api/v1/flags/", {"patient": flagged["evan"].id})
    assert kinds(response) == [("MRN-EVAN", "worsening")]


def test_it_filters_flags_by_kind(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    response = alice_api.get("/api/v1/flags/", {"kind": "suicide_risk"})
    assert kinds(response) == [("MRN-DORA", "suicide_risk")]


def test_it_filters_flags_by_status(alice_api: APIClient, alice: Any, flagged: dict[str, Any]) -> None:
    services.acknowledge_flag(flag=Flag.objects.get(kind="worsening"), by=alice)
    acknowledged = alice_api.get("/api/v1/flags/", {"status": "acknowledged"})
    still_open = alice_api.get("/api/v1/flags/", {"status": "open"})
    assert kinds(acknowledged) == [("MRN-EVAN", "worsening")]
    assert kinds(still_open) == [
        ("MRN-DORA", "consider_combined"),
        ("MRN-DORA", "partial_response"),
        ("MRN-DORA", "suicide_risk"),
    ]


def test_it_combines_flag_filters(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    response = alice_api.get(
        "/api/v1/flags/", {"patient": flagged["dora"].id, "status": "open", "kind": "partial_response"}
    )
    assert kinds(response) == [("MRN-DORA", "partial_response")]


@pytest.mark.parametrize(("name", "value"), [("status", "closed"), ("kind", "sadness"), ("status", "")])
def test_it_refuses_an_unknown_flag_filter_value(
    alice_api: APIClient, flagged: dict[str, Any], name: str, value: str
) -> None:
    response = alice_api.get("/api/v1/flags/", {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_it_refuses_a_malformed_patient_filter(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    response = alice_api.get("/api/v1/flags/", {"patient": "abc"})
    assert response.status_code == 400
    assert list(response.json()) == ["patient"]


def test_it_hides_another_clinicians_patient_in_the_flag_filter(
    alice_api: APIClient, flagged: dict[str, Any]
) -> None:
    response = alice_api.get("/api/v1/flags/", {"patient": flagged["fay"].id})
    assert response.status_code == 404


def test_it_lists_no_flags_to_an_anonymous_visitor(flagged: dict[str, Any]) -> None:
    response = APIClient().get("/api/v1/flags/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert list(response.json()) == ["detail"]


# --- POST /flags/{id}/acknowledge/ --------------------------------------------------------------------------------


def test_it_acknowledges_a_flag_with_a_note(alice_api: APIClient, alice: Any, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="partial_response")
    response = alice_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {"note": "Referred for CBT."}, format="json")
    flag.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["note"] == "Referred for CBT."
    assert (flag.status, flag.note, flag.acknowledged_by_id, flag.acknowledged_at) == (
        FlagStatus.ACKNOWLEDGED,
        "Referred for CBT.",
        alice.id,
        NOW,
    )


def test_it_acknowledges_a_flag_without_a_note(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="partial_response")
    response = alice_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["note"] == ""


def test_it_hides_another_clinicians_flag_from_acknowledging(bob_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="partial_response")
    response = bob_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {"note": "mine now"}, format="json")
    flag.refresh_from_db()
    assert response.status_code == 404
    assert (flag.status, flag.note, flag.acknowledged_by_id) == (FlagStatus.OPEN, "", None)


def test_it_refuses_to_acknowledge_a_flag_twice(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="partial_response")
    alice_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {"note": "first"}, format="json")
    response = alice_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {"note": "second"}, format="json")
    flag.refresh_from_db()
    assert response.status_code == 400
    assert "status" in response.json()
    assert flag.note == "first"


def test_it_refuses_a_note_over_2000_characters(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="partial_response")
    response = alice_api.post(f"/api/v1/flags/{flag.id}/acknowledge/", {"note": "x" * 2001}, format="json")
    flag.refresh_from_db()
    assert response.status_code == 400
    assert "note" in response.json()
    assert flag.status == FlagStatus.OPEN


# --- GET /patients/{id}/summary/ ----------------------------------------------------------------------------------


def test_it_summarises_the_current_phase_in_the_shape_of_the_contract(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    phase = start(patient)
    baseline = score(patient, on(-2), 18)
    score(patient, on(19), 14)
    reassessment = score(patient, on(32), 12)
    response = alice_api.get(f"/api/v1/patients/{patient.id}/summary/")
    assert response.status_code == 200
    assert response.json() == {
        "instrument": "phq9",
        "phase": {"id": phase.id, "modality": "medication", "stage": "acute", "started_on": "2026-02-01", "week": 6},
        "baseline": {"id": baseline.id, "total": 18, "severity": "moderately_severe", "date": "2026-01-30"},
        "latest": point(reassessment),
        "reassessment": {"id": reassessment.id, "total": 12, "severity": "moderate", "date": "2026-03-05"},
        "improvement_pct": 33.3,  # 6 / 18
        "category": "improving",
        "next_due_on": "2026-04-02",  # the latest score + 28 days
        "interval_days": 28,  # DESIGN §3: the interval in force today
        "birth_date_missing": False,
        # DESIGN §2b: read from the baseline, 18 >= PHQ-9 16
        "recommended_start": {
            "modality": "combined",
            "reasons": ["severe"],
            "based_on": {"id": baseline.id, "total": 18, "date": "2026-01-30"},
        },
    }


@pytest.mark.parametrize(("days_ago", "week"), [(0, 1), (6, 1), (7, 2), (28, 5)])
def test_it_counts_phase_weeks_from_1(
    alice_api: APIClient, patient: Patient, frozen: Any, days_ago: int, week: int
) -> None:
    start(patient, TODAY - timedelta(days=days_ago))
    assert alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()["phase"]["week"] == week


def test_it_summarises_a_phase_without_baseline(alice_api: APIClient, patient: Patient, frozen: Any) -> None:
    start(patient)
    late = score(patient, on(20), 15)
    body = alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()
    assert (body["baseline"], body["latest"], body["reassessment"]) == (None, point(late), None)
    assert (body["category"], body["improvement_pct"]) == ("no_baseline", None)
    assert body["next_due_on"] == "2026-03-21"  # the late score + 28 days


def test_it_summarises_a_patient_without_a_phase(alice_api: APIClient, patient: Patient, frozen: Any) -> None:
    latest = score(patient, TODAY, 12)
    assert alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json() == {
        "instrument": "phq9",
        "phase": None,
        "baseline": None,
        "latest": None,
        "reassessment": None,
        "improvement_pct": None,
        "category": "no_phase",
        "next_due_on": None,
        "interval_days": None,
        "birth_date_missing": False,
        "recommended_start": {
            "modality": "either",
            "reasons": ["moderate"],
            "based_on": {"id": latest.id, "total": 12, "date": "2026-03-12"},
        },
    }


def test_it_hides_another_clinicians_patient_summary(bob_api: APIClient, patient: Patient, frozen: Any) -> None:
    start(patient)
    assert bob_api.get(f"/api/v1/patients/{patient.id}/summary/").status_code == 404


# --- the rules through the API ------------------------------------------------------------------------------------


def post_phase(api: APIClient, patient_id: int, started_on: date, modality: str, stage: str = "acute") -> Any:
    body = {"modality": modality, "stage": stage, "started_on": started_on.isoformat()}
    response = api.post(f"/api/v1/patients/{patient_id}/phases/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def post_score(api: APIClient, patient_id: int, day: date, items: list[int], instrument: str = "phq9") -> Any:
    body = {"patient": patient_id, "instrument": instrument, "items": items, "administered_at": day.isoformat()}
    response = api.post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_it_takes_a_new_phases_baseline_from_the_previous_phases_score(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    jan = date(2026, 1, 1)
    post_phase(alice_api, patient.id, jan, "medication")
    post_score(alice_api, patient.id, on(-2, jan), phq9_items(20))
    carried = post_score(alice_api, patient.id, on(30, jan), phq9_items(16))  # 2026-01-31, under 30%: add therapy
    second = post_phase(alice_api, patient.id, date(2026, 2, 5), "combined")
    post_score(alice_api, patient.id, date(2026, 3, 10), phq9_items(9))  # day 33 of the combined phase
    body = alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()
    assert body["phase"]["id"] == second["id"]
    assert body["baseline"] == {"id": carried["id"], "total": 16, "severity": "moderately_severe", "date": "2026-01-31"}
    assert (body["improvement_pct"], body["category"]) == (43.8, "improving")  # 7 / 16 = 43.75%


def test_it_ends_the_previous_phase_the_day_before_the_next(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    first = post_phase(alice_api, patient.id, date(2026, 1, 1), "medication")
    post_phase(alice_api, patient.id, date(2026, 2, 5), "combined")
    phases = alice_api.get(f"/api/v1/patients/{patient.id}/phases/").json()
    assert [(p["id"], p["ended_on"]) for p in phases][1] == (first["id"], "2026-02-04")


def test_it_flags_a_partial_responder_of_the_previous_phase_against_the_new_phase(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    dec = date(2025, 12, 1)
    post_phase(alice_api, patient.id, dec, "medication")
    post_score(alice_api, patient.id, on(-2, dec), phq9_items(20))
    post_score(alice_api, patient.id, on(30, dec), phq9_items(16))
    second = post_phase(alice_api, patient.id, date(2026, 1, 5), "combined")
    post_score(alice_api, patient.id, date(2026, 3, 10), phq9_items(14))  # 16 -> 14 on day 64: 12.5%
    services.sweep(today=TODAY)
    (row,) = alice_api.get("/api/v1/flags/", {"kind": "partial_response"}).json()
    assert row["phase"] == second["id"]
    assert row["recommendation"] == "review_treatment"
    assert (row["evidence"]["baseline_date"], row["evidence"]["baseline_total"]) == ("2025-12-31", 16)


@pytest.fixture
def hamd_patient(alice_api: APIClient, frozen: Any) -> dict[str, Any]:
    body = {"external_id": "MRN-HAMD", "display_name": "Hamilton Patient", "primary_instrument": "hamd17"}
    response = alice_api.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    ("reassessment", "category"),
    [  # from a baseline of 22: 50% is 11, 30% is 15.4
        (7, "remission"),
        (8, "response"),
        (11, "response"),
        (12, "improving"),
        (15, "improving"),
        (16, "partial_response"),
    ],
)
def test_it_summarises_on_hamd17_when_it_is_the_primary_instrument(
    alice_api: APIClient, hamd_patient: dict[str, Any], reassessment: int, category: str
) -> None:
    pid = hamd_patient["id"]
    post_phase(alice_api, pid, START, "psychotherapy")
    post_score(alice_api, pid, on(-1), hamd17_items(22), "hamd17")
    post_score(alice_api, pid, on(30), hamd17_items(reassessment), "hamd17")
    post_score(alice_api, pid, on(31), phq9_items(2))  # a PHQ-9 on the side counts for nothing here
    body = alice_api.get(f"/api/v1/patients/{pid}/summary/").json()
    assert body["instrument"] == "hamd17"
    assert body["reassessment"]["total"] == reassessment
    assert body["category"] == category


def test_it_flags_a_hamd17_partial_responder_on_submission(
    alice_api: APIClient, hamd_patient: dict[str, Any], on_submit_evaluation: Any
) -> None:
    pid = hamd_patient["id"]
    post_phase(alice_api, pid, JAN, "psychotherapy")
    post_score(alice_api, pid, on(-1, JAN), hamd17_items(22), "hamd17")
    with on_submit_evaluation():
        reassessment = post_score(alice_api, pid, on(60, JAN), hamd17_items(16), "hamd17")
    # DESIGN §2b: 22 at the start (HAM-D 17 >= 19) also suggests combining; this test is about the partial response.
    (row,) = alice_api.get("/api/v1/flags/", {"patient": pid, "kind": "partial_response"}).json()
    assert (row["kind"], row["recommendation"], row["assessment"]) == (
        "partial_response",
        "add_medication",
        reassessment["id"],
    )
    assert row["evidence"]["instrument"] == "hamd17"
    assert row["evidence"]["improvement_pct"] == 27.3  # 6 / 22


def test_it_flags_hamd17_worsening_from_8_points(
    alice_api: APIClient, hamd_patient: dict[str, Any], on_submit_evaluation: Any
) -> None:
    pid = hamd_patient["id"]
    post_phase(alice_api, pid, START, "psychotherapy")
    post_score(alice_api, pid, on(0), hamd17_items(10), "hamd17")
    with on_submit_evaluation():
        post_score(alice_api, pid, on(9), hamd17_items(17), "hamd17")  # +7: within measurement error
    assert alice_api.get("/api/v1/flags/", {"kind": "worsening"}).json() == []
    with on_submit_evaluation():
        post_score(alice_api, pid, on(10), hamd17_items(18), "hamd17")  # +8
    assert len(alice_api.get("/api/v1/flags/", {"kind": "worsening"}).json()) == 1


def test_it_flags_worsening_right_after_a_submission(
    alice_api: APIClient, patient: Patient, frozen: Any, on_submit_evaluation: Any
) -> None:
    post_phase(alice_api, patient.id, START, "medication")
    post_score(alice_api, patient.id, on(0), phq9_items(8))
    with on_submit_evaluation():
        post_score(alice_api, patient.id, on(12), phq9_items(15))
    (row,) = alice_api.get("/api/v1/flags/", {"patient": patient.id}).json()
    assert (row["kind"], row["severity"], row["evidence"]["change"]) == ("worsening", "high", 7)


def test_it_flags_relapse_after_remission_right_after_a_submission(
    alice_api: APIClient, patient: Patient, frozen: Any, on_submit_evaluation: Any
) -> None:
    post_phase(alice_api, patient.id, START, "combined")
    post_score(alice_api, patient.id, on(0), phq9_items(16))
    post_score(alice_api, patient.id, on(20), phq9_items(3))
    with on_submit_evaluation():
        post_score(alice_api, patient.id, on(34), phq9_items(10))
    rows = alice_api.get("/api/v1/flags/", {"patient": patient.id}).json()
    # 16 -> 10 is 37.5% better: no partial_response; 3 -> 10 is a rebound of 7 from the best point: worsening.
    assert sorted(row["kind"] for row in rows) == ["relapse", "worsening"]


def test_it_flags_a_serotonergic_pair_when_the_medication_is_posted(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    url = f"/api/v1/patients/{patient.id}/medications/"
    alice_api.post(url, {"name": "sertraline", "drug_class": "ssri", "started_on": "2026-02-01"}, format="json")
    response = alice_api.post(url, {"name": "tramadol", "drug_class": "serotonergic_opioid",
                                    "started_on": "2026-03-12"}, format="json")
    (row,) = alice_api.get("/api/v1/flags/", {"kind": "serotonergic_combination"}).json()
    assert response.status_code == 201
    assert response.json()["flags"] == [row["id"]]


# --- POST /self-report/{token}/ -----------------------------------------------------------------------------------


@pytest.fixture
def link(patient: Patient, frozen: Any) -> tuple[SelfReportLink, str]:
    return services.issue_link(patient=patient)


def self_report(token: str, items: Any, **extra: Any) -> Any:
    """A patient's browser: no login, no session."""
    return APIClient().post(f"/api/v1/self-report/{token}/", {"items": items, **extra}, format="json")


def test_it_accepts_a_phq9_through_a_link_without_login(link: tuple[SelfReportLink, str], patient: Patient) -> None:
    response = self_report(link[1], phq9_items(11))
    (assessment,) = Assessment.objects.all()
    assert response.status_code == 201
    assert response.json() == {
        "id": assessment.id,
        "instrument": "phq9",
        "assessments": [{"id": assessment.id, "instrument": "phq9"}],
        "administered_at": "2026-03-12T10:00:00Z",
        "crisis_message": None,
    }
    assert (assessment.patient_id, assessment.source, assessment.total) == (patient.id, "self_report", 11)


def test_it_records_the_self_report_for_the_links_patient_only(
    link: tuple[SelfReportLink, str], patient: Patient, alice: Any
) -> None:
    other = make_patient(alice, "MRN-OTHER")
    response = self_report(link[1], phq9_items(11), patient=other.id)
    assert response.status_code == 201
    assert Assessment.objects.get().patient_id == patient.id
    assert not Assessment.objects.filter(patient=other).exists()


def test_it_marks_the_link_used(link: tuple[SelfReportLink, str]) -> None:
    self_report(link[1], phq9_items(11))
    link[0].refresh_from_db()
    assert link[0].last_used_at == NOW


@pytest.mark.parametrize("token", ["not-a-token", "A" * 43])
def test_it_answers_404_to_an_unknown_token(link: tuple[SelfReportLink, str], token: str) -> None:
    response = self_report(token, phq9_items(11))
    assert response.status_code == 404
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("age", "status"),
    [(timedelta(days=14) - timedelta(minutes=1), 201), (timedelta(days=14) + timedelta(minutes=1), 404)],
)
def test_it_expires_a_link_after_14_days(
    link: tuple[SelfReportLink, str], frozen: Any, age: timedelta, status: int
) -> None:
    frozen.move_to(NOW + age)
    response = self_report(link[1], phq9_items(11))
    assert response.status_code == status
    assert Assessment.objects.count() == int(status == 201)


def test_it_answers_404_for_an_inactive_patients_link(link: tuple[SelfReportLink, str], patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(active=False)
    assert self_report(link[1], phq9_items(11)).status_code == 404


@pytest.mark.parametrize(
    "items",
    [[1] * 8, [1] * 10, [1] * 8 + [4], [1] * 8 + [-1], [1] * 8 + ["2"], [1] * 8 + [True], "111111111", None],
)
def test_it_refuses_bad_answers_and_saves_nothing(link: tuple[SelfReportLink, str], items: Any) -> None:
    response = self_report(link[1], items)
    link[0].refresh_from_db()
    assert response.status_code == 400
    assert "items" in response.json()
    assert not Assessment.objects.exists()
    assert not Flag.objects.exists()
    assert link[0].last_used_at is None


def test_it_refuses_a_total_sent_by_the_client(link: tuple[SelfReportLink, str]) -> None:
    response = self_report(link[1], phq9_items(11), total=0)
    assert response.status_code == 400
    assert "total" in response.json()
    assert not Assessment.objects.exists()


def test_it_offers_phq9_on_the_link_of_a_hamd17_patient(alice: Any, frozen: Any) -> None:
    hamd = make_patient(alice, "MRN-HAMD", primary_instrument="hamd17")
    link, token = services.issue_link(patient=hamd)
    response = self_report(token, phq9_items(11))
    assert link.instrument == "phq9"
    assert response.status_code == 201
    assert Assessment.objects.get().instrument == "phq9"


def test_it_refuses_hamd17_answers_on_a_hamd17_patients_link(alice: Any, frozen: Any) -> None:
    hamd = make_patient(alice, "MRN-HAMD", primary_instrument="hamd17")
    _, token = services.issue_link(patient=hamd)
    response = self_report(token, hamd17_items(20))
    assert response.status_code == 400
    assert not Assessment.objects.exists()


def test_it_returns_the_first_self_report_for_the_same_client_id_and_answers(link: tuple[SelfReportLink, str]) -> None:
    first = self_report(link[1], phq9_items(11), client_id="phone-1", difficulty=1)
    again = self_report(link[1], phq9_items(11), client_id="phone-1", difficulty=1)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Assessment.objects.get().total == 11


# Issue 9 item 7 (newer than DESIGN §3's "returns the first one, 200"): other answers under the same client_id are a
# 409 that says so, never a 200 that silently drops them.
@pytest.mark.parametrize("change", [{"items": phq9_items(11, item9=3)}, {"difficulty": 2}], ids=["items", "difficulty"])
def test_it_answers_409_to_the_same_client_id_with_other_answers(
    link: tuple[SelfReportLink, str], change: dict[str, Any]
) -> None:
    first = self_report(link[1], phq9_items(11), client_id="phone-1", difficulty=1)
    again = self_report(link[1], **({"items": phq9_items(11), "client_id": "phone-1", "difficulty": 1} | change))
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json() == {"client_id": [services.ANSWERS_CHANGED], "crisis_message": None}
    assert Assessment.objects.get().total == 11
    assert not Flag.objects.exists()


# Issue 13 item 1: a link takes one submission. 409 rather than 410: the link is still there (a retry of its
# submission gets 200, an expired or unknown token 404); what clashes is this second request.
@pytest.mark.parametrize("client_id", [None, "phone-2"])
def test_it_answers_409_to_a_second_submission_through_a_used_link(
    link: tuple[SelfReportLink, str], client_id: str | None
) -> None:
    extra = {"client_id": client_id} if client_id else {}
    first = self_report(link[1], phq9_items(11), client_id="phone-1")
    again = self_report(link[1], phq9_items(3), **extra)
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json() == {"link": [services.LINK_USED], "crisis_message": None}
    assert Assessment.objects.get().total == 11


def test_it_repeats_the_crisis_message_on_a_used_links_409(link: tuple[SelfReportLink, str]) -> None:
    self_report(link[1], phq9_items(11, item9=2))
    again = self_report(link[1], phq9_items(0))
    assert again.status_code == 409
    assert again.json()["crisis_message"] == settings.MBC_CRISIS_MESSAGE
    assert Flag.objects.get().kind == "suicide_risk"  # the sent item 9 stays flagged; the zeros were not recorded


def test_it_records_the_links_one_submission(link: tuple[SelfReportLink, str]) -> None:
    response = self_report(link[1], phq9_items(11), client_id="phone-1")
    stored = SelfReportLink.objects.get(pk=link[0].pk)
    assert (stored.submitted_at, stored.client_id) == (NOW, "phone-1")
    assert list(stored.assessments.values_list("id", flat=True)) == [response.json()["id"]]
    assert Assessment.objects.get().client_id is None  # the link carries it: one submission, any instruments


def test_it_takes_a_submission_through_each_reminders_own_link(patient: Patient, frozen: Any) -> None:
    tokens = [services.issue_link(patient=patient)[1] for _ in range(2)]
    responses = [self_report(token, phq9_items(total)) for token, total in zip(tokens, (14, 9), strict=True)]
    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(Assessment.objects.values_list("total", flat=True)) == [9, 14]


@pytest.mark.parametrize("item9", [1, 3])
def test_it_shows_the_crisis_message_and_raises_an_urgent_flag_for_item_9(
    link: tuple[SelfReportLink, str], item9: int
) -> None:
    response = self_report(link[1], phq9_items(11, item9=item9))
    (flag,) = Flag.objects.all()
    assert response.json()["crisis_message"] == settings.MBC_CRISIS_MESSAGE
    assert (flag.kind, flag.severity, flag.assessment_id) == ("suicide_risk", "urgent", response.json()["id"])


def test_it_shows_the_configured_crisis_message(link: tuple[SelfReportLink, str], settings: Any) -> None:
    settings.MBC_CRISIS_MESSAGE = "Call the clinic on 0100 000 0000 now."
    response = self_report(link[1], phq9_items(11, item9=1))
    assert response.json()["crisis_message"] == "Call the clinic on 0100 000 0000 now."


def test_it_shows_no_crisis_message_without_item_9(link: tuple[SelfReportLink, str]) -> None:
    response = self_report(link[1], phq9_items(24))
    assert response.json()["crisis_message"] is None
    assert not Flag.objects.exists()


def test_it_stores_the_link_token_only_as_its_hash(link: tuple[SelfReportLink, str]) -> None:
    stored, token = link
    row = SelfReportLink.objects.filter(pk=stored.pk).values().get()
    assert len(token) == 43  # URL-safe base64 of 32 random bytes
    assert row["token_hash"] != token
    assert row["token_hash"] == services.hash_token(token)
    assert token not in {str(value) for value in row.values()}


# --- recommended_start in the summary (DESIGN §2b) ----------------------------------------------------------------


def test_it_recommends_no_start_before_any_score(alice_api: APIClient, patient: Patient, frozen: Any) -> None:
    start(patient)
    assert alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()["recommended_start"] is None


def test_it_reads_the_suicide_item_of_the_score_the_start_is_based_on(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    start(patient, modality="psychotherapy")
    baseline = score(patient, on(-1), 8, item9=1)
    score(patient, on(20), 6)
    body = alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()
    assert body["recommended_start"] == {
        "modality": "combined",
        "reasons": ["suicide_item"],
        "based_on": {"id": baseline.id, "total": 8, "date": "2026-01-31"},
    }


def test_it_reads_the_patients_record_for_the_start(alice_api: APIClient, alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-2", diagnosis="F33.3", prior_episodes=2)
    start(patient)
    score(patient, on(-1), 12)
    body = alice_api.get(f"/api/v1/patients/{patient.id}/summary/").json()
    assert (body["recommended_start"]["modality"], body["recommended_start"]["reasons"]) == (
        "medication_first",
        ["psychotic_features", "recurrent"],
    )


# --- Interval in force and the birth date (DESIGN §2) -------------------------------------------------------------


def test_it_gives_the_interval_in_force_in_the_summary(alice_api: APIClient, alice: Any, frozen: Any) -> None:
    young = make_patient(alice, "MRN-YOUNG", birth_date=date(2003, 6, 1))
    start(young, on(-60, TODAY), modality="psychotherapy")
    body = alice_api.get(f"/api/v1/patients/{young.id}/summary/").json()
    assert (body["interval_days"], body["birth_date_missing"]) == (28, False)
    # A dose change of sertraline 10 days ago (a new row) starts weekly monitoring, in a psychotherapy phase too.
    services.record_medication(patient=young, by=alice, name="sertraline", drug_class="ssri", started_on=on(-10, TODAY))
    assert alice_api.get(f"/api/v1/patients/{young.id}/summary/").json()["interval_days"] == 7


def test_it_says_the_birth_date_is_missing_in_a_medication_phase(alice_api: APIClient, alice: Any, frozen: Any) -> None:
    unknown = make_patient(alice, "MRN-NOBIRTH", birth_date=None)
    start(unknown, on(-5, TODAY), modality="medication")
    body = alice_api.get(f"/api/v1/patients/{unknown.id}/summary/").json()
    assert (body["interval_days"], body["birth_date_missing"]) == (28, True)
    page = Client()
    page.force_login(alice)
    assert "Birth date missing" in page.get(f"/patients/{unknown.id}/").content.decode()
    assert "Birth date missing" in page.get("/").content.decode()


# --- Flag lifecycle: resolve, a concern raised by hand (DESIGN §2, §3) ----------------------------------------------


@pytest.mark.parametrize("acknowledged_first", [False, True])
def test_it_resolves_a_flag_with_a_note(
    alice_api: APIClient, alice: Any, flagged: dict[str, Any], acknowledged_first: bool
) -> None:
    flag = Flag.objects.get(kind="worsening")
    if acknowledged_first:
        services.acknowledge_flag(flag=flag, by=alice, note="Seen.")
    r = alice_api.post(f"/api/v1/flags/{flag.id}/resolve/", {"note": "Dose raised."}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["resolution_note"], body["resolved_by"]) == ("resolved", "Dose raised.", alice.id)
    assert body["resolved_at"].startswith("2026-03-12T10:00:00")


def test_it_resolves_a_flag_without_a_note(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="worsening")
    assert alice_api.post(f"/api/v1/flags/{flag.id}/resolve/", {}, format="json").json()["status"] == "resolved"


def test_it_refuses_to_resolve_a_flag_twice(alice_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="worsening")
    alice_api.post(f"/api/v1/flags/{flag.id}/resolve/", {"note": "first"}, format="json")
    r = alice_api.post(f"/api/v1/flags/{flag.id}/resolve/", {"note": "second"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"status": ["This flag is already resolved."]}
    flag.refresh_from_db()
    assert flag.resolution_note == "first"


def test_it_hides_another_teams_flag_from_resolving(bob_api: APIClient, flagged: dict[str, Any]) -> None:
    flag = Flag.objects.get(kind="worsening")
    assert bob_api.post(f"/api/v1/flags/{flag.id}/resolve/", {}, format="json").status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"


def test_it_raises_a_concern_by_hand(alice_api: APIClient, alice: Any, patient: Patient, frozen: Any) -> None:
    phase = start(patient)
    body = {"patient": patient.id, "kind": "clinician_concern", "severity": "high", "note": "Lost his job."}
    r = alice_api.post("/api/v1/flags/", body, format="json")
    assert r.status_code == 201, r.content
    row = r.json()
    assert (row["kind"], row["severity"], row["recommendation"], row["note"]) == (
        "clinician_concern", "high", "see_note", "Lost his job."
    )
    assert (row["patient"], row["phase"], row["raised_by"], row["status"]) == (patient.id, phase.id, alice.id, "open")
    assert row["evidence"] == {"concern": "Lost his job."}
    services.acknowledge_flag(flag=Flag.objects.get(pk=row["id"]), by=alice, note="Called him.")
    page = Client()
    page.force_login(alice)
    assert "“Lost his job.”" in page.get(f"/patients/{patient.id}/").content.decode()


def test_a_concern_keeps_quotes_backslashes_and_any_script_in_its_evidence(
    alice_api: APIClient, patient: Patient, frozen: Any
) -> None:
    """The flag insert sends its rows as one JSON document (jsonb_to_recordset on PostgreSQL): text that needs
    escaping in JSON, SQL or an array literal comes back as written."""
    start(patient)
    note = 'Said "I can\'t go on" \\ {x} [y], then ¿qué? 心 😔 -- DROP TABLE; \\n'
    r = alice_api.post("/api/v1/flags/", {"patient": patient.id, "kind": "clinician_concern", "severity": "urgent",
                                          "note": note}, format="json")
    assert r.status_code == 201, r.content
    assert Flag.objects.get(pk=r.json()["id"]).evidence == {"concern": note}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"note": ""}, "note"),
        ({"note": "  "}, "note"),
        ({"severity": "critical"}, "severity"),
        ({"kind": "worsening"}, "kind"),
        ({"patient": "abc"}, "patient"),
    ],
)
def test_it_refuses_a_bad_concern_and_saves_nothing(
    alice_api: APIClient, patient: Patient, frozen: Any, changes: dict[str, Any], field: str
) -> None:
    body = {"patient": patient.id, "kind": "clinician_concern", "severity": "high", "note": "x"} | changes
    r = alice_api.post("/api/v1/flags/", body, format="json")
    assert r.status_code == 400
    assert field in r.json()
    assert not Flag.objects.exists()


def test_it_hides_another_teams_patient_from_a_concern(bob_api: APIClient, patient: Patient, frozen: Any) -> None:
    body = {"patient": patient.id, "kind": "clinician_concern", "severity": "low", "note": "x"}
    assert bob_api.post("/api/v1/flags/", body, format="json").status_code == 404
    assert not Flag.objects.exists()


def test_it_resolves_a_flag_when_a_phase_is_started_from_it(alice: Any, patient: Patient, frozen: Any) -> None:
    start(patient, JAN)
    score(patient, on(-2, JAN), 18)
    score(patient, on(60, JAN), 16)
    services.sweep(today=TODAY)
    flag = Flag.objects.get(kind="partial_response")
    phase = services.change_phase(
        patient=patient, by=alice, modality="combined", stage="acute", started_on=TODAY, from_flag=flag
    )
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == ("resolved", alice)
    assert flag.resolution_note == f"Combined phase started on 2026-03-12 (phase #{phase.id})."


def test_it_starts_no_phase_when_the_flag_is_another_patients(alice: Any, patient: Patient, frozen: Any) -> None:
    other = make_patient(alice, "MRN-OTHER")
    concern = services.raise_concern(patient=other, by=alice, severity="low", note="x")
    with pytest.raises(ValidationError):
        services.change_phase(
            patient=patient, by=alice, modality="combined", stage="acute", started_on=TODAY, from_flag=concern
        )
