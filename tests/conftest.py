"""Shared fixtures: personas (alice on the care team, bob off it), API clients, frozen clinic time, real services."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from patients.models import Patient, Role
from patients.services import create_clinician, create_patient

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a-long-test-password-42"
# A Thursday, mid-morning, clinic-local; every test that needs "now" freezes it here or injects its own.
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))
TODAY = NOW.date()


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("CI=true: the tests must run on PostgreSQL; set DATABASE_URL=postgres://...")
    # Unit tests never talk to a broker; the tests marked `services` point Celery at real Redis themselves.
    from mbc.celery import app

    app.conf.broker_url = "memory://localhost/"
    # One test process: a local-memory cache keeps the throttle counters without a database for the tests that
    # need none. The deployed choice (Redis, else the database table) is tested in tests/test_settings.py.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def service_url(name: str, default: str) -> str:
    return os.environ.get(name, default)


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def require(condition: bool, what: str) -> None:
    """Under CI a missing service fails the test; on a laptop it skips with the reason."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {what}")
    pytest.skip(what)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 takes ~0.2 s per clinician; the tests are about mbc, not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")


def phi_in(message: Any) -> list[str]:
    """What a sent email must not carry (DESIGN 3b): any patient's name, record number or diagnosis, and any email
    address but the recipient's. Scores are checked by the flows' own tests, which know which numbers are scores."""
    from django.contrib.auth import get_user_model

    text = f"{message.subject}\n{message.body}"
    found = [f"address {a}" for a in EMAIL_ADDRESS.findall(text) if a not in message.to]
    for name, external_id, diagnosis in Patient.objects.values_list("display_name", "external_id", "diagnosis"):
        for what, value in (("name", name), ("record number", external_id), ("diagnosis", diagnosis)):
            if value and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE):
                found.append(f"{what} {value!r}")
    for address in get_user_model().objects.exclude(email="").values_list("email", flat=True):
        if address not in message.to and address.lower() in text.lower():
            found.append(f"address {address}")
    return found


@pytest.fixture(autouse=True)
def _no_phi_in_outgoing_email(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every email any test sends is scanned as it is sent (while the test's database is still there)."""
    from django.core.mail.backends import locmem

    leaks: list[str] = []
    send = locmem.EmailBackend.send_messages

    def scanning(backend: Any, messages: Any) -> int:
        for message in messages:
            leaks.extend(f"{message.subject!r} to {message.to}: {leak}" for leak in phi_in(message))
        return send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", scanning)
    yield
    assert not leaks, "an outgoing email carries patient data: " + "; ".join(leaks)


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_clinician(username: str, role: str = Role.THERAPIST) -> Any:
    return create_clinician(username=username, email=f"{username}@clinic.test", role=role, password=PASSWORD)


@pytest.fixture
def alice(db: None) -> Any:
    return make_clinician("alice", Role.PRESCRIBER)


@pytest.fixture
def bob(db: None) -> Any:
    return make_clinician("bob", Role.THERAPIST)


@pytest.fixture
def charlie(db: None) -> Any:
    return make_clinician("charlie", Role.CARE_MANAGER)


def make_patient(by: Any, external_id: str = "MRN-1", **kwargs: Any) -> Patient:
    values: dict[str, Any] = {"display_name": f"Patient {external_id}", "birth_date": date(1980, 5, 17)}
    values.update(kwargs)
    return create_patient(created_by=by, external_id=external_id, **values)


@pytest.fixture
def patient(alice: Any) -> Patient:
    return make_patient(alice, email="pat@example.test")


def phq9_items(total: int, *, item9: int = 0) -> list[int]:
    """PHQ-9 answers adding up to `total` (items 1-8 filled in order), with the suicide item (9) answered `item9`."""
    rest = total - item9
    assert 0 <= rest <= 24, "items 1-8 hold at most 24 points"
    return [*(min(3, max(0, rest - 3 * i)) for i in range(8)), item9]


def hamd17_items(total: int, *, item3: int = 0) -> list[int]:
    """HAM-D 17 answers adding up to `total` (other items filled in order), with the suicide item (3) at `item3`."""
    tops = [4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2]
    items = [0] * 17
    items[2] = item3
    rest = total - item3
    for i, top in enumerate(tops):
        if i == 2:
            continue
        items[i] = min(top, rest)
        rest -= items[i]
    assert rest == 0, "HAM-D 17 holds at most 52 points"
    return items


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alice_api(alice: Any) -> APIClient:
    return client_for(alice)


@pytest.fixture
def bob_api(bob: Any) -> APIClient:
    return client_for(bob)
