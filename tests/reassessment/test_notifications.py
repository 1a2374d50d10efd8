"""The flag-notification outbox: alerts to the care team, escalation, the claim, and what the emails leave out."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client

from patients.models import CareTeamMember, Medication, Patient, Role
from patients.services import add_to_care_team, set_notification_settings
from reassessment import engine, notifications, services, tasks
from reassessment.models import Flag, FlagKind, Notification
from tests.conftest import NOW, TODAY, make_clinician, make_patient, phi_in, phq9_items

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client

URGENT = "mbc: an urgent flag needs you — sign in"


@pytest.fixture
def team(alice: Any, bob: Any, charlie: Any, frozen: Any) -> dict[str, Any]:
    """Alice (prescriber) and charlie (care manager) on the patient's care team; bob on nobody's."""
    patient = make_patient(alice, external_id="MRN-7731", display_name="Zelda Quist", diagnosis="F33.1",
                           email="zelda@example.test")
    add_to_care_team(patient=patient, user=charlie, role=Role.CARE_MANAGER)
    return {"patient": patient, "alice": alice, "bob": bob, "charlie": charlie}


def suicide_item(patient: Patient, *, total: int = 23) -> Flag:
    submission = services.submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(total, item9=2), administered_at=TODAY,
        source="self_report",
    )
    assert submission.suicide_flag is not None
    return submission.suicide_flag


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def high_finding(patient: Patient, key: str = "worsening:1") -> engine.Finding:
    return engine.Finding(kind="worsening", severity="high", recommendation="review_treatment", dedupe_key=key,
                          patient_id=patient.id)


# --- alerts ---------------------------------------------------------------------------------------------------------


def test_it_emails_every_care_team_member_when_item_9_is_positive(team: dict[str, Any]) -> None:
    flag = suicide_item(team["patient"])
    result = notifications.send_pending_notifications()
    assert result == {"sent": 2, "no_email": 0, "not_needed": 0, "failed": 0}
    assert recipients() == ["alice@clinic.test", "charlie@clinic.test"]
    for message in mail.outbox:
        assert message.subject == URGENT
        assert f"http://127.0.0.1:8000/flags/{flag.id}/" in message.body
        assert len(message.to) == 1


def test_it_queues_the_alert_in_the_transaction_that_raises_the_flag(
    team: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        flag = suicide_item(team["patient"])
        rows = list(Notification.objects.filter(flag=flag).values_list("recipient__username", "kind", "sent_at"))
    assert sorted(rows) == [("alice", "alert", None), ("charlie", "alert", None)]
    assert notifications.enqueue_sending in queued  # sent right after commit, not only by beat


def test_it_queues_the_send_task_after_commit(team: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                              django_capture_on_commit_callbacks: Any) -> None:
    queued: list[str] = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda: queued.append("send_notifications"))
    monkeypatch.setattr(tasks.evaluate_patient, "delay", lambda patient_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        suicide_item(team["patient"])
        assert queued == []
    assert queued == ["send_notifications"]


def opt_in(*users: Any) -> None:
    for user in users:
        set_notification_settings(user=user, email_high_flags=True)


def test_it_alerts_from_the_sweeps_bulk_insert_too(team: dict[str, Any]) -> None:
    opt_in(team["alice"], team["charlie"])  # the pair is urgent with an MAOI (DESIGN 2), at least high before that
    # Two drugs recorded without the synchronous check (an import, say): the sweep's bulk insert finds the pair.
    for name, drug_class in (("phenelzine", "maoi"), ("sertraline", "ssri")):
        Medication.objects.create(patient=team["patient"], name=name, drug_class=drug_class, serotonergic=True,
                                  started_on=TODAY - timedelta(days=3))
    counts = services.sweep(today=TODAY)
    assert counts.flags["serotonergic_combination"] == 1
    flag = Flag.objects.get(kind=FlagKind.SEROTONERGIC_COMBINATION)
    assert flag.severity in ("urgent", "high")
    notifications.send_pending_notifications()
    assert recipients() == ["alice@clinic.test", "charlie@clinic.test"]


def test_it_alerts_from_a_medication_saved_on_the_page_or_api(team: dict[str, Any]) -> None:
    opt_in(team["alice"], team["charlie"])
    services.record_medication(patient=team["patient"], by=team["alice"], name="phenelzine", drug_class="maoi",
                               started_on=TODAY)
    services.record_medication(patient=team["patient"], by=team["alice"], name="tramadol",
                               drug_class="serotonergic_opioid", started_on=TODAY)
    assert Notification.objects.filter(flag__kind=FlagKind.SEROTONERGIC_COMBINATION).count() == 2


def test_it_never_alerts_twice_for_one_flag(team: dict[str, Any]) -> None:
    flag = suicide_item(team["patient"])
    services.raise_flag(engine.Finding(kind=flag.kind, severity=flag.severity, recommendation=flag.recommendation,
                                       dedupe_key=flag.dedupe_key, patient_id=flag.patient_id))
    services.sweep(today=TODAY)
    notifications.send_pending_notifications()
    notifications.send_pending_notifications()
    assert recipients() == ["alice@clinic.test", "charlie@clinic.test"]


def test_it_emails_high_flags_only_to_those_who_asked(team: dict[str, Any]) -> None:
    set_notification_settings(user=team["charlie"], email_high_flags=True)
    services.raise_flag(high_finding(team["patient"]))
    notifications.send_pending_notifications()
    assert recipients() == ["charlie@clinic.test"]
    assert mail.outbox[0].subject == "mbc: a flag needs you — sign in"


@pytest.mark.parametrize("severity", ["medium", "low"])
def test_it_emails_nobody_about_medium_and_low_flags(team: dict[str, Any], severity: str) -> None:
    set_notification_settings(user=team["alice"], email_high_flags=True)
    services.raise_flag(engine.Finding(kind="partial_response", severity=severity,
                                       recommendation="add_psychotherapy", dedupe_key="p:1",
                                       patient_id=team["patient"].id))
    assert not Notification.objects.exists()


def test_it_skips_inactive_clinicians_and_marks_those_without_an_address(team: dict[str, Any], caplog: Any) -> None:
    team["alice"].is_active = False
    team["alice"].save()
    team["charlie"].email = ""
    team["charlie"].save()
    flag = suicide_item(team["patient"])
    with caplog.at_level(logging.WARNING):
        result = notifications.send_pending_notifications()
    assert result["no_email"] == 1
    assert result["sent"] == 0
    assert Notification.objects.get(flag=flag).outcome == Notification.Outcome.NO_EMAIL
    assert f"user {team['charlie'].id} has no email address" in caplog.text


def test_it_does_not_send_an_alert_about_a_flag_already_acknowledged(team: dict[str, Any]) -> None:
    flag = suicide_item(team["patient"])
    services.acknowledge_flag(flag=flag, by=team["alice"])
    assert notifications.send_pending_notifications()["not_needed"] == 2
    assert mail.outbox == []


def test_it_retries_a_failed_send_then_gives_up_after_5_attempts(
    team: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    CareTeamMember.objects.filter(user=team["charlie"]).delete()
    suicide_item(team["patient"])

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(notifications, "send_mail", refuse)
    for attempt in range(1, 6):
        with time_machine.travel(NOW + attempt * notifications.CLAIM_TIMEOUT * 1.5, tick=False):
            assert notifications.send_pending_notifications()["failed"] == 1
    row = Notification.objects.get()
    assert (row.attempts, row.outcome) == (5, Notification.Outcome.FAILED)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert notifications.send_pending_notifications()["failed"] == 0


# --- the claim: a worker killed mid-send ----------------------------------------------------------------------------


def test_it_resends_once_what_a_killed_worker_had_claimed(team: dict[str, Any]) -> None:
    CareTeamMember.objects.filter(user=team["charlie"]).delete()
    suicide_item(team["patient"])
    # A worker claimed the row and died before marking it sent.
    Notification.objects.update(claimed_at=NOW, attempts=1)
    with time_machine.travel(NOW + notifications.CLAIM_TIMEOUT - timedelta(seconds=1), tick=False):
        assert notifications.send_pending_notifications()["sent"] == 0  # the claim still holds
    with time_machine.travel(NOW + notifications.CLAIM_TIMEOUT + timedelta(seconds=1), tick=False):
        assert notifications.send_pending_notifications()["sent"] == 1
        assert notifications.send_pending_notifications()["sent"] == 0
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert notifications.send_pending_notifications()["sent"] == 0
    assert recipients() == ["alice@clinic.test"]
    assert Notification.objects.get().attempts == 2


def test_it_lets_two_senders_share_the_outbox_without_sending_twice(team: dict[str, Any]) -> None:
    suicide_item(team["patient"])
    first = Notification.objects.order_by("id").first()
    assert first is not None
    # Another sender claimed the first row a moment ago: this one sends only the other.
    Notification.objects.filter(pk=first.pk).update(claimed_at=NOW, attempts=1)
    assert notifications.send_pending_notifications()["sent"] == 1
    assert len(mail.outbox) == 1


# --- escalation -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "escalated"), [(59, False), (60, True), (61, True)])
def test_it_escalates_an_urgent_flag_open_for_60_minutes(
    team: dict[str, Any], minutes: int, escalated: bool
) -> None:
    flag = suicide_item(team["patient"])
    later = NOW + timedelta(minutes=minutes)
    result = notifications.escalate_open_flags(now=later)
    assert result["escalated"] == int(escalated)
    flag.refresh_from_db()
    assert flag.escalated_at == (later if escalated else None)
    rows = Notification.objects.filter(flag=flag, kind=Notification.Kind.ESCALATION)
    assert list(rows.values_list("recipient__username", flat=True)) == (["charlie"] if escalated else [])


def test_it_escalates_after_the_configured_minutes(team: dict[str, Any], settings: Any) -> None:
    settings.MBC_ESCALATE_AFTER_MINUTES = 15
    suicide_item(team["patient"])
    assert notifications.escalate_open_flags(now=NOW + timedelta(minutes=14))["escalated"] == 0
    assert notifications.escalate_open_flags(now=NOW + timedelta(minutes=15))["escalated"] == 1


def test_it_emails_the_escalation_to_the_care_manager(team: dict[str, Any]) -> None:
    flag = suicide_item(team["patient"])
    notifications.send_pending_notifications()
    mail.outbox.clear()
    with time_machine.travel(NOW + timedelta(minutes=65), tick=False):
        result = tasks.escalate_flags()
    assert result["escalated"] == 1
    assert result["sent"] == 1
    (message,) = mail.outbox
    assert message.to == ["charlie@clinic.test"]
    assert message.subject == URGENT
    assert "nobody on the care team has acknowledged it" in message.body
    assert f"/flags/{flag.id}/" in message.body


@pytest.mark.parametrize("how", ["acknowledged", "resolved"])
def test_it_never_escalates_a_flag_someone_took(team: dict[str, Any], how: str) -> None:
    flag = suicide_item(team["patient"])
    if how == "acknowledged":
        services.acknowledge_flag(flag=flag, by=team["alice"], note="called the patient")
    else:
        Flag.objects.filter(pk=flag.pk).update(status="resolved")
    assert notifications.escalate_open_flags(now=NOW + timedelta(hours=3))["escalated"] == 0
    flag.refresh_from_db()
    assert flag.escalated_at is None
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()


def test_it_does_not_send_an_escalation_acknowledged_before_it_left(team: dict[str, Any]) -> None:
    flag = suicide_item(team["patient"])
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    services.acknowledge_flag(flag=flag, by=team["alice"])
    notifications.send_pending_notifications()
    assert mail.outbox == []


def test_it_escalates_once(team: dict[str, Any]) -> None:
    suicide_item(team["patient"])
    for minutes in (60, 65, 120, 600):
        notifications.escalate_open_flags(now=NOW + timedelta(minutes=minutes))
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 1


def test_it_escalates_only_urgent_flags(team: dict[str, Any]) -> None:
    set_notification_settings(user=team["alice"], email_high_flags=True)
    services.raise_flag(high_finding(team["patient"]))
    assert notifications.escalate_open_flags(now=NOW + timedelta(days=2))["escalated"] == 0


def test_it_escalates_to_the_on_call_address_without_a_care_manager(team: dict[str, Any], settings: Any) -> None:
    settings.MBC_ONCALL_EMAIL = "oncall@clinic.test"
    CareTeamMember.objects.filter(user=team["charlie"]).delete()
    suicide_item(team["patient"])
    notifications.send_pending_notifications()
    mail.outbox.clear()
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    notifications.send_pending_notifications()
    (message,) = mail.outbox
    assert message.to == ["oncall@clinic.test"]
    assert "on-call address" in message.body
    assert "/settings/notifications/" not in message.body  # not a clinician's own settings


def test_it_prefers_care_managers_with_an_address_over_the_on_call_one(team: dict[str, Any], settings: Any) -> None:
    settings.MBC_ONCALL_EMAIL = "oncall@clinic.test"
    dana = make_clinician("dana", Role.CARE_MANAGER)
    dana.email = ""
    dana.save()
    add_to_care_team(patient=team["patient"], user=dana, role=Role.CARE_MANAGER)
    suicide_item(team["patient"])
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    rows = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert [(r.recipient_id, r.address) for r in rows] == [(team["charlie"].id, "")]


def test_it_marks_and_logs_an_escalation_with_nobody_to_tell(
    team: dict[str, Any], settings: Any, caplog: Any, alice_client: Client
) -> None:
    settings.MBC_ONCALL_EMAIL = ""
    CareTeamMember.objects.filter(user=team["charlie"]).delete()
    flag = suicide_item(team["patient"])
    with caplog.at_level(logging.WARNING, logger="reassessment.notifications"):
        result = notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    assert result == {"escalated": 0, "nobody_to_escalate_to": 1}
    flag.refresh_from_db()
    assert flag.escalated_at is not None
    assert flag.escalated_to_nobody
    (record,) = caplog.records
    assert f"flag {flag.id} of patient {team['patient'].id}" in record.getMessage()
    assert "Zelda" not in record.getMessage()
    assert "MRN-7731" not in record.getMessage()
    assert "nobody to escalate to" in alice_client.get("/").content.decode()
    page = alice_client.get(f"/patients/{team['patient'].id}/").content.decode()
    assert "nobody could be told" in page
    # Once: the next rounds neither escalate again nor log again.
    caplog.clear()
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=120))
    assert not caplog.records


def test_it_shows_when_a_flag_was_escalated(team: dict[str, Any], alice_client: Client) -> None:
    flag = suicide_item(team["patient"])
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    page = alice_client.get(f"/patients/{team['patient'].id}/").content.decode()
    assert "Escalated at 11:00 on 12 Mar 2026: nobody had acknowledged it." in page
    (row,) = [f for f in alice_client.get(f"/api/v1/flags/?patient={team['patient'].id}").json() if f["id"] == flag.id]
    assert (row["escalated_at"], row["escalation_recipients"]) == ("2026-03-12T11:00:00Z", 1)


# --- what the emails carry ------------------------------------------------------------------------------------------


def numbers_outside_links_and_times(text: str) -> set[str]:
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\d{2}:\d{2} on \d{2} \w+ \d{4}", " ", text)
    return set(re.findall(r"\d+", text))


def test_it_keeps_every_alert_and_escalation_free_of_patient_data(team: dict[str, Any], settings: Any) -> None:
    settings.MBC_ONCALL_EMAIL = "oncall@clinic.test"
    set_notification_settings(user=team["alice"], email_high_flags=True)
    flag = suicide_item(team["patient"], total=23)
    services.raise_flag(high_finding(team["patient"]))
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))
    other = make_patient(team["bob"], external_id="MRN-555", display_name="Otto Nobody")
    suicide_item(other, total=17)
    notifications.escalate_open_flags(now=NOW + timedelta(minutes=60))  # no care manager: the on-call address
    notifications.send_pending_notifications()
    assert len(mail.outbox) == 6  # alice x2 and charlie; charlie's escalation; bob; on-call for Otto
    for message in mail.outbox:
        assert phi_in(message) == []
        text = f"{message.subject}\n{message.body}"
        assert numbers_outside_links_and_times(text) <= {"60"}, text  # the escalation's minutes, no score
        for word in ("PHQ", "HAM-D", "suicid", "severe", "moderate", "diagnos", "F33", "worsening", "Zelda"):
            assert word.lower() not in text.lower(), (word, text)
    assert any(f"/flags/{flag.id}/" in m.body for m in mail.outbox)


def test_the_scanner_finds_a_name_a_record_number_and_another_address(team: dict[str, Any]) -> None:
    leaky = EmailMessage("About Zelda Quist", "MRN-7731 F33.1, copy to bob@clinic.test", to=["alice@clinic.test"])
    found = phi_in(leaky)
    assert found == ["address bob@clinic.test", "name 'Zelda Quist'", "record number 'MRN-7731'",
                     "diagnosis 'F33.1'", "address bob@clinic.test"]


# --- the link, the settings page ------------------------------------------------------------------------------------


def test_it_sends_the_link_to_the_flag_on_the_patient_page(team: dict[str, Any], alice_client: Client) -> None:
    flag = suicide_item(team["patient"])
    response = alice_client.get(f"/flags/{flag.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{team['patient'].id}/#flag-{flag.id}"


def test_it_hides_the_flag_link_from_everyone_else(team: dict[str, Any], bob_client: Client) -> None:
    flag = suicide_item(team["patient"])
    assert bob_client.get(f"/flags/{flag.id}/").status_code == 404
    assert Client().get(f"/flags/{flag.id}/")["Location"] == f"/accounts/login/?next=/flags/{flag.id}/"


def test_it_saves_the_notification_settings(team: dict[str, Any], alice_client: Client) -> None:
    page = alice_client.get("/settings/notifications/")
    assert page.status_code == 200
    assert "Urgent flags" in page.content.decode()
    assert "alice@clinic.test" in page.content.decode()
    assert 'href="/settings/notifications/"' in alice_client.get("/").content.decode()  # linked from the header
    response = alice_client.post("/settings/notifications/", {"email_high_flags": "on"})
    assert response.status_code == 302
    team["alice"].clinician.refresh_from_db()
    assert team["alice"].clinician.email_high_flags is True
    alice_client.post("/settings/notifications/", {})
    team["alice"].clinician.refresh_from_db()
    assert team["alice"].clinician.email_high_flags is False


def test_it_asks_for_a_sign_in_for_the_settings_page() -> None:
    assert Client().get("/settings/notifications/").status_code == 302


# --- one path for every flag ----------------------------------------------------------------------------------------

APP_DIRS = ("instruments", "patients", "reassessment", "frontend", "mbc")
WRITES = re.compile(r"Flag\.objects\.(create|get_or_create|update_or_create|bulk_create)|(?<!class )\bFlag\(")


def test_it_writes_flags_only_through_insert_flags() -> None:
    """A new flag kind (or a new path) that wrote Flag rows its own way would skip the notifications."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in APP_DIRS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if WRITES.search(line)
    ]
    assert offenders == []

