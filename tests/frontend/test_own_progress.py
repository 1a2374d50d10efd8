"""After a check-in, the patient sees their own progress: their scores only, while the link lives, crisis text first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from patients.services import start_phase
from reassessment.models import SelfReportLink
from reassessment.services import issue_link, submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items


def answers(total: int, *, item9: int = 0) -> dict[str, str]:
    data = {f"item_{n}": str(v) for n, v in enumerate(phq9_items(total, item9=item9), start=1)}
    data["client_id"] = "progress-1"
    return data


@pytest.fixture
def treated(alice: Any, frozen: Any) -> Any:
    """In treatment for 60 days, from a baseline of 18."""
    patient = make_patient(alice, "MRN-T", email="t@example.test")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY - timedelta(60))
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(18),
                      administered_at=TODAY - timedelta(61), source="clinician", entered_by=alice)
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(15),
                      administered_at=TODAY - timedelta(30), source="clinician", entered_by=alice)
    return patient


def submitted(patient: Any, total: int, *, item9: int = 0) -> tuple[Client, str, str]:
    token = issue_link(patient=patient)[1]
    client = Client()
    response = client.post(f"/r/{token}/", answers(total, item9=item9))
    assert response.status_code == 302
    return client, token, client.get(response["Location"]).content.decode()


def test_it_shows_how_far_the_patient_has_come(treated: Any) -> None:
    page = submitted(treated, 11)[2]
    assert "Your score went from 18 to 11 since you started: that is 39% better." in page
    assert "<svg" in page
    assert page.count('<circle') == 3  # 18, 15 and today's 11
    assert "a lower score means fewer symptoms" in page


def test_it_says_so_plainly_when_the_score_is_higher(treated: Any) -> None:
    page = submitted(treated, 21)[2]
    assert "Your score went from 18 to 21 since you started: it is higher than it was." in page
    assert "better" not in page


def test_it_says_so_when_nothing_changed(treated: Any) -> None:
    assert "Your score is 18, the same as when you started." in submitted(treated, 18)[2]


def test_it_puts_the_crisis_text_first(treated: Any, settings: Any) -> None:
    page = submitted(treated, 14, item9=2)[2]
    assert page.index("Please reach out now") < page.index("Your progress")


def test_it_shows_only_this_patients_scores(treated: Any, alice: Any) -> None:
    other = make_patient(alice, "MRN-Other")
    start_phase(patient=other, by=alice, modality="medication", stage="acute", started_on=TODAY - timedelta(60))
    for days, total in ((61, 23), (20, 2), (1, 7)):
        submit_assessment(patient=other, instrument="phq9", items=phq9_items(total),
                          administered_at=TODAY - timedelta(days), source="clinician", entered_by=alice)
    page = submitted(treated, 11)[2]
    titles = page.split("<title")[2].split("</title>")[0]
    assert titles.endswith(": 18, 15, 11")
    for total in ("<strong>23</strong>", "<strong>2</strong>", "<strong>7</strong>"):
        assert total not in page


def test_it_shows_nothing_when_the_clinic_turned_it_off(treated: Any, settings: Any) -> None:
    settings.MBC_SHOW_PATIENT_PROGRESS = False
    page = submitted(treated, 11)[2]
    assert "Your progress" not in page
    assert "Thank you" in page


def test_it_shows_nothing_once_the_link_expired(treated: Any) -> None:
    client, token, _ = submitted(treated, 11)
    SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for url in (f"/r/{token}/done/", f"/r/{token}/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Your score" not in response.content.decode()


def test_it_shows_the_progress_again_on_the_reopened_link_while_it_lives(treated: Any) -> None:
    token = submitted(treated, 11)[1]
    page = Client().get(f"/r/{token}/").content.decode()  # another visit, without the first one's session
    assert "Already sent, thank you" in page
    assert "Your score went from 18 to 11 since you started: that is 39% better." in page


def test_it_speaks_the_patients_language(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-ES", language="es")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=TODAY - timedelta(60))
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(18),
                      administered_at=TODAY - timedelta(61), source="clinician", entered_by=alice)
    page = submitted(patient, 11)[2]
    assert "Su evolución" in page
    assert "Su puntuación pasó de 18 a 11 desde que empezó: es un 39% mejor." in page
    assert "Your score" not in page
