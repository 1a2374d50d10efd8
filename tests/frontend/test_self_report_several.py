"""Several self-rated instruments on one link (PHQ-9 and GAD-7 on one visit) when the clinician asks: one page, one
submission of all of them (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from instruments.models import Assessment
from patients.models import Patient
from reassessment.models import Flag, SelfReportLink
from reassessment.services import issue_link
from tests.conftest import make_patient


@pytest.fixture
def both(alice: Any, frozen: Any) -> Patient:
    return make_patient(alice, "MRN-2", link_instruments=["phq9", "gad7"])


@pytest.fixture
def token(both: Patient) -> str:
    return issue_link(patient=both)[1]


def answers(phq: list[int], gad: list[int], client_id: str = "two-1") -> dict[str, str]:
    data = {f"phq9-item_{n}": str(v) for n, v in enumerate(phq, start=1)}
    data |= {f"gad7-item_{n}": str(v) for n, v in enumerate(gad, start=1)}
    data["phq9-client_id"] = client_id
    return data


def test_it_issues_a_link_carrying_the_chosen_instruments_in_order(both, token):
    link = SelfReportLink.objects.get()

    assert (link.instruments, link.instrument) == (["phq9", "gad7"], "phq9")


def test_it_asks_both_questionnaires_on_one_page(token):
    html = Client().get(f"/r/{token}/").content.decode()

    assert "Part 1 of 2: PHQ-9" in html
    assert "Part 2 of 2: GAD-7" in html
    assert "1. Little interest or pleasure in doing things" in html
    assert "1. Feeling nervous, anxious, or on edge" in html
    assert html.count('type="radio"') == (9 + 7) * 4 + 4 + 4  # and each one's optional difficulty question
    assert "16 questions" in html
    assert "of 16 answered" in html


def test_it_saves_both_in_one_submission(both, token):
    r = Client().post(f"/r/{token}/", answers([1] * 9, [2] * 7))

    assert r.status_code == 302
    saved = {a.instrument: a for a in Assessment.objects.filter(patient=both)}
    assert (saved["phq9"].total, saved["gad7"].total, saved["gad7"].severity) == (9, 14, "moderate")
    assert saved["phq9"].administered_at == saved["gad7"].administered_at
    assert {a.source for a in saved.values()} == {"self_report"}
    assert set(SelfReportLink.objects.get().assessments.values_list("instrument", flat=True)) == {"phq9", "gad7"}


def test_it_takes_one_submission_of_all_the_instruments(both, token):
    client = Client()
    client.post(f"/r/{token}/", answers([1] * 9, [2] * 7))

    r = client.post(f"/r/{token}/", answers([3] * 9, [3] * 7, client_id="two-2"))

    assert r.status_code == 409
    assert Assessment.objects.filter(patient=both).count() == 2


def test_it_saves_neither_when_one_questionnaire_is_incomplete(both, token):
    data = answers([1] * 9, [2] * 7)
    del data["gad7-item_3"]

    r = Client().post(f"/r/{token}/", data)

    html = r.content.decode()
    assert r.status_code == 400
    assert "GAD-7, question 3: choose an answer." in html
    assert not Assessment.objects.exists()
    assert SelfReportLink.objects.get().submitted_at is None


def test_it_flags_the_phq9_suicide_item_answered_beside_the_gad7(both, token):
    Client().post(f"/r/{token}/", answers([0] * 8 + [2], [0] * 7), follow=True)

    assert Flag.objects.get(kind="suicide_risk").assessment.instrument == "phq9"


def test_it_asks_both_in_spanish(alice, frozen):
    patient = make_patient(alice, "MRN-3", language="es", link_instruments=["gad7", "phq9"])
    token = issue_link(patient=patient)[1]

    html = Client().get(f"/r/{token}/").content.decode()

    assert "Parte 1 de 2: GAD-7" in html
    assert "1. Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta" in html
    assert "1. Poco interés o placer en hacer cosas" in html


def test_it_takes_both_through_the_api(both, token):
    body = {"answers": [{"instrument": "gad7", "items": [1] * 7}, {"instrument": "phq9", "items": [0] * 9}]}

    r = Client().post(f"/api/v1/self-report/{token}/", body, content_type="application/json")

    assert r.status_code == 201, r.content
    assert sorted(a["instrument"] for a in r.json()["assessments"]) == ["gad7", "phq9"]
    assert Assessment.objects.filter(patient=both).count() == 2


@pytest.mark.parametrize(
    "body",
    [{"items": [0] * 9}, {"answers": [{"instrument": "phq9", "items": [0] * 9}]},
     {"answers": [{"instrument": "phq9", "items": [0] * 9}, {"instrument": "hamd17", "items": [0] * 17}]}],
)
def test_it_refuses_answers_that_are_not_the_links_instruments_through_the_api(both, token, body):
    r = Client().post(f"/api/v1/self-report/{token}/", body, content_type="application/json")

    assert r.status_code == 400, r.content
    assert not Assessment.objects.exists()


def test_it_lets_the_clinician_choose_the_links_questionnaires_and_language_on_the_patient_page(alice, frozen):
    patient = make_patient(alice, "MRN-4")
    client = Client()
    client.force_login(alice)
    page = client.get(f"/patients/{patient.id}/").content.decode()
    assert 'name="record-link_instruments" value="gad7"' in page
    assert 'name="record-link_instruments" value="hamd17"' not in page  # never a clinician-rated one

    r = client.post(
        f"/patients/{patient.id}/record/",
        {"record-diagnosis": "F41.1", "record-prior_episodes": "", "record-episode_onset": "",
         "record-preference": "none", "record-language": "es", "record-link_instruments": ["phq9", "gad7"]},
    )

    assert r.status_code == 302
    patient.refresh_from_db()
    assert (patient.language, patient.link_instruments) == ("es", ["phq9", "gad7"])
    link, _ = issue_link(patient=patient)
    assert link.instruments == ["phq9", "gad7"]
