"""The patient's self-report page at /r/<token>/: no login, the real PHQ-9 wording, one submit, a safe confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from instruments.definitions import PHQ9
from instruments.models import Assessment
from patients.models import AuditEvent
from reassessment.models import Flag, SelfReportLink
from reassessment.services import issue_link
from tests.conftest import make_patient


@pytest.fixture
def token(patient, frozen) -> str:
    return issue_link(patient=patient)[1]


def answers(*values: int, client_id: str = "page-1") -> dict[str, str]:
    data = {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}
    data["client_id"] = client_id
    return data


def test_it_shows_the_phq9_with_its_real_wording(client, patient, token):
    response = client.get(f"/r/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert PHQ9.instructions in page
    for item in PHQ9.items:
        assert f"{item.number}. {item.text}" in page
    for anchor in PHQ9.items[0].anchors:
        assert f'<span class="choice-label">{anchor}</span>' in page
    assert page.count('type="radio"') == 9 * 4 + 4  # and the optional difficulty question
    assert '<label class="choice" for="id_item_9_3">' in page
    assert 'type="hidden" name="client_id"' in page


def test_it_reveals_nothing_about_the_patient(client, patient, token):
    page = client.get(f"/r/{token}/").content.decode()
    assert patient.display_name not in page
    assert patient.external_id not in page


def test_it_gives_each_render_its_own_client_id(client, token):
    first, second = (client.get(f"/r/{token}/").context["form"]["client_id"].value() for _ in range(2))
    assert first
    assert second
    assert first != second


@pytest.mark.parametrize("kind", ["unknown", "expired", "inactive_patient"])
def test_it_shows_a_friendly_page_for_a_dead_link(client, patient, token, kind):
    if kind == "unknown":
        token = "x" * 43
    elif kind == "expired":
        SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        type(patient).objects.filter(pk=patient.pk).update(active=False)
    for response in (client.get(f"/r/{token}/"), client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 0))):
        page = response.content.decode()
        assert response.status_code == 404
        assert "This link isn" in page
        assert "contact the clinic" in page
        assert patient.display_name not in page
        assert patient.external_id not in page
    assert not Assessment.objects.exists()


def test_it_saves_a_self_report_and_confirms(client, patient, token):
    response = client.post(f"/r/{token}/", answers(1, 1, 2, 1, 1, 0, 1, 0, 0))
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/done/"
    assessment = Assessment.objects.get()
    assert (assessment.patient, assessment.source, assessment.total, assessment.entered_by) == (
        patient, "self_report", 7, None)
    page = client.get(response["Location"]).content.decode()
    assert "Thank you" in page
    assert settings.MBC_CRISIS_MESSAGE not in page
    assert not Flag.objects.exists()


def test_it_saves_the_optional_difficulty_answer(client, token):
    client.post(f"/r/{token}/", {**answers(1, 1, 1, 1, 1, 1, 1, 1, 0), "difficulty": "2"})
    assert Assessment.objects.get().difficulty == 2


def test_it_shows_crisis_resources_and_flags_a_positive_item_9(client, alice, patient, token):
    response = client.post(f"/r/{token}/", answers(2, 2, 1, 1, 1, 1, 0, 0, 1), follow=True)
    page = response.content.decode()
    assert settings.MBC_CRISIS_MESSAGE in page
    assert "Please reach out now" in page
    flag = Flag.objects.get()
    assert (flag.patient, flag.kind, flag.severity, flag.status) == (patient, "suicide_risk", "urgent", "open")
    caseload = Client()
    caseload.force_login(alice)
    assert "Suicide risk: a safety assessment is needed now" in caseload.get("/").content.decode()


def test_it_saves_a_double_submit_once(client, token):
    first = client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 1))
    second = client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 1))
    assert first["Location"] == second["Location"]
    assert Assessment.objects.count() == 1
    assert Flag.objects.count() == 1
    assert settings.MBC_CRISIS_MESSAGE in client.get(second["Location"]).content.decode()


def test_it_asks_again_for_missing_answers_and_saves_nothing(client, token):
    data = answers(1, 1, 1, 1, 1, 1, 1, 1, 0)
    del data["item_5"]
    response = client.post(f"/r/{token}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please answer every question" in page
    assert "Choose an answer." in page
    assert re.search(r'name="item_1" value="1"[^>]*checked', page)  # the answers given are kept
    assert not Assessment.objects.exists()


def test_it_sends_the_confirmation_url_back_to_the_form_without_a_submission(client, token):
    response = client.get(f"/r/{token}/done/")
    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/"


def test_it_records_the_opening_and_the_submission(client, patient, token):
    client.get(f"/r/{token}/")
    client.post(f"/r/{token}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 0))
    events = {(e.action, e.what, e.user_id, e.patient_id) for e in AuditEvent.objects.exclude(what="patient")}
    assert events == {("view", "self_report_form", None, patient.id), ("submit", "assessment", None, patient.id)}


def test_it_offers_phq9_to_a_patient_measured_by_hamd17(client, alice, frozen):
    patient = make_patient(alice, "MRN-H", primary_instrument="hamd17")
    token = issue_link(patient=patient)[1]
    page = client.get(f"/r/{token}/").content.decode()
    assert PHQ9.items[8].text in page
    assert "Hamilton" not in page


def test_it_keeps_the_link_out_of_referrers_and_caches(client, token):
    response = client.get(f"/r/{token}/")
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


# --- one submission per link (issue 13 item 1, DESIGN §2) -----------------------------------------------------------


@pytest.mark.parametrize(("item9", "crisis"), [(0, False), (2, True)])
def test_it_says_already_sent_when_a_used_link_is_opened_again(client, token, item9, crisis):
    client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, item9))

    response = Client().get(f"/r/{token}/")  # another browser: the link itself knows, not a session

    page = response.content.decode()
    assert response.status_code == 200
    assert "already sent" in page.lower()
    assert 'name="item_1"' not in page
    assert (settings.MBC_CRISIS_MESSAGE in page) is crisis
    assert ("Please reach out now" in page) is crisis


def test_it_refuses_a_second_submission_through_a_used_link(client, token):
    client.post(f"/r/{token}/", answers(2, 2, 2, 2, 2, 1, 0, 0, 2, client_id="page-1"))

    response = client.post(f"/r/{token}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 0, client_id="page-2"))

    page = response.content.decode()
    assert response.status_code == 409
    assert "Already sent, thank you" in page or "already sent to your care team, thank you" in page
    assert settings.MBC_CRISIS_MESSAGE in page  # the sent answers had item 9 = 2: the crisis text again
    assert list(Assessment.objects.values_list("total", flat=True)) == [13]
    assert Flag.objects.get().status == "open"  # the zeros never became the "latest"


def test_it_refuses_changed_answers_from_the_same_page_with_a_message(client, token):
    client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 0, client_id="page-1"))

    response = client.post(f"/r/{token}/", answers(3, 3, 3, 3, 3, 3, 3, 3, 0, client_id="page-1"))

    page = response.content.decode()
    assert response.status_code == 409
    assert "these changed answers were not saved" in page
    assert Assessment.objects.get().total == 8


def test_it_shows_the_thank_you_page_from_the_link_not_the_session(client, token):
    client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 1))
    page = Client().get(f"/r/{token}/done/").content.decode()
    assert "Thank you" in page
    assert settings.MBC_CRISIS_MESSAGE in page


def test_it_records_the_submission_on_the_link(client, token):
    client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 0, client_id="page-1"))
    link = SelfReportLink.objects.get()
    assert link.submitted_at is not None
    assert link.client_id == "page-1"
    assert list(link.assessments.all()) == list(Assessment.objects.all())


def test_it_says_already_sent_in_the_patients_language(client, alice, frozen, settings):
    patient = make_patient(alice, "MRN-ES", language="es")
    token = issue_link(patient=patient)[1]
    client.post(f"/r/{token}/", answers(1, 1, 1, 1, 1, 1, 1, 1, 1))
    page = Client().get(f"/r/{token}/").content.decode()
    assert "Sus respuestas ya se enviaron a su equipo de atención, gracias." in page
    assert settings.MBC_CRISIS_MESSAGE_ES in page
