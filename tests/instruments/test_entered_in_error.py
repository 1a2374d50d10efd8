"""An assessment entered by mistake is marked entered_in_error (who, when, why), never deleted (DESIGN 3b, issue 9.4).

It stays in the record and the audit trail, struck through on the patient page; the rules, the sweep, the on-submit
evaluation, charts, summaries, outcomes and the caseload leave it out (Assessment.objects.in_effect()).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from instruments.models import Assessment
from mbc.celery import app as celery_app
from patients.models import AuditEvent, Patient
from reassessment import outcomes, selectors, services
from reassessment.models import Flag
from tests.conftest import NOW, TODAY, phq9_items

START = TODAY - timedelta(days=60)


@pytest.fixture
def alice_client(alice: Any) -> Client:
    browser = Client()
    browser.force_login(alice)
    return browser


def url(a: Assessment) -> str:
    return f"/api/v1/assessments/{a.id}/entered-in-error/"


def score(patient: Patient, day: int, total: int, *, item9: int = 0) -> Assessment:
    return services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(total, item9=item9),
        administered_at=START + timedelta(days=day), source="clinician",
    ).assessment


@pytest.fixture
def history(alice: Any, patient: Patient, frozen: Any) -> dict[str, Assessment]:
    """A medication phase 60 days old: baseline 20 on day 0, and a mistaken 3 on day 50 (another patient's form)."""
    services.change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=START)
    return {"baseline": score(patient, 0, 20), "mistake": score(patient, 50, 3)}


def test_it_marks_an_assessment_with_who_when_and_why(
    alice: Any, alice_api: APIClient, history: dict[str, Assessment]
) -> None:
    response = alice_api.post(url(history["mistake"]), {"reason": "Another patient's form."}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["entered_in_error_at"], body["entered_in_error_by"], body["entered_in_error_reason"]) == (
        "2026-03-12T10:00:00Z", alice.id, "Another patient's form.")
    stored = Assessment.objects.get(pk=history["mistake"].pk)  # kept, with its answers
    assert (stored.total, stored.entered_in_error_at, stored.entered_in_error_by) == (3, NOW, alice)
    assert AuditEvent.objects.filter(
        action="update", what="assessment_entered_in_error", object_id=stored.id, user=alice
    ).count() == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_it_answers_400_without_a_reason(alice_api: APIClient, history: dict[str, Assessment], body: Any) -> None:
    response = alice_api.post(url(history["mistake"]), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    assert Assessment.objects.get(pk=history["mistake"].pk).entered_in_error_at is None


def test_it_answers_400_when_already_marked(alice_api: APIClient, history: dict[str, Assessment]) -> None:
    alice_api.post(url(history["mistake"]), {"reason": "first"}, format="json")
    response = alice_api.post(url(history["mistake"]), {"reason": "second"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"entered_in_error": ["This assessment is already marked as entered in error."]}
    assert Assessment.objects.get(pk=history["mistake"].pk).entered_in_error_reason == "first"


def test_it_answers_404_off_the_care_team(bob_api: APIClient, history: dict[str, Assessment]) -> None:
    response = bob_api.post(url(history["mistake"]), {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert Assessment.objects.get(pk=history["mistake"].pk).entered_in_error_at is None
    assert not AuditEvent.objects.filter(what="assessment_entered_in_error").exists()


def mark(a: Assessment, by: Any) -> None:
    services.mark_assessment_entered_in_error(assessment=a, by=by, reason="Wrong patient.")


def test_it_leaves_the_marked_score_out_of_the_summary_and_the_caseload(
    alice: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    assert selectors.patient_summary(patient, TODAY).result.latest.assessment_id == history["mistake"].id
    mark(history["mistake"], alice)
    summary = selectors.patient_summary(patient, TODAY)
    assert summary.result.latest is None
    assert summary.result.baseline.assessment_id == history["baseline"].id
    row = next(r for r in selectors.caseload(alice, TODAY).rows if r.patient.id == patient.id)
    assert row.latest_point.assessment_id == history["baseline"].id


def test_it_leaves_the_marked_score_out_of_the_sweep(
    alice: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    # With the day-50 score the anchor is day 50 (not overdue); without it, day 0 (60 days: overdue at 56).
    mark(history["mistake"], alice)
    services.sweep(today=TODAY)
    assert Flag.objects.filter(patient=patient, kind="reassessment_overdue").exists()


def test_it_re_evaluates_the_patient_after_marking(
    alice: Any, patient: Patient, history: dict[str, Assessment], django_capture_on_commit_callbacks: Any
) -> None:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            mark(history["mistake"], alice)
    finally:
        celery_app.conf.task_always_eager = eager
    assert Flag.objects.filter(patient=patient, kind="reassessment_overdue").exists()


def test_it_keeps_the_suicide_flag_of_a_marked_assessment(
    alice: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    flagged = score(patient, 55, 9, item9=2)
    mark(flagged, alice)
    flag = Flag.objects.get(kind="suicide_risk")
    assert (flag.assessment_id, flag.status) == (flagged.id, "open")  # a clinician resolves it


def test_it_leaves_the_marked_score_out_of_the_outcomes(
    alice: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    before = outcomes.outcomes(alice, TODAY)
    mark(history["mistake"], alice)
    after = outcomes.outcomes(alice, TODAY)
    # The mistaken 3 on day 50 made a remission out of a baseline of 20; without it nothing is evaluable.
    assert sum(r.remitted for r in before.by_modality) == 1
    assert sum(r.evaluable for r in after.by_modality) == 0


def test_it_leaves_the_marked_score_out_of_the_engine_inputs(
    alice: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    mark(history["mistake"], alice)
    facts = selectors.active_phase_facts(services.active_phases().filter(patient=patient), TODAY)
    ids = [p.assessment_id for p in selectors.score_points(facts)[patient.id]]
    assert ids == [history["baseline"].id]


# --- the patient page ---------------------------------------------------------------------------------------------


def test_it_marks_from_the_patient_page_and_strikes_the_row_through(
    alice_client: Client, patient: Patient, history: dict[str, Assessment]
) -> None:
    a = history["mistake"]
    response = alice_client.post(
        f"/patients/{patient.id}/assessments/{a.id}/entered-in-error/", {f"eie-{a.id}-reason": "Wrong patient."}
    )
    assert response.status_code == 302
    page = alice_client.get(f"/patients/{patient.id}/").content.decode()
    assert 'class="entered-in-error"' in page
    assert "Wrong patient." in page
    assert Assessment.objects.get(pk=a.pk).entered_in_error_by is not None
    chart = alice_client.get(f"/patients/{patient.id}/").context["instruments"][0]["figure"]
    drawn = [y for trace in chart["data"] for y in (trace.get("y") or []) if isinstance(y, int | float)]
    assert 3 not in drawn  # the chart leaves it out


def test_it_asks_for_a_reason_on_the_patient_page(
    alice_client: Client, patient: Patient, history: dict[str, Assessment]
) -> None:
    a = history["mistake"]
    response = alice_client.post(f"/patients/{patient.id}/assessments/{a.id}/entered-in-error/", {})
    assert response.status_code == 400
    assert "Say why this assessment was entered in error." in response.content.decode()
    assert Assessment.objects.get(pk=a.pk).entered_in_error_at is None


def test_it_answers_404_on_the_page_off_the_care_team(
    bob: Any, patient: Patient, history: dict[str, Assessment]
) -> None:
    browser = Client()
    browser.force_login(bob)
    a = history["mistake"]
    response = browser.post(
        f"/patients/{patient.id}/assessments/{a.id}/entered-in-error/", {f"eie-{a.id}-reason": "x"}
    )
    assert response.status_code == 404
    assert Assessment.objects.get(pk=a.pk).entered_in_error_at is None
