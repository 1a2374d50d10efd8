"""No log line at any level carries a token, a reset link, an email address, a name or a record number."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.log_filters import redact
from reassessment import services as reassessment_services
from reassessment import tasks
from reassessment.models import SelfReportLink
from tests.conftest import PASSWORD, TODAY, make_patient, phq9_items


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the configured handlers write, every logger at DEBUG, for the length of the test."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler) and h.filters]
    assert handlers, "mbc's LOGGING has no filtered stream handler on the root logger"
    saved = [(h, h.stream) for h in handlers]
    loggers = [root, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = [(logger, logger.level) for logger in loggers]
    for handler in handlers:
        handler.setStream(stream)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield stream
    for handler, original in saved:
        handler.setStream(original)
    for logger, level in levels:
        logger.setLevel(level)


@pytest.fixture
def locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_it_logs_no_secret_and_no_identity_during_the_main_flows(log_output, locmem_email, alice, frozen):
    patient = make_patient(alice, "MRN-4471", display_name="Wilhelmina Quartermaine", email="w.q@patients.test")
    secrets: list[str] = ["MRN-4471", "Wilhelmina", "Quartermaine", "w.q@patients.test", "alice@clinic.test",
                          PASSWORD]

    # Sign in: a wrong password (axes logs it), the right one, the API token.
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong-password-1"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD},
                             format="json").json()["token"]
    secrets.append(token)
    client.get(f"/patients/{patient.id}/")

    # Password reset, through to the new password.
    anonymous = Client()
    anonymous.post("/accounts/password_reset/", {"email": "alice@clinic.test"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    secrets.append(link.split("/reset/")[1].rstrip("/"))
    form = anonymous.get(link, follow=True)
    secrets.append(form.redirect_chain[-1][0].split("/reset/")[1].split("/")[0])
    anonymous.post(form.redirect_chain[-1][0], {"new_password1": "a-brand-new-secret-9",
                                                 "new_password2": "a-brand-new-secret-9"})

    # Reminders: a phase due today, the sweep, then the sending task (as the worker runs it).
    reassessment_services.change_phase(patient=patient, by=alice, modality="psychotherapy", stage="acute",
                                       started_on=TODAY - timedelta(days=28))
    reassessment_services.submit_assessment(patient=patient, instrument="phq9", items=phq9_items(16),
                                            administered_at=TODAY - timedelta(days=28), source="clinician",
                                            entered_by=alice)
    reassessment_services.sweep(today=TODAY)  # in process, as run_reassessment does
    tasks.send_reminders.apply()
    reminder_links = [m.body for m in mail.outbox if "/r/" in m.body]
    assert reminder_links, "the reminder was not sent"
    secrets += re.findall(r"/r/([^/\s]+)/", " ".join(reminder_links))

    # A self-report: the page, a submission with the suicide item positive, the thank-you page, and the API.
    _, page_token = reassessment_services.issue_link(patient=patient, by=alice)
    _, api_token = reassessment_services.issue_link(patient=patient, by=alice)
    secrets += [page_token, api_token]
    patient_browser = Client()
    patient_browser.get(f"/r/{page_token}/")
    answers = {f"item_{n}": str(v) for n, v in enumerate(phq9_items(20, item9=2), start=1)}
    patient_browser.post(f"/r/{page_token}/", answers | {"client_id": "log-test-1"}, follow=True)
    APIClient().post(f"/api/v1/self-report/{api_token}/", {"items": phq9_items(5)}, format="json")

    # Guesses and dead links: 404s, which django.request logs as warnings.
    patient_browser.get("/r/a-guessed-token-0123456789/")
    patient_browser.post("/r/a-guessed-token-0123456789/", answers)
    APIClient().post("/api/v1/self-report/another-guess-987654/", {"items": [0] * 9}, format="json")
    secrets += ["a-guessed-token-0123456789", "another-guess-987654"]
    assert SelfReportLink.objects.count() >= 3

    written = log_output.getvalue()
    assert "Not Found: /r/[token]/" in written  # the 404 is logged, without its token
    leaked = [secret for secret in secrets if secret in written]
    assert leaked == [], written


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Not Found: /r/AbC-12_x/", "Not Found: /r/[token]/"),
        ("GET /r/AbC-12_x/done/ 200", "GET /r/[token]/done/ 200"),
        ("POST /api/v1/self-report/AbC-12_x/ 404", "POST /api/v1/self-report/[token]/ 404"),
        ("GET /accounts/reset/MQ/cz9xyz-abc123/ 302", "GET /accounts/reset/[reset-link]/ 302"),
        ("GET /accounts/reset/MQ/set-password/", "GET /accounts/reset/[reset-link]/"),
        ("GET /accounts/reset/done/ 200", "GET /accounts/reset/done/ 200"),
        ("sent to first.last+mbc@clinic.example.org today", "sent to [email] today"),
        ("patient 42 evaluated", "patient 42 evaluated"),
    ],
)
def test_it_redacts_the_secret_part_of_a_line(line, expected):
    assert redact(line) == expected


def test_it_redacts_the_arguments_and_the_traceback_of_a_record(log_output):
    try:
        raise ValueError("bad address x@y.test")
    except ValueError:
        logging.getLogger("mbc.test").exception("failed for %s at %s", "x@y.test", "/r/tok123/")

    written = log_output.getvalue()
    assert "x@y.test" not in written
    assert "tok123" not in written
    assert "failed for [email] at /r/[token]/" in written
    assert "ValueError: bad address [email]" in written


def test_it_keeps_the_filter_when_celery_sets_up_the_worker_logging():
    from mbc.celery import app

    app.log.already_setup = False
    app.log.setup_logging_subsystem(loglevel="INFO")

    root = logging.getLogger()
    assert [type(f).__name__ for h in root.handlers for f in h.filters] == ["RedactSecrets"]
