"""Writes of the flag-notification outbox: alert the care team of a new urgent (or high) flag, escalate an urgent
flag nobody acknowledged, and send the emails. Every email names no patient (DESIGN 3b): it says a flag needs a
clinician and links to it behind the sign-in.

The outbox is the reminders' pattern (healthchecks' sendalerts): a Notification row is written in the transaction
that raises or escalates the flag; a task sends it right after commit and beat sends whatever is left every 5
minutes; each row is claimed by conditional UPDATE, so two senders never send it twice, and a claim left by a killed
worker expires after CLAIM_TIMEOUT and is sent once by the next round.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from patients.models import CareTeamMember, Role
from reassessment.models import Flag, FlagKind, FlagSeverity, FlagStatus, Notification

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
# Short: an urgent alert whose sender died is resent by the next beat round after this, not hours later.
CLAIM_TIMEOUT = timedelta(minutes=2)

URGENT_SUBJECT = "mbc: an urgent flag needs you — sign in"
HIGH_SUBJECT = "mbc: a flag needs you — sign in"


def is_urgent(severity: str, kind: str) -> bool:
    return severity == FlagSeverity.URGENT or kind == FlagKind.SUICIDE_RISK


def enqueue_sending() -> None:
    from reassessment.services import enqueue

    enqueue("send_notifications", recovery="beat sends it within 5 minutes")


class NewFlag(NamedTuple):
    """A flag just inserted, as the insert returns it: what deciding its notifications needs."""

    id: int
    patient_id: int
    severity: str
    kind: str


def queue_flag_alerts(created: Sequence[NewFlag]) -> int:
    """Outbox rows for new flags: every active care-team member for an urgent flag, those who opted in for a high one.

    Called by `services.insert_flags` inside the transaction that inserts the flags; idempotent (unique dedupe key
    per flag and recipient). One query when a flag is urgent or high, none otherwise. Returns how many rows were
    queued.
    """
    flags = [f for f in created if is_urgent(f.severity, f.kind) or f.severity == FlagSeverity.HIGH]
    if not flags:
        return 0
    team: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    members = CareTeamMember.objects.filter(
        patient_id__in={patient_id for _, patient_id, _, _ in flags}, user__is_active=True
    ).values_list("patient_id", "user_id", "user__clinician__email_high_flags")
    for patient_id, user_id, wants_high in members:
        team[patient_id].append((user_id, bool(wants_high)))
    rows = [
        Notification(
            flag_id=flag_id,
            kind=Notification.Kind.ALERT,
            recipient_id=user_id,
            dedupe_key=f"flag:{flag_id}:alert:user:{user_id}",
        )
        for flag_id, patient_id, severity, kind in flags
        for user_id, wants_high in team[patient_id]
        if is_urgent(severity, kind) or wants_high
    ]
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        transaction.on_commit(enqueue_sending)
    return len(rows)


def escalation_due_before(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.MBC_ESCALATE_AFTER_MINUTES)


def escalate_open_flags(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Escalate, once, each urgent flag still open MBC_ESCALATE_AFTER_MINUTES after it was raised.

    The flag is claimed by a conditional UPDATE of escalated_at (acknowledged or resolved flags, and flags already
    escalated, never match), and its outbox rows are written in the same transaction: to the care team's care
    managers who have an email address, else to MBC_ONCALL_EMAIL. With neither, the flag is still marked escalated
    (with 0 recipients, which the patient page and the admin show) and a warning naming only ids is logged.
    """
    now = now or timezone.now()
    due = Q(severity=FlagSeverity.URGENT, status=FlagStatus.OPEN, escalated_at__isnull=True)
    overdue = Flag.objects.filter(due, created_at__lte=escalation_due_before(now)).order_by("id")
    ids = list(overdue.values_list("id", flat=True)[:limit])
    escalated = nobody = 0
    for flag_id in ids:
        with transaction.atomic():
            if not Flag.objects.filter(due, pk=flag_id).update(escalated_at=now):
                continue  # acknowledged meanwhile, or another beat round took it
            patient_id = Flag.objects.values_list("patient_id", flat=True).get(pk=flag_id)
            managers = list(
                CareTeamMember.objects.filter(patient_id=patient_id, role=Role.CARE_MANAGER, user__is_active=True)
                .exclude(user__email="")
                .order_by("user_id")
                .values_list("user_id", flat=True)
            )
            rows = [
                Notification(
                    flag_id=flag_id,
                    kind=Notification.Kind.ESCALATION,
                    recipient_id=user_id,
                    dedupe_key=f"flag:{flag_id}:escalation:user:{user_id}",
                )
                for user_id in managers
            ]
            if not rows and settings.MBC_ONCALL_EMAIL:
                rows = [
                    Notification(
                        flag_id=flag_id,
                        kind=Notification.Kind.ESCALATION,
                        address=settings.MBC_ONCALL_EMAIL,
                        dedupe_key=f"flag:{flag_id}:escalation:oncall",
                    )
                ]
            Flag.objects.filter(pk=flag_id).update(escalation_recipients=len(rows))
            if rows:
                Notification.objects.bulk_create(rows, ignore_conflicts=True)
                transaction.on_commit(enqueue_sending)
                escalated += 1
            else:
                nobody += 1
                log.warning(
                    "flag %s of patient %s is urgent and unacknowledged after %s minutes, but there is nobody to "
                    "escalate to: no care manager with an email on the care team and no MBC_ONCALL_EMAIL",
                    flag_id,
                    patient_id,
                    settings.MBC_ESCALATE_AFTER_MINUTES,
                )
    return {"escalated": escalated, "nobody_to_escalate_to": nobody}


def flag_url(flag_id: int) -> str:
    return f"{settings.MBC_BASE_URL}/flags/{flag_id}/"


def notification_email(notification: Notification, flag: Flag) -> tuple[str, str]:
    """Subject and body. No name, record number, score, diagnosis or flag kind: only that a flag needs someone,
    when it was raised, and the link (which works only after signing in, for the patient's care team)."""
    raised = timezone.localtime(flag.created_at)
    when = f"{raised:%H:%M} on {raised:%d %B %Y}"
    urgent = is_urgent(flag.severity, flag.kind)
    if notification.kind == Notification.Kind.ESCALATION:
        minutes = settings.MBC_ESCALATE_AFTER_MINUTES
        why = (
            "as a care manager on the patient's care team"
            if notification.recipient_id
            else "as the clinic's on-call address (no care manager is on the patient's care team)"
        )
        opening = (
            f"An urgent flag raised at {when} has been open for {minutes} minutes or more and nobody on the care "
            f"team has acknowledged it. You get this {why}."
        )
    else:
        opening = (
            f"{'An urgent' if urgent else 'A high-priority'} flag was raised at {when} for a patient on your care "
            "team and needs a clinician."
        )
    body = (
        f"{opening}\n\nSign in to see it:\n\n{flag_url(flag.pk)}\n\n"
        "This email leaves out every detail of the patient on purpose.\n"
    )
    if notification.recipient_id:
        body += f"Which flags email you: {settings.MBC_BASE_URL}/settings/notifications/\n"
    return (URGENT_SUBJECT if urgent or notification.kind == Notification.Kind.ESCALATION else HIGH_SUBJECT), body


def send_pending_notifications(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The outbox loop: claim each unsent notification by conditional update, send it, mark it."""
    now = now or timezone.now()
    sent = no_email = not_needed = failed = 0
    pending = Q(sent_at__isnull=True, outcome=Notification.Outcome.PENDING, attempts__lt=MAX_SEND_ATTEMPTS)
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    ids = list(Notification.objects.filter(pending & claimable).order_by("id").values_list("id", flat=True)[:limit])
    for notification_id in ids:
        if not Notification.objects.filter(pending & claimable, pk=notification_id).update(
            claimed_at=now, attempts=F("attempts") + 1
        ):
            continue  # another sender claimed it first
        notification = Notification.objects.select_related("flag", "recipient").get(pk=notification_id)
        flag = notification.flag
        done = Notification.objects.filter(pk=notification_id)
        if flag.status != FlagStatus.OPEN:
            # Acknowledged (or resolved) before the email left: it no longer needs anyone.
            done.update(outcome=Notification.Outcome.NOT_NEEDED, sent_at=now)
            not_needed += 1
            continue
        user = notification.recipient
        address = notification.address or (user.email if user is not None and user.is_active else "")
        if not address:
            log.warning("notification %s about flag %s: user %s has no email address", notification_id,
                        flag.pk, notification.recipient_id)
            done.update(outcome=Notification.Outcome.NO_EMAIL, sent_at=now)
            no_email += 1
            continue
        subject, body = notification_email(notification, flag)
        try:
            send_mail(subject, body, None, [address])
        except Exception as exc:  # SMTP errors are many; the row stays pending and is retried, up to 5 attempts
            log.warning("notification %s about flag %s not sent (%s)", notification_id, flag.pk, type(exc).__name__)
            if notification.attempts >= MAX_SEND_ATTEMPTS:
                done.update(outcome=Notification.Outcome.FAILED)
            failed += 1
            continue
        done.update(outcome=Notification.Outcome.SENT, sent_at=timezone.now())
        log.info("notification %s (%s) about flag %s sent", notification_id, notification.kind, flag.pk)
        sent += 1
    return {"sent": sent, "no_email": no_email, "not_needed": not_needed, "failed": failed}
