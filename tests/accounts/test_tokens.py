"""API tokens (django-rest-knox): hashed, expiring (MBC_API_TOKEN_DAYS), revoked on a new password or deactivation."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import NOW, PASSWORD

PATIENTS = "/api/v1/patients/"


def new_token(username: str = "alice", password: str = PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_it_answers_a_token_and_its_expiry(alice, frozen, settings):
    body = new_token()

    assert set(body) == {"token", "expiry"}
    assert parse_datetime(body["expiry"]) == NOW.astimezone(UTC) + timedelta(days=settings.MBC_API_TOKEN_DAYS)
    assert with_token(body["token"]).get(PATIENTS).status_code == 200


def test_it_stores_only_a_hash_of_the_token(alice):
    token = new_token()["token"]

    stored = AuthToken.objects.get(user=alice)
    assert token not in (stored.digest, stored.token_key)
    assert not AuthToken.objects.filter(digest__contains=token).exists()


def test_it_refuses_a_token_after_its_expiry(alice, settings):
    with time_machine.travel(NOW, tick=False) as traveller:
        token = new_token()["token"]
        traveller.shift(timedelta(days=settings.MBC_API_TOKEN_DAYS) - timedelta(minutes=1))
        assert with_token(token).get(PATIENTS).status_code == 200
        traveller.shift(timedelta(minutes=2))

        assert with_token(token).get(PATIENTS).status_code == 401


def test_it_revokes_the_tokens_on_a_password_change_page(alice):
    token = new_token()["token"]
    page = Client()
    page.force_login(alice)

    page.post("/accounts/password_change/", {"old_password": PASSWORD, "new_password1": "a-brand-new-secret-9",
                                             "new_password2": "a-brand-new-secret-9"})

    assert with_token(token).get(PATIENTS).status_code == 401
    assert not AuthToken.objects.filter(user=alice).exists()


def test_it_revokes_the_tokens_on_a_password_reset(alice, client):
    import re

    token = new_token()["token"]
    client.post("/accounts/password_reset/", {"email": "alice@clinic.test"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "a-brand-new-secret-9",
                                             "new_password2": "a-brand-new-secret-9"})

    assert with_token(token).get(PATIENTS).status_code == 401


def test_it_revokes_the_tokens_on_set_password_anywhere(alice):
    token = new_token()["token"]
    alice.set_password("set-by-a-script-or-the-admin-7")
    alice.save()

    assert with_token(token).get(PATIENTS).status_code == 401


def test_it_revokes_the_tokens_on_deactivation(alice):
    token = new_token()["token"]
    alice.is_active = False
    alice.save()
    alice.is_active = True
    alice.save()

    assert with_token(token).get(PATIENTS).status_code == 401


def test_it_keeps_the_tokens_when_only_the_last_sign_in_changes(alice):
    token = new_token()["token"]
    Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    user = get_user_model().objects.get(pk=alice.pk)
    user.first_name = "Alice"
    user.save()

    assert with_token(token).get(PATIENTS).status_code == 200


def test_it_keeps_another_users_tokens(alice, bob):
    bobs = new_token("bob")["token"]
    alice.set_password("set-by-a-script-or-the-admin-7")
    alice.save()

    assert with_token(bobs).get(PATIENTS).status_code == 200


@pytest.mark.parametrize("header", ["Bearer {}", "Token", "Token {}x"])
def test_it_refuses_a_malformed_authorization_header(alice, header):
    token = new_token()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(token))

    assert client.get(PATIENTS).status_code == 401
