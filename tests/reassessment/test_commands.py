"""manage.py run_reassessment: the daily sweep run by hand or from cron, then the reminder outbox."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Patient
from reassessment import services
from reassessment.models import Flag, Reminder
from tests.conftest import TODAY, make_patient, phq9_items

START = date(2026, 2, 1)
JAN = date(2026, 1, 1)  # the partial responder's start: 2026-03-12 is its day 70, after the two-month course


def on(day: int, start: date = START) -> date:
    return start + timedelta(days=day)


def score(patient: Patient, day: date, total: int) -> None:
    services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(total), administered_at=day, source="clinician"
    )


def start(patient: Patient, started_on: date) -> None:
    services.change_phase(patient=patient, by=None, modality="medication", stage="acute", started_on=started_on)


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("run_reassessment", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def caseload(alice: Any, frozen: Any) -> None:
    """A partial responder, a worsening patient, one overdue with an email and one due without."""
    partial = make_patient(alice, "MRN-P", email="p@example.test")
    start(partial, JAN)
    score(partial, on(-2, JAN), 15)  # moderately severe, below PHQ-9 16: no combined start suggested (DESIGN §2b)
    score(partial, on(60, JAN), 14)
    worse = make_patient(alice, "MRN-W", email="w@example.test")
    start(worse, START)
    score(worse, on(0), 8)
    score(worse, on(35), 16)
    overdue = make_patient(alice, "MRN-O", email="o@example.test")
    start(overdue, TODAY - timedelta(days=60))
    due = make_patient(alice, "MRN-D", email="")
    start(due, TODAY - timedelta(days=30))


def test_it_prints_what_it_raised_and_sent(caseload: None) -> None:
    assert run("--today", "2026-03-12") == [
        "Evaluated 4 active phases as of 2026-03-12.",
        # The worsening patient's baseline (8) is mild: no partial-response flag from it (DESIGN §2).
        "Raised 3 flags: partial_response 1, reassessment_overdue 1, worsening 1",
        "Suicide-item flags raised on 2026-03-12 (when the answers were saved): 0.",
        "Queued 2 reminders; resolved 0 overdue flags.",
        "Sent 1 reminder emails; 0 failed and will be retried.",
        "Sent 0 flag notification emails to clinicians; 0 failed and will be retried.",
        "1 patient is due for reassessment with no email (shown as due on the caseload).",
    ]


def test_it_stores_what_it_printed(caseload: None) -> None:
    run("--today", "2026-03-12")
    assert Flag.objects.count() == 3
    assert sorted(Reminder.objects.values_list("outcome", flat=True)) == ["no_email", "sent"]
    assert [m.to for m in mail.outbox] == [["o@example.test"]]


def test_it_raises_nothing_on_a_second_run(caseload: None) -> None:
    run("--today", "2026-03-12")
    assert run("--today", "2026-03-12") == [
        "Evaluated 4 active phases as of 2026-03-12.",
        "Raised 0 flags.",
        "Suicide-item flags raised on 2026-03-12 (when the answers were saved): 0.",
        "Queued 0 reminders; resolved 0 overdue flags.",
        "Sent 0 reminder emails; 0 failed and will be retried.",
        "Sent 0 flag notification emails to clinicians; 0 failed and will be retried.",
        # Issue 13: where things stand, the same on every run (it used to count this run's skipped reminders: 0).
        "1 patient is due for reassessment with no email (shown as due on the caseload).",
    ]
    assert Flag.objects.count() == 3
    assert len(mail.outbox) == 1


def test_it_evaluates_as_of_the_given_day(caseload: None) -> None:
    lines = run("--today", "2026-02-20")  # before the partial responder's day-60 reassessment
    assert lines[0] == "Evaluated 4 active phases as of 2026-02-20."
    assert "partial_response" not in lines[1]


def test_it_evaluates_as_of_the_clinic_local_today_by_default(caseload: None) -> None:
    assert run()[0] == "Evaluated 4 active phases as of 2026-03-12."


def test_it_queues_but_does_not_send_with_no_send(caseload: None) -> None:
    lines = run("--today", "2026-03-12", "--no-send")
    assert "Queued 2 reminders; resolved 0 overdue flags." in lines
    assert not any(line.startswith("Sent ") for line in lines)
    assert mail.outbox == []
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 2


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "yesterday", "12/03/2026"])
def test_it_refuses_a_bad_today_in_one_sentence(caseload: None, value: str) -> None:
    with pytest.raises(CommandError) as raised:
        run("--today", value)
    message = str(raised.value)
    assert re.fullmatch(r"--today must be [^\n]+\.", message)
    assert repr(value) in message
    assert not Flag.objects.exists()


def test_it_counts_the_suicide_flags_raised_that_day(caseload: None, alice: Any) -> None:
    patient = Patient.objects.get(external_id="MRN-P")
    services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(12, item9=1), administered_at=TODAY, source="clinician"
    )
    assert "Suicide-item flags raised on 2026-03-12 (when the answers were saved): 1." in run("--today", "2026-03-12")
    assert "Suicide-item flags raised on 2026-03-11 (when the answers were saved): 0." in run("--today", "2026-03-11")


def test_it_counts_due_patients_without_email_the_same_on_every_run(caseload: None) -> None:
    first, second = run("--today", "2026-03-12"), run("--today", "2026-03-12")
    assert first[-1] == second[-1] == "1 patient is due for reassessment with no email (shown as due on the caseload)."
    assert Reminder.objects.filter(outcome="no_email").count() == 1
