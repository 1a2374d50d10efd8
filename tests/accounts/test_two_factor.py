"""Two-factor sign-in (django-otp TOTP): set up on a page, asked at sign-in, forced by MBC_REQUIRE_2FA, API too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

SETUP, VERIFY = "/accounts/2fa/setup/", "/accounts/2fa/verify/"


def code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def sign_in(username: str = "alice") -> tuple[Client, Any]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD, "next": "/"})
    return client, response


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def alice_device(alice: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=alice, name="Authenticator", confirmed=True)


def test_it_sets_up_a_device_on_a_page(alice_client, alice):
    page = alice_client.get(SETUP)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, drawn inline (no image from elsewhere)
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed

    response = alice_client.post(SETUP, {"code": code(device), "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert alice_client.get("/").status_code == 200


def test_it_refuses_a_wrong_code_at_setup(alice_client, alice):
    alice_client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)

    response = alice_client.post(SETUP, {"code": f"{(int(code(device)) + 1) % 1000000:06d}"})

    assert response.status_code == 400
    assert "That code is wrong or expired" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_it_asks_for_the_code_at_sign_in_once_a_device_is_set_up(alice_device):
    client, response = sign_in()
    assert response["Location"] == "/"

    caseload = client.get("/")

    assert caseload.status_code == 302
    assert caseload["Location"] == f"{VERIFY}?next=%2F"
    assert client.get("/outcomes/")["Location"].startswith(VERIFY)


def test_it_lets_the_user_in_with_the_right_code(alice_device):
    client, _ = sign_in()

    response = client.post(VERIFY, {"code": code(alice_device), "next": "/outcomes/"})

    assert response["Location"] == "/outcomes/"
    assert client.get("/outcomes/").status_code == 200


def test_it_refuses_a_wrong_code_at_sign_in(alice_device):
    client, _ = sign_in()

    response = client.post(VERIFY, {"code": "000000" if code(alice_device) != "000000" else "111111"})

    assert response.status_code == 400
    assert client.get("/")["Location"].startswith(VERIFY)


def test_it_never_redirects_to_another_site_after_the_code(alice_device):
    client, _ = sign_in()

    response = client.post(VERIFY, {"code": code(alice_device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_it_keeps_patient_data_from_an_unverified_session_on_the_api(alice_device, patient):
    client, _ = sign_in()

    response = client.get("/api/v1/patients/")

    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]


@pytest.fixture
def required(settings: Any) -> None:
    settings.MBC_REQUIRE_2FA = True


def test_it_sends_a_user_without_a_device_to_set_one_up_when_required(required, alice):
    client, _ = sign_in()

    for url in ("/", "/outcomes/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{SETUP}?next="), url


def test_it_lets_a_user_without_a_device_in_when_not_required(alice):
    client, _ = sign_in()

    assert client.get("/").status_code == 200


def test_it_asks_the_admin_sign_in_for_the_code_too(alice_device, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client = Client()
    client.post("/admin/login/", {"username": "alice", "password": PASSWORD, "next": "/admin/"})

    response = client.get("/admin/")

    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    client.post(VERIFY, {"code": code(alice_device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def token(body: dict[str, str]) -> Any:
    return APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD} | body, format="json")


def test_it_asks_the_token_endpoint_for_the_code_when_the_user_has_a_device(alice_device):
    missing, wrong = token({}), token({"otp": "abcdef"})

    assert missing.status_code == 400
    assert "required" in missing.json()["otp"][0]
    assert wrong.status_code == 400
    assert "wrong or expired" in wrong.json()["otp"][0]


def test_it_issues_a_token_with_the_right_code(alice_device):
    right = token({"otp": code(alice_device)})

    assert right.status_code == 200
    assert set(right.json()) == {"token", "expiry"}


def test_it_slows_down_code_guessing_after_a_wrong_code(alice_device):
    # django-otp's throttle: after a wrong code, even the right one is refused for a growing delay.
    token({"otp": "abcdef"})

    assert token({"otp": code(alice_device)}).status_code == 400


def test_it_refuses_a_token_to_a_user_without_a_device_when_required(required, alice):
    response = token({"otp": "123456"})

    assert response.status_code == 400
    assert "Set up two-factor sign-in" in response.json()["otp"][0]


def test_it_issues_a_token_without_a_code_when_not_required_and_no_device(alice):
    assert token({}).status_code == 200
