"""Lockout (django-axes): a username+address is locked after repeated wrong passwords, on every sign-in door."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import NOW, PASSWORD

WRONG = "not-the-password-1"


def page_login(client: Client, password: str, username: str = "alice", path: str = "/accounts/login/") -> object:
    return client.post(path, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR="10.0.0.1")


def fail_until_locked(client: Client, path: str = "/accounts/login/") -> None:
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS):
        page_login(client, WRONG, path=path)


def test_it_locks_the_sign_in_page_after_the_failure_limit(client, alice):
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS - 1):
        assert page_login(client, WRONG).status_code == 200  # the form again, with its error

    locked = page_login(client, WRONG)

    assert locked.status_code == 429
    assert "Sign-in locked for now" in locked.content.decode()
    assert f"try again in {settings.MBC_LOCKOUT_MINUTES} minutes" in locked.content.decode()


def test_it_refuses_the_right_password_while_locked(client, alice):
    fail_until_locked(client)

    response = page_login(client, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_locks_the_pair_not_the_username_everywhere(client, alice):
    fail_until_locked(client)

    other_address = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD},
                                REMOTE_ADDR="10.0.0.2")

    assert other_address.status_code == 302


def test_it_lets_the_user_in_again_after_the_cool_off(client, alice):
    with time_machine.travel(NOW, tick=False) as traveller:
        fail_until_locked(client)
        traveller.shift(timedelta(minutes=settings.MBC_LOCKOUT_MINUTES + 1))

        assert page_login(client, PASSWORD).status_code == 302


def test_it_locks_the_admin_sign_in_too(client, alice):
    fail_until_locked(client, path="/admin/login/")

    response = page_login(client, PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert "Sign-in locked for now" in response.content.decode()


def test_it_locks_the_api_token_endpoint_with_a_json_message(alice):
    api = APIClient(REMOTE_ADDR="10.0.0.1")
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS - 1):
        response = api.post("/api/v1/auth/token/", {"username": "alice", "password": WRONG}, format="json")
        assert response.status_code == 400

    locked = api.post("/api/v1/auth/token/", {"username": "alice", "password": WRONG}, format="json")
    right = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")

    for response in (locked, right):
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert "Too many failed sign-ins" in response.json()["detail"]
        assert "token" not in response.json()


def test_it_counts_failures_across_the_pages_and_the_api(client, alice):
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS - 1):
        page_login(client, WRONG)

    response = APIClient(REMOTE_ADDR="10.0.0.1").post(
        "/api/v1/auth/token/", {"username": "alice", "password": WRONG}, format="json"
    )

    assert response.status_code == 429


def test_it_resets_the_count_after_a_successful_sign_in(client, alice):
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS - 1):
        page_login(client, WRONG)
    assert page_login(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    assert page_login(client, WRONG).status_code == 200


def test_it_lets_a_superuser_unlock_in_the_admin(client, alice, django_user_model):
    fail_until_locked(client)
    attempt = AccessAttempt.objects.get(username="alice")
    admin = django_user_model.objects.create_superuser("it-admin", "it@clinic.test", "it-admin-password-42")
    staff = Client()
    staff.force_login(admin)

    assert staff.get("/admin/axes/accessattempt/").status_code == 200
    staff.post(f"/admin/axes/accessattempt/{attempt.id}/delete/", {"post": "yes"})

    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert page_login(client, PASSWORD).status_code == 302


@pytest.mark.parametrize("door", ["/accounts/login/", "/admin/login/", "/api/v1/auth/token/"])
def test_it_keeps_the_lock_under_a_rotating_forwarded_for(alice, door):
    # The client's own X-Forwarded-For does not make it a new address (MBC_TRUSTED_PROXIES is 0).
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    statuses = []
    for n in range(settings.MBC_LOCKOUT_ATTEMPTS + 2):
        response = client.post(door, {"username": "alice", "password": WRONG},
                               format="json" if door.startswith("/api/") else None,
                               HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        statuses.append(response.status_code)

    assert statuses[-1] == 429
    assert statuses.count(429) >= 2


def test_it_resets_the_count_after_a_token_is_issued(alice):
    api = APIClient(REMOTE_ADDR="10.0.0.1")
    for _ in range(settings.MBC_LOCKOUT_ATTEMPTS - 1):
        api.post("/api/v1/auth/token/", {"username": "alice", "password": WRONG}, format="json")
    issued = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert issued.status_code == 200

    again = api.post("/api/v1/auth/token/", {"username": "alice", "password": WRONG}, format="json")

    assert again.status_code == 400
