"""The reassessment services through the database: sweep, flags, reminders and their outbox, safety checks."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from instruments.models import Assessment
from patients.models import Patient, TreatmentPhase
from reassessment import services
from reassessment.models import Flag, FlagStatus, Notification, Reminder, SelfReportLink
from tests.conftest import NOW, TODAY, hamd17_items, make_patient, phq9_items

START = date(2026, 2, 1)  # the phase start of most cases here; TODAY (2026-03-12) is its day 39
JAN = date(2026, 1, 1)  # an earlier start, so that TODAY is day 70: after the two-month course partial response needs
DEC = date(2025, 12, 1)  # earlier still: TODAY is day 101, the third 4-week checkpoint


def on(day: int, start: date = START) -> date:
    return start + timedelta(days=day)


def score(patient: Patient, day: date, total: int, *, item9: int = 0) -> Assessment:
    """A clinician-entered PHQ-9 on a clinic-local date, through the same service the API uses."""
    return services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(total, item9=item9), administered_at=day,
        source="clinician",
    ).assessment


def start(patient: Patient, started_on: date = START, *, modality: str = "medication", stage: str = "acute") -> Any:
    return services.change_phase(patient=patient, by=None, modality=modality, stage=stage, started_on=started_on)


def flags(kind: str | None = None, **filters: Any) -> list[Flag]:
    qs = Flag.objects.order_by("id").filter(**filters)
    return list(qs.filter(kind=kind) if kind else qs)


def at(day: date) -> datetime:
    """10:00 clinic-local on a day, the moment the daily checks are pretended to run."""
    return datetime.combine(day, time(10, 0), tzinfo=NOW.tzinfo)


@pytest.fixture
def partial_responder(patient: Patient, frozen: Any) -> Patient:
    """Medication phase from JAN, PHQ-9 18 two days before, 15 on day 60: 16.7% after two months, a partial
    response."""
    start(patient, JAN)
    score(patient, on(-2, JAN), 18)
    score(patient, on(60, JAN), 15)
    return patient


def prescribe(patient: Patient, name: str, drug_class: str = "ssri", **kwargs: Any) -> tuple[Any, list[Flag]]:
    values: dict[str, Any] = {"started_on": on(0)}
    values.update(kwargs)
    return services.record_medication(patient=patient, by=None, name=name, drug_class=drug_class, **values)


# --- partial_response through the sweep --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modality", "recommendation"),
    [
        ("medication", "add_psychotherapy"),
        ("psychotherapy", "add_medication"),
        ("combined", "review_treatment"),
    ],
)
def test_it_flags_a_partial_responder_with_the_other_modality(
    patient: Patient, frozen: Any, modality: str, recommendation: str
) -> None:
    start(patient, JAN, modality=modality)
    score(patient, on(-2, JAN), 18)
    reassessment = score(patient, on(60, JAN), 15)
    services.sweep(today=TODAY)
    (flag,) = flags("partial_response")
    assert flag.recommendation == recommendation
    assert flag.severity == "medium"
    assert flag.status == FlagStatus.OPEN
    assert flag.patient_id == patient.id
    assert flag.assessment_id == reassessment.id
    assert flag.evidence == {
        "baseline_total": 18,
        "baseline_date": "2025-12-30",
        "reassessment_total": 15,
        "reassessment_date": "2026-03-02",
        "improvement_pct": 16.7,
        "instrument": "phq9",
    }


@pytest.mark.parametrize(("day", "flagged"), [(28, False), (55, False), (56, True)])
def test_it_flags_partial_response_from_day_56(patient: Patient, frozen: Any, day: int, flagged: bool) -> None:
    start(patient, JAN)
    score(patient, on(-2, JAN), 18)
    score(patient, on(day, JAN), 15)
    services.sweep(today=TODAY)
    assert len(flags("partial_response")) == int(flagged)


@pytest.mark.parametrize(("reassessment", "flagged"), [(15, True), (14, False)])  # 25% vs exactly 30%
def test_it_flags_partial_response_below_30_percent(
    patient: Patient, frozen: Any, reassessment: int, flagged: bool
) -> None:
    start(patient, JAN)
    score(patient, on(-2, JAN), 20)
    score(patient, on(60, JAN), reassessment)
    services.sweep(today=TODAY)
    assert len(flags("partial_response")) == int(flagged)


def test_it_counts_what_the_sweep_raised(partial_responder: Patient) -> None:
    counts = services.sweep(today=TODAY)
    # DESIGN §2b: 18 at the start of medication alone also suggests combining.
    assert counts.as_dict() == {
        "phases": 1,
        "flags": {"partial_response": 1, "consider_combined": 1},
        "reminders": 0,
        "resolved": 0,
    }


# --- idempotency --------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_caseload(alice: Any, frozen: Any) -> list[Patient]:
    """A partial responder, a worsening patient, an overdue patient and one merely due for a reminder."""
    partial = make_patient(alice, "MRN-P", email="p@example.test")
    start(partial, JAN)
    score(partial, on(-2, JAN), 18)
    score(partial, on(60, JAN), 15)
    worse = make_patient(alice, "MRN-W", email="w@example.test")
    start(worse)
    score(worse, on(0), 8)
    score(worse, on(35), 16)
    overdue = make_patient(alice, "MRN-O", email="o@example.test")
    start(overdue, TODAY - timedelta(days=60))
    due = make_patient(alice, "MRN-D")
    start(due, TODAY - timedelta(days=30))
    return [partial, worse, overdue, due]


def test_it_creates_nothing_twice_when_the_sweep_runs_twice(busy_caseload: list[Patient]) -> None:
    services.sweep(today=TODAY)
    flag_rows = list(Flag.objects.order_by("id").values_list("id", "dedupe_key", "status"))
    reminder_rows = list(Reminder.objects.order_by("id").values_list("id", "dedupe_key"))
    services.sweep(today=TODAY)
    assert list(Flag.objects.order_by("id").values_list("id", "dedupe_key", "status")) == flag_rows
    assert list(Reminder.objects.order_by("id").values_list("id", "dedupe_key")) == reminder_rows


def test_it_counts_nothing_on_a_second_sweep(busy_caseload: list[Patient]) -> None:
    first = services.sweep(today=TODAY)
    second = services.sweep(today=TODAY)
    assert first.as_dict() == {
        "phases": 4,
        # The worsening patient's baseline (8) is mild: no partial-response flag from it (DESIGN §2).
        "flags": {"partial_response": 1, "worsening": 1, "reassessment_overdue": 1, "consider_combined": 1},
        "reminders": 2,
        "resolved": 0,
    }
    assert second.as_dict() == {"phases": 4, "flags": {}, "reminders": 0, "resolved": 0}


# --- checkpoints --------------------------------------------------------------------------------------------------

def test_it_flags_partial_response_again_at_the_next_checkpoint(patient: Patient, frozen: Any) -> None:
    start(patient, DEC)
    score(patient, on(-1, DEC), 18)
    score(patient, on(30, DEC), 16)
    services.sweep(today=on(31, DEC))  # checkpoint 1 shows the category, no flag
    score(patient, on(60, DEC), 16)
    services.sweep(today=on(61, DEC))
    score(patient, on(90, DEC), 16)
    services.sweep(today=TODAY)
    assert [f.dedupe_key.rsplit(":", 1)[1] for f in flags("partial_response")] == ["2", "3"]


def test_it_never_flags_one_checkpoint_twice_even_after_acknowledging(
    patient: Patient, alice: Any, frozen: Any
) -> None:
    start(patient, DEC)
    score(patient, on(-1, DEC), 18)
    score(patient, on(60, DEC), 16)
    services.sweep(today=on(61, DEC))
    (first,) = flags("partial_response")
    services.acknowledge_flag(flag=first, by=alice, note="Discussed CBT.")
    score(patient, on(75, DEC), 17)  # still checkpoint 2 (day 56..83)
    services.sweep(today=on(76, DEC))
    assert flags("partial_response") == [first]
    first.refresh_from_db()
    assert first.status == FlagStatus.ACKNOWLEDGED


# --- worsening, relapse, overdue ----------------------------------------------------------------------------------


def test_it_flags_worsening_through_the_sweep(patient: Patient, frozen: Any) -> None:
    start(patient)
    score(patient, on(0), 8)
    latest = score(patient, on(10), 14)  # +6: PHQ-9's reliable change
    services.sweep(today=TODAY)
    (flag,) = flags("worsening")
    assert (flag.severity, flag.recommendation, flag.assessment_id) == ("high", "review_treatment", latest.id)


@pytest.mark.parametrize(("stage", "flagged"), [("acute", False), ("continuation", True), ("maintenance", True)])
def test_it_flags_relapse_through_the_sweep(patient: Patient, frozen: Any, stage: str, flagged: bool) -> None:
    start(patient, stage=stage)
    score(patient, on(0), 6)
    score(patient, on(20), 10)  # back in the moderate band, not a reliable worsening
    services.sweep(today=TODAY)
    assert len(flags("relapse")) == int(flagged)
    assert flags("worsening") == []


def test_it_flags_relapse_after_remission_in_an_acute_phase(patient: Patient, frozen: Any) -> None:
    start(patient)
    score(patient, on(0), 16)
    score(patient, on(20), 4)
    score(patient, on(34), 12)
    services.sweep(today=TODAY)
    (flag,) = flags("relapse")
    assert flag.evidence["remission_total"] == 4


def test_it_flags_relapse_over_the_course_after_a_remission_in_the_acute_phase(patient: Patient, frozen: Any) -> None:
    start(patient, DEC)
    score(patient, on(-2, DEC), 18)
    score(patient, on(40, DEC), 3)
    continuation = start(patient, on(60, DEC), stage="continuation")
    score(patient, on(62, DEC), 4)
    latest = score(patient, TODAY - timedelta(days=3), 12)
    services.sweep(today=TODAY)
    (flag,) = flags("relapse")
    assert (flag.phase_id, flag.assessment_id) == (continuation.id, latest.id)
    assert flag.evidence["remission_date"] == on(40, DEC).isoformat()


def test_it_raises_no_relapse_for_a_continuation_patient_who_never_got_better(patient: Patient, frozen: Any) -> None:
    start(patient, JAN, stage="continuation")
    score(patient, on(-1, JAN), 12)
    score(patient, TODAY - timedelta(days=3), 11)
    services.sweep(today=TODAY)
    assert flags("relapse") == []


@pytest.mark.parametrize(("days", "flagged"), [(55, False), (56, True)])
def test_it_flags_an_overdue_reassessment_at_twice_the_interval(
    patient: Patient, frozen: Any, days: int, flagged: bool
) -> None:
    start(patient, TODAY - timedelta(days=days))  # no score at all: the anchor is the start
    services.sweep(today=TODAY)
    overdue = flags("reassessment_overdue")
    assert len(overdue) == int(flagged)
    if flagged:
        assert (overdue[0].severity, overdue[0].recommendation) == ("low", "contact_patient")


def test_it_resolves_the_overdue_flag_when_a_new_score_arrives(patient: Patient, frozen: Any) -> None:
    start(patient, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    (flag,) = flags("reassessment_overdue")
    score(patient, TODAY, 12)
    counts = services.evaluate_patient(patient.id, today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolved_at == NOW
    assert counts.resolved == 1


def test_it_resolves_an_acknowledged_overdue_flag_too(patient: Patient, alice: Any, frozen: Any) -> None:
    start(patient, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    (flag,) = flags("reassessment_overdue")
    services.acknowledge_flag(flag=flag, by=alice, note="Left a voicemail.")
    score(patient, TODAY, 12)
    services.evaluate_patient(patient.id, today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED


def test_it_keeps_an_overdue_flag_open_while_no_score_arrives(patient: Patient, frozen: Any) -> None:
    start(patient, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    services.evaluate_patient(patient.id, today=TODAY)
    assert [f.status for f in flags("reassessment_overdue")] == [FlagStatus.OPEN]


def test_it_leaves_other_patients_overdue_flags_alone(alice: Any, frozen: Any) -> None:
    first = make_patient(alice, "MRN-A")
    second = make_patient(alice, "MRN-B")
    start(first, TODAY - timedelta(days=70))
    start(second, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    score(first, TODAY, 12)
    services.evaluate_patient(first.id, today=TODAY)
    assert flags("reassessment_overdue", patient=second)[0].status == FlagStatus.OPEN


def test_it_keeps_the_overdue_flag_when_the_weekly_window_of_a_young_patient_ends(alice: Any, frozen: Any) -> None:
    # DESIGN §2 (issue 8): under 25 on medication, overdue at 14 days; on day 28 the interval becomes 28 days and
    # the overdue condition no longer holds, but the patient still has not been measured.
    young = make_patient(alice, "MRN-Y", birth_date=date(2005, 1, 1))
    phase_start = TODAY - timedelta(days=27)
    start(young, phase_start)
    score(young, phase_start, 16)
    services.sweep(today=TODAY - timedelta(days=13))
    (flag,) = flags("reassessment_overdue")
    for day in (TODAY, TODAY + timedelta(days=10)):
        services.sweep(today=day)
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN
    assert flags("reassessment_overdue") == [flag]  # raised once for the gap


def test_it_keeps_the_overdue_flag_when_the_clinician_lengthens_the_interval(patient: Patient, frozen: Any) -> None:
    start(patient, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    (flag,) = flags("reassessment_overdue")
    Patient.objects.filter(pk=patient.pk).update(reminder_interval_days=56)
    services.evaluate_patient(patient.id, today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_it_resolves_the_overdue_flag_when_its_phase_ends(patient: Patient, frozen: Any) -> None:
    start(patient, TODAY - timedelta(days=70))
    services.sweep(today=TODAY)
    (flag,) = flags("reassessment_overdue")
    start(patient, TODAY, modality="combined")
    counts = services.evaluate_patient(patient.id, today=TODAY)
    flag.refresh_from_db()
    assert (flag.status, counts.resolved) == (FlagStatus.RESOLVED, 1)


def test_it_keeps_the_overdue_flag_for_a_score_dated_before_its_anchor(patient: Patient, frozen: Any) -> None:
    phase_start = TODAY - timedelta(days=70)
    start(patient, phase_start)
    score(patient, phase_start + timedelta(days=5), 15)
    services.sweep(today=TODAY)
    (flag,) = flags("reassessment_overdue")
    score(patient, phase_start + timedelta(days=3), 14)  # a paper form typed in late, dated before the anchor
    services.evaluate_patient(patient.id, today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


# --- reminders ----------------------------------------------------------------------------------------------------


@pytest.fixture
def due_patient(patient: Patient, frozen: Any) -> Patient:
    """A phase 28 days old with its baseline on the start day and nothing since: due today."""
    start(patient, TODAY - timedelta(days=28), modality="psychotherapy")
    score(patient, TODAY - timedelta(days=28), 16)
    return patient


def test_it_writes_one_reminder_when_due(due_patient: Patient) -> None:
    counts = services.sweep(today=TODAY)
    (reminder,) = Reminder.objects.all()
    assert reminder.patient_id == due_patient.id
    assert reminder.due_on == TODAY
    assert reminder.sent_at is None
    assert reminder.outcome == Reminder.Outcome.PENDING
    assert counts.reminders == 1


def test_it_writes_no_reminder_a_day_before_due(due_patient: Patient) -> None:
    services.sweep(today=TODAY - timedelta(days=1))
    assert not Reminder.objects.exists()


def test_it_writes_no_second_reminder_within_7_days_of_daily_sweeps(due_patient: Patient, frozen: Any) -> None:
    for offset in range(7):
        day = TODAY + timedelta(days=offset)
        frozen.move_to(at(day))
        services.sweep(today=day)
    assert Reminder.objects.count() == 1


def test_it_writes_the_next_reminder_7_days_later(due_patient: Patient, frozen: Any) -> None:
    for offset in range(8):
        day = TODAY + timedelta(days=offset)
        frozen.move_to(at(day))
        services.sweep(today=day)
    assert list(Reminder.objects.order_by("created_at").values_list("created_at", flat=True)) == [
        at(TODAY),
        at(TODAY + timedelta(days=7)),
    ]


def test_it_writes_no_second_reminder_within_7_days_after_a_phase_change(due_patient: Patient, frozen: Any) -> None:
    services.sweep(today=TODAY)
    # A new phase, due again tomorrow, moves the reminder's key (next_due_on); the 7-day gap still holds.
    start(due_patient, TODAY - timedelta(days=27), modality="combined")
    frozen.move_to(at(TODAY + timedelta(days=1)))
    services.sweep(today=TODAY + timedelta(days=1))
    assert Reminder.objects.count() == 1


def test_it_marks_a_reminder_no_email_and_sends_nothing_for_a_patient_without_email(
    alice: Any, frozen: Any
) -> None:
    patient = make_patient(alice, "MRN-NE", email="")
    start(patient, TODAY - timedelta(days=28))
    services.sweep(today=TODAY)
    result = services.send_pending_reminders()
    (reminder,) = Reminder.objects.all()
    assert reminder.outcome == Reminder.Outcome.NO_EMAIL
    assert result == {"sent": 0, "no_email": 1, "failed": 0}
    assert mail.outbox == []
    assert not SelfReportLink.objects.exists()


TOKEN_IN_LINK = re.compile(re.escape(settings.MBC_BASE_URL) + r"/r/([A-Za-z0-9_-]{43})/")


def test_it_emails_a_self_report_link_for_a_due_reminder(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    result = services.send_pending_reminders()
    (message,) = mail.outbox
    (token,) = TOKEN_IN_LINK.findall(message.body)
    link = SelfReportLink.objects.get(token_hash=services.hash_token(token))
    assert result == {"sent": 1, "no_email": 0, "failed": 0}
    assert message.to == [due_patient.email]
    assert link.patient_id == due_patient.id
    assert link.reminder == Reminder.objects.get()
    assert link.instrument == "phq9"


def test_it_marks_the_reminder_sent(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    services.send_pending_reminders()
    reminder = Reminder.objects.get()
    assert reminder.outcome == Reminder.Outcome.SENT
    assert reminder.sent_at == NOW
    assert reminder.attempts == 1


def test_it_puts_no_name_or_score_in_the_reminder_email(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    services.send_pending_reminders()
    (message,) = mail.outbox
    text = TOKEN_IN_LINK.sub("<link>", f"{message.subject}\n{message.body}")
    assert due_patient.display_name not in text
    assert due_patient.external_id not in text
    assert re.search(r"\b16\b", text) is None  # the patient's only score
    assert "PHQ" not in text
    assert "score" not in text.lower()


def test_it_sends_nothing_more_on_a_second_sender_run(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    services.send_pending_reminders()
    again = services.send_pending_reminders()
    assert again == {"sent": 0, "no_email": 0, "failed": 0}
    assert len(mail.outbox) == 1
    assert SelfReportLink.objects.count() == 1


def test_it_leaves_a_reminder_claimed_by_another_sender_alone(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    Reminder.objects.update(claimed_at=NOW - timedelta(minutes=1))  # another process is sending it right now
    assert services.send_pending_reminders()["sent"] == 0
    assert mail.outbox == []


def test_it_takes_over_a_claim_older_than_the_claim_timeout(due_patient: Patient) -> None:
    services.sweep(today=TODAY)
    Reminder.objects.update(claimed_at=NOW - services.CLAIM_TIMEOUT - timedelta(seconds=1), attempts=1)
    assert services.send_pending_reminders()["sent"] == 1
    assert len(mail.outbox) == 1


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that refuses every message (a fake mail server, not a mock of mbc's code)."""

    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("the mail server went away")


@pytest.fixture
def mail_down(settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"


def after_claims(n: int) -> datetime:
    """The moment of the n-th retry: each one after the previous claim has timed out."""
    return NOW + n * (services.CLAIM_TIMEOUT + timedelta(minutes=1))


def test_it_keeps_a_reminder_pending_when_sending_fails(due_patient: Patient, mail_down: None) -> None:
    services.sweep(today=TODAY)
    result = services.send_pending_reminders()
    reminder = Reminder.objects.get()
    assert result == {"sent": 0, "no_email": 0, "failed": 1}
    assert (reminder.outcome, reminder.sent_at, reminder.attempts) == (Reminder.Outcome.PENDING, None, 1)


def test_it_retries_a_failed_reminder_after_the_claim_timeout(
    due_patient: Patient, mail_down: None, settings: Any
) -> None:
    services.sweep(today=TODAY)
    services.send_pending_reminders()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_pending_reminders(now=NOW + timedelta(minutes=1))["sent"] == 0  # still claimed
    assert services.send_pending_reminders(now=after_claims(1))["sent"] == 1
    assert len(mail.outbox) == 1


def test_it_tries_a_failing_reminder_max_send_attempts_times_then_gives_up(
    due_patient: Patient, mail_down: None
) -> None:
    services.sweep(today=TODAY)
    results = [services.send_pending_reminders(now=after_claims(n)) for n in range(services.MAX_SEND_ATTEMPTS + 1)]
    reminder = Reminder.objects.get()
    assert [r["failed"] for r in results] == [1] * services.MAX_SEND_ATTEMPTS + [0]
    assert reminder.attempts == services.MAX_SEND_ATTEMPTS
    assert reminder.outcome == Reminder.Outcome.FAILED


# --- serotonergic_combination ------------------------------------------------------------------------------------


def test_it_flags_two_ssris_at_once_when_the_second_is_recorded(patient: Patient, frozen: Any) -> None:
    first, none_yet = prescribe(patient, "sertraline")
    second, raised = prescribe(patient, "fluoxetine")
    (flag,) = flags("serotonergic_combination")
    assert none_yet == []
    assert raised == [flag]
    assert (flag.severity, flag.recommendation) == ("high", "review_medications")
    assert flag.evidence["medication_ids"] == [first.id, second.id]


def test_it_flags_each_serotonergic_pair_once(patient: Patient, frozen: Any) -> None:
    meds = [prescribe(patient, name)[0] for name in ("sertraline", "fluoxetine", "citalopram")]
    prescribe(patient, "melatonin", "other")
    services.sweep(today=TODAY)
    pairs = sorted(tuple(f.evidence["medication_ids"]) for f in flags("serotonergic_combination"))
    a, b, c = (m.id for m in meds)
    assert pairs == [(a, b), (a, c), (b, c)]


def test_it_does_not_flag_an_ssri_with_bupropion(patient: Patient, frozen: Any) -> None:
    prescribe(patient, "sertraline")
    _, raised = prescribe(patient, "bupropion", "bupropion")
    services.sweep(today=TODAY)
    assert raised == []
    assert flags("serotonergic_combination") == []


def test_it_honours_a_medications_own_serotonergic_override(patient: Patient, frozen: Any) -> None:
    prescribe(patient, "sertraline")
    _, raised = prescribe(patient, "linezolid", "other", serotonergic=True)
    assert len(raised) == 1


@pytest.mark.parametrize(("stopped", "flagged"), [(-1, False), (0, True)])
def test_it_flags_only_medications_active_today(patient: Patient, frozen: Any, stopped: int, flagged: bool) -> None:
    prescribe(patient, "sertraline", started_on=TODAY - timedelta(days=30), stopped_on=TODAY + timedelta(stopped))
    _, raised = prescribe(patient, "fluoxetine", started_on=TODAY)
    assert len(raised) == int(flagged)


def test_it_refuses_a_serotonergic_start_in_the_future(patient: Patient, frozen: Any) -> None:
    # Issue 9 item 6: no date after today is taken (a planned start is recorded on the day it starts).
    prescribe(patient, "sertraline")
    with pytest.raises(ValidationError) as refused:
        prescribe(patient, "tramadol", "serotonergic_opioid", started_on=TODAY + timedelta(days=3))
    assert refused.value.message_dict == {"started_on": ["This date is in the future."]}
    assert flags("serotonergic_combination") == []


def test_it_ignores_serotonergic_pairs_of_different_patients(alice: Any, frozen: Any) -> None:
    prescribe(make_patient(alice, "MRN-A"), "sertraline")
    prescribe(make_patient(alice, "MRN-B"), "fluoxetine")
    services.sweep(today=TODAY)
    assert flags("serotonergic_combination") == []


def test_it_flags_a_washout_pair_when_an_maoi_follows_fluoxetine(patient: Patient, frozen: Any) -> None:
    prescribe(patient, "Fluoxetine", started_on=on(-100), stopped_on=TODAY - timedelta(days=20))
    _, raised = prescribe(patient, "phenelzine", "maoi", started_on=TODAY, today=TODAY)
    (flag,) = raised
    assert (flag.severity, flag.recommendation) == ("urgent", "stop_combination")
    assert flag.evidence["in_washout"] == ["Fluoxetine"]


def test_it_does_not_pair_a_dose_change_with_itself(patient: Patient, frozen: Any) -> None:
    prescribe(patient, "Sertraline", started_on=on(-30), stopped_on=TODAY)
    _, raised = prescribe(patient, "sertraline", started_on=TODAY, dose="100 mg", today=TODAY)
    assert raised == []


def test_it_catches_a_washout_pair_in_the_sweep(patient: Patient, frozen: Any) -> None:
    prescribe(patient, "sertraline", started_on=on(-100), stopped_on=TODAY - timedelta(days=10))
    prescribe(patient, "linezolid", "linezolid", started_on=TODAY - timedelta(days=2), today=TODAY - timedelta(days=30))
    assert flags("serotonergic_combination") == []
    services.sweep(today=TODAY)
    (flag,) = flags("serotonergic_combination")
    assert flag.severity == "urgent"


# --- suicide_risk -------------------------------------------------------------------------------------------------


def test_it_raises_the_suicide_flag_in_the_submission_before_any_worker(
    patient: Patient, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        submission = services.submit_assessment(
            patient=patient, instrument="phq9", items=phq9_items(14, item9=1), administered_at=TODAY,
            source="clinician",
        )
        (flag,) = flags("suicide_risk")  # there already, while the evaluation is still only queued
    # Queued after commit: the evaluation, and (issue 14) sending the care team's alert, whose row is already written.
    assert len(queued) == 2
    assert Notification.objects.filter(flag=flag, sent_at__isnull=True).count() == 1
    assert submission.suicide_flag == flag
    assert flag.assessment_id == submission.assessment.id
    assert (flag.severity, flag.recommendation, flag.status) == ("urgent", "safety_assessment", FlagStatus.OPEN)
    assert flag.evidence == {"instrument": "phq9", "item_number": 9, "answer": 1}


def test_it_gives_the_suicide_flag_the_active_phase(patient: Patient, frozen: Any) -> None:
    phase = start(patient)
    submission = services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(12, item9=1), administered_at=TODAY, source="clinician"
    )
    assert submission.suicide_flag is not None
    assert submission.suicide_flag.phase_id == phase.id


def test_it_raises_a_suicide_flag_without_a_phase(patient: Patient, frozen: Any) -> None:
    submission = services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(12, item9=1), administered_at=TODAY, source="clinician"
    )
    assert submission.suicide_flag is not None
    assert submission.suicide_flag.phase_id is None


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (3, True)])
def test_it_raises_the_suicide_flag_from_item_9_at_1(patient: Patient, frozen: Any, item9: int, flagged: bool) -> None:
    score(patient, TODAY, 12, item9=item9)
    assert len(flags("suicide_risk")) == int(flagged)


@pytest.mark.parametrize(("item3", "flagged"), [(0, False), (1, True)])
def test_it_raises_the_suicide_flag_from_hamd17_item_3(alice: Any, frozen: Any, item3: int, flagged: bool) -> None:
    patient = make_patient(alice, "MRN-H", primary_instrument="hamd17")
    services.submit_assessment(
        patient=patient, instrument="hamd17", items=hamd17_items(20, item3=item3), administered_at=TODAY,
        source="clinician",
    )
    assert len(flags("suicide_risk")) == int(flagged)


def test_it_raises_the_suicide_flag_once_per_assessment(patient: Patient, frozen: Any) -> None:
    def submit() -> services.Submission:
        return services.submit_assessment(
            patient=patient, instrument="phq9", items=phq9_items(14, item9=2), administered_at=TODAY,
            source="clinician", client_id="tablet-7",
        )

    first, replay = submit(), submit()
    assert replay.created is False
    assert replay.suicide_flag == first.suicide_flag
    assert len(flags("suicide_risk")) == 1


def test_it_raises_a_suicide_flag_for_each_positive_assessment(patient: Patient, frozen: Any) -> None:
    score(patient, TODAY - timedelta(days=7), 14, item9=1)
    score(patient, TODAY, 14, item9=1)
    assert len(flags("suicide_risk")) == 2


def test_it_saves_neither_assessment_nor_flag_for_bad_answers(patient: Patient, frozen: Any) -> None:
    with pytest.raises(ValidationError):
        services.submit_assessment(
            patient=patient, instrument="phq9", items=[3] * 8 + [4], administered_at=TODAY, source="clinician"
        )
    assert not Assessment.objects.exists()
    assert not Flag.objects.exists()


# --- acknowledge_flag ---------------------------------------------------------------------------------------------


def test_it_acknowledges_an_open_flag_with_note_and_clinician(
    partial_responder: Patient, alice: Any, frozen: Any
) -> None:
    services.sweep(today=TODAY)
    (flag,) = flags("partial_response")
    services.acknowledge_flag(flag=flag, by=alice, note="  Referred for CBT.  ")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED
    assert flag.acknowledged_by == alice
    assert flag.acknowledged_at == NOW
    assert flag.note == "Referred for CBT."


def test_it_refuses_to_acknowledge_a_flag_twice(partial_responder: Patient, alice: Any, bob: Any) -> None:
    services.sweep(today=TODAY)
    (flag,) = flags("partial_response")
    services.acknowledge_flag(flag=flag, by=alice, note="first")
    with pytest.raises(ValidationError) as raised:
        services.acknowledge_flag(flag=flag, by=bob, note="second")
    assert "status" in raised.value.message_dict
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.note) == (alice, "first")


# --- evaluate_patient ---------------------------------------------------------------------------------------------


def test_it_does_nothing_for_a_patient_without_an_active_phase(patient: Patient, frozen: Any) -> None:
    score(patient, TODAY - timedelta(days=90), 20)
    score(patient, TODAY - timedelta(days=40), 24)
    counts = services.evaluate_patient(patient.id, today=TODAY)
    assert counts.as_dict() == {"phases": 0, "flags": {}, "reminders": 0, "resolved": 0}
    assert not Flag.objects.exists()
    assert not Reminder.objects.exists()


def test_it_does_nothing_for_an_inactive_patient(partial_responder: Patient) -> None:
    Patient.objects.filter(pk=partial_responder.pk).update(active=False)
    counts = services.evaluate_patient(partial_responder.id, today=TODAY)
    services.sweep(today=TODAY)
    assert counts.phases == 0
    assert not Flag.objects.exists()


def test_it_evaluates_only_the_given_patient(partial_responder: Patient, alice: Any) -> None:
    other = make_patient(alice, "MRN-2")
    start(other)
    score(other, on(-2), 18)
    score(other, on(32), 16)
    services.evaluate_patient(partial_responder.id, today=TODAY)
    assert {f.patient_id for f in flags()} == {partial_responder.id}


# --- scale: a bounded number of queries per batch ----------------------------------------------------------------

# Per batch: phases (the course's start and the recent antidepressant start are subqueries), scores, the course
# medications (DESIGN §2b), existing flag keys, new flags, recent reminders, known reminder keys, new reminders, open
# overdue flags: 9 on PostgreSQL; SQLite splits each 100-row insert in two: 11. Per chunk: the chunk, savepoint and
# release, the final empty batch, the chunk's patients, their serotonergic medications, their bipolar patients
# (DESIGN §2b), their open flags, their stored statuses, marking it done, the run's finish: 11; and the upsert of the
# changed statuses: one per chunk on PostgreSQL, one per 50 rows on SQLite (its 999 bound variables per statement).
# Once: the ranges, the run and its chunks in a savepoint (4), the chunk list: 6. One query per patient would be 300
# and more.
PER_BATCH = 11
PER_CHUNK = 11
CONSTANT = 6


def seed_caseload(n: int) -> None:
    """n partial responders (checked on day 84), each also due a reminder, written in bulk (the services that
    write them one by one are tested above)."""
    patients = Patient.objects.bulk_create(
        [
            Patient(external_id=f"BULK-{i}", display_name=f"Bulk {i}", email=f"b{i}@example.test")
            for i in range(n)
        ]
    )
    ids = list(Patient.objects.filter(external_id__startswith="BULK-").order_by("id").values_list("id", flat=True))
    assert len(ids) == len(patients) == n
    TreatmentPhase.objects.bulk_create(
        [TreatmentPhase(patient_id=pid, modality="medication", stage="acute", started_on=START) for pid in ids]
    )
    rows = []
    for pid in ids:
        for day, total in ((-2, 15), (56, 17)):  # 15: no combined start (DESIGN §2b), one flag per patient
            moment = timezone.make_aware(datetime.combine(on(day), time(12)))
            rows.append(
                Assessment(
                    patient_id=pid, instrument="phq9", instrument_version="1", items=phq9_items(total),
                    total=total, severity="moderately_severe", administered_at=moment, administered_on=on(day),
                    source="import",
                )
            )
    Assessment.objects.bulk_create(rows)


@pytest.mark.parametrize(("n", "chunk_patients"), [(30, 100), (300, 100), (300, 1000)])
def test_it_sweeps_in_a_bounded_number_of_queries_per_batch(
    db: None, frozen: Any, django_assert_max_num_queries: Any, n: int, chunk_patients: int
) -> None:
    seed_caseload(n)
    batches = -(-n // 100)
    chunks = -(-n // chunk_patients)
    upserts = -(-n // 50) if connection.vendor == "sqlite" else chunks
    frozen.move_to(at(on(84)))  # the statuses are stored as of the real today: the sweep's day here
    with django_assert_max_num_queries(batches * PER_BATCH + chunks * PER_CHUNK + upserts + CONSTANT):
        counts = services.sweep(today=on(84), batch_size=100, chunk_patients=chunk_patients)
    assert counts.phases == n
    assert counts.flags == {"partial_response": n}
    assert counts.reminders == n
