"""API errors are JSON, never an HTML page (issue 9 item 6): mbc/exceptions.py, mbc/parsers.py and the handlers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from instruments.models import Assessment
from mbc import urls as project_urls
from patients.models import Patient
from reassessment.services import issue_link

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"items": ' + "[" * 5000 + "]" * 5000 + "}"


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
@pytest.mark.parametrize("url", ["/api/v1/patients/", "/api/v1/assessments/"])
def test_it_answers_400_json_to_json_nested_5000_deep(alice_api: APIClient, frozen: Any, url: str, body: str) -> None:
    response = alice_api.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested too deeply" in response.json()["detail"]
    assert not Assessment.objects.exists()


def test_it_answers_400_json_to_deep_json_on_the_self_report_api(patient: Patient, frozen: Any) -> None:
    token = issue_link(patient=patient)[1]
    response = APIClient().post(f"/api/v1/self-report/{token}/", DEEP_OBJECT, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/api/v2/patients/", "/api/", "/api/v1/patients/x/"])
def test_it_answers_an_unknown_api_path_with_json(alice_api: APIClient, url: str) -> None:
    response = alice_api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_it_keeps_the_html_404_page_outside_the_api(alice: Any) -> None:
    browser = Client()
    browser.force_login(alice)
    response = browser.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


class Crash(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Any) -> Any:
        raise OverflowError("date value out of range")


urlpatterns = [path("api/v1/crash/", Crash.as_view()), path("crash/", Crash.as_view()), *project_urls.urlpatterns]
handler500 = project_urls.handler500
handler404 = project_urls.handler404


@pytest.mark.urls("tests.test_exceptions")
def test_it_answers_a_crash_under_the_api_with_json(db: None) -> None:
    response = Client(raise_request_exception=False).get("/api/v1/crash/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "date value" not in response.content.decode()  # no internals in the answer
    assert response.json()["detail"].startswith("Server error")


@pytest.mark.urls("tests.test_exceptions")
def test_it_answers_a_crash_outside_the_api_with_the_html_page(db: None) -> None:
    response = Client(raise_request_exception=False).get("/crash/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_it_answers_a_409_as_json_with_the_conflict(alice_api: APIClient, patient: Patient, frozen: Any) -> None:
    body = {"patient": patient.id, "instrument": "phq9", "items": [0] * 9, "administered_at": "2026-03-10",
            "client_id": "c-1"}
    alice_api.post("/api/v1/assessments/", body, format="json")
    response = alice_api.post("/api/v1/assessments/", body | {"items": [1] * 9}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["client_id"]
