"""Passwords hashed with Argon2; a session ends after MBC_SESSION_IDLE_MINUTES without a request."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client

from mbc import settings as mbc_settings
from tests.conftest import NOW, PASSWORD, make_clinician


def test_it_hashes_a_new_password_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = mbc_settings.PASSWORD_HASHERS  # the suite's fast MD5 is not what production runs

    user = make_clinician("dora")

    assert user.password.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, user.password)


def test_it_upgrades_an_older_hash_at_the_next_sign_in(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = make_clinician("dora")
    assert user.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = mbc_settings.PASSWORD_HASHERS

    Client().post("/accounts/login/", {"username": "dora", "password": PASSWORD})

    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_it_keeps_a_session_alive_while_it_is_used(alice, settings):
    client = Client()
    with time_machine.travel(NOW, tick=False) as traveller:
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        for _ in range(4):  # 4 x 25 minutes of use: longer than the idle limit in all, never idle for that long
            traveller.shift(timedelta(minutes=settings.MBC_SESSION_IDLE_MINUTES - 5))
            assert client.get("/").status_code == 200


def test_it_ends_a_session_left_idle(alice, settings):
    client = Client()
    with time_machine.travel(NOW, tick=False) as traveller:
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=settings.MBC_SESSION_IDLE_MINUTES + 1))

        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
