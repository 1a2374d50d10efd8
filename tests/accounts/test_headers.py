"""Every response carries the Content-Security-Policy (the site itself only) and `Cache-Control: no-store`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from reassessment.models import Flag
from reassessment.services import change_phase, issue_link, submit_assessment
from tests.test_access import routes

# Every route of the project, its parameters filled in below; the walk grows with the URL map. The admin's
# per-object routes are left out (one changelist per model is in, and they share one view class).
ROUTES = sorted({route for route, _ in routes() if "<path:object_id>" not in route})


@pytest.fixture
def world(alice: Any, patient: Any, frozen: Any) -> dict[str, str]:
    from datetime import date

    change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=date(2026, 1, 5))
    submit_assessment(patient=patient, instrument="phq9", items=[2] * 9, administered_at="2026-01-04",
                      source="clinician", entered_by=alice)
    return {
        "<int:patient_id>": str(patient.id),
        "<int:flag_id>": str(Flag.objects.get(patient=patient).id),
        "<str:instrument>": "phq9",
        "<str:token>": issue_link(patient=patient)[1],
        "<uidb64>": "MQ",
        "<token>": "set-password",
    }


def fill(route: str, values: dict[str, str]) -> str:
    url = "/" + route
    for name, value in values.items():
        url = url.replace(name, value)
    return re.sub(r"\^|\$|\\Z", "", url)


def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_headers(response: Any, url: str) -> None:
    assert "Content-Security-Policy" in response, url
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval', nothing elsewhere
    assert policy["frame-ancestors"] == ["'none'"], url
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"], url  # plotly.js's run-time styles (settings.py)
    assert policy["img-src"] == ["'self'", "data:"], url  # Swagger UI's icons
    others = [s for name, sources in policy.items() if name != "img-src" for s in sources]
    assert all(source.startswith("'") for source in others), url  # no host, no scheme: the site itself only
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, url


@pytest.mark.parametrize("route", ROUTES)
def test_it_sends_the_headers_on_every_route_signed_in(route, world, alice):
    client = Client()
    client.force_login(alice)
    url = fill(route, world)

    response = client.get(url)

    if url != "/health/":  # a failing health check answers 500 by design (here: no sweep has run)
        assert response.status_code < 500, url
    check_headers(response, url)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password_reset/", "/", "/r/not-a-token/",
                                 "/api/v1/patients/", "/api/docs/", "/admin/login/"])
def test_it_sends_the_headers_signed_out(url, db):
    check_headers(Client().get(url), url)


def test_it_sends_the_headers_on_api_answers_with_patient_data(alice_api, patient):
    response = alice_api.get(f"/api/v1/patients/{patient.id}/")

    assert response.status_code == 200
    check_headers(response, "api")


def test_it_lets_static_files_be_cached(client, db):
    response = client.get("/static/frontend/mbc.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_it_serves_the_api_docs_with_no_inline_script(client, db):
    page = client.get("/api/docs/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
