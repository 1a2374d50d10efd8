"""bin/run's first start and the README around it: one account message, and how to reach the admin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def test_it_says_created_clinician_once_on_the_first_start(db, frozen, monkeypatch):
    """bin/run pipes the demo password into seed_demo, which makes the account only when it is missing."""
    assert "seed_demo --username demo --password-stdin" in (ROOT / "bin" / "run").read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    first = io.StringIO()
    call_command("seed_demo", "--username", "demo", "--password-stdin", stdout=first)
    assert first.getvalue().count("Created clinician demo") == 1
    assert "Using the existing account" not in first.getvalue()

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    again = io.StringIO()
    call_command("seed_demo", "--username", "demo", "--password-stdin", stdout=again)
    assert "Created clinician" not in again.getvalue()
    assert "Using the existing account" not in again.getvalue()


@pytest.mark.parametrize("path", ["README.md", "bin/run"])
def test_it_tells_how_to_make_a_staff_account(path):
    assert "manage.py createsuperuser" in (ROOT / path).read_text()


def test_it_opens_the_admin_to_the_account_createsuperuser_makes(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", "--username", "it", "--email", "it@clinic.test", stdout=io.StringIO())
    client = Client()
    # axes watches every sign-in, so authenticate() needs the request, as Django's own views pass it.
    assert client.login(request=HttpRequest(), username="it", password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert get_user_model().objects.get(username="it").is_staff
