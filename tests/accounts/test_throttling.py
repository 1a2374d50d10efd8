"""Throttles count per client address, the client's own X-Forwarded-For ignored unless MBC_TRUSTED_PROXIES says."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.throttling import client_address
from reassessment.services import issue_link


@pytest.fixture
def rates(monkeypatch):
    """Lower one scope's rate; DRF reads the rates table into the throttle class once, at import."""

    def lower(**scopes: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", SimpleRateThrottle.THROTTLE_RATES | scopes)

    return lower


def proxies(settings, count: int) -> None:
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"NUM_PROXIES": count}


def rotating(n: int) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n % 250}, 203.0.113.{n % 250}", "REMOTE_ADDR": "10.0.0.9"}


@pytest.fixture
def token(patient) -> str:
    return issue_link(patient=patient)[1]


def test_it_throttles_the_token_endpoint_whatever_x_forwarded_for_says(rates, db):
    rates(token="5/hour")
    client = APIClient()

    statuses = [client.post("/api/v1/auth/token/", {"username": f"guess-{n}", "password": "y"}, format="json",
                            **rotating(n)).status_code for n in range(12)]

    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429] * 7


def test_it_throttles_the_self_report_api_whatever_x_forwarded_for_says(rates, db):
    rates(self_report="5/hour")
    client = APIClient()

    statuses = [client.post(f"/api/v1/self-report/guess-{n}/", {"items": [0] * 9}, format="json",
                            **rotating(n)).status_code for n in range(12)]

    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429] * 7


@pytest.mark.parametrize("page", ["", "done/", "options/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_throttles_the_self_report_pages_whatever_x_forwarded_for_says(rates, db, method, page):
    # Every page under /r/<token>/ answers whether a token exists, so every one counts against the guesser.
    rates(self_report_page="5/hour")
    client = Client()

    responses = [getattr(client, method)(f"/r/guess-{n}/{page}", **rotating(n)) for n in range(12)]

    assert [r.status_code for r in responses[:5]] == [404] * 5
    assert [r.status_code for r in responses[5:]] == [429] * 7
    assert "Too many tries from here" in responses[-1].content.decode()
    assert int(responses[-1]["Retry-After"]) > 0


def test_it_throttles_a_valid_link_too(rates, token):
    rates(self_report_page="3/hour")
    client = Client()

    statuses = [client.get(f"/r/{token}/", REMOTE_ADDR="10.0.0.9").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_it_counts_each_address_separately(rates, db):
    rates(self_report_page="2/hour")
    client = Client()
    for _ in range(2):
        client.get("/r/guess/", REMOTE_ADDR="10.0.0.1")

    assert client.get("/r/guess/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/r/guess/", REMOTE_ADDR="10.0.0.2").status_code == 404


def test_it_trusts_the_forwarded_address_only_as_far_as_the_trusted_proxies(rates, db, settings):
    # Behind one proxy (MBC_TRUSTED_PROXIES=1) the proxy's own entry, the last one, is the client; what the client
    # wrote before it is still ignored.
    proxies(settings, 1)
    rates(self_report_page="2/hour")
    client = Client()
    for n in range(2):
        client.get("/r/guess/", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 192.0.2.7", REMOTE_ADDR="10.0.0.9")

    assert client.get("/r/guess/", HTTP_X_FORWARDED_FOR="1.1.1.9, 192.0.2.7", REMOTE_ADDR="10.0.0.9"
                      ).status_code == 429
    assert client.get("/r/guess/", HTTP_X_FORWARDED_FOR="192.0.2.8", REMOTE_ADDR="10.0.0.9").status_code == 404


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [(0, "203.0.113.5", "10.0.0.9"), (0, None, "10.0.0.9"), (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
     (2, "6.6.6.6, 203.0.113.5, 192.0.2.1", "203.0.113.5"), (1, None, "10.0.0.9")],
)
def test_it_reads_the_client_address_for_axes_as_the_throttles_do(settings, trusted, forwarded, expected):
    proxies(settings, trusted)
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "10.0.0.9"
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_address(request) == expected
