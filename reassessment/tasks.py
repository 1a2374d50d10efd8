"""Celery tasks: thin shells that take ids, call a service, and return counts. Every effect is idempotent."""

from __future__ import annotations

from typing import Any

from celery import group, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from reassessment import notifications, services

# At-least-once delivery (acks_late + reject_on_worker_lost in settings): a task may run twice, which the unique
# dedupe keys make harmless. Transient database errors retry with exponential backoff.
TRANSIENT = (OperationalError, InterfaceError)


# Every retry countdown stays under the broker's visibility_timeout (settings: 5 minutes), or Redis would hand the
# waiting task to a second worker as well.
MAX_BACKOFF = 240


@shared_task(
    name="reassessment.evaluate_patient",
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=MAX_BACKOFF,
    max_retries=8,
)
def evaluate_patient(patient_id: int) -> dict[str, Any]:
    return services.evaluate_patient(patient_id).as_dict()


@shared_task(
    name="reassessment.sweep", autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=MAX_BACKOFF, max_retries=5
)
def sweep() -> dict[str, Any]:
    """Plan today's sweep and hand its chunks to the workers as one group; the reminder outbox sends what they queue."""
    run = services.plan_sweep(today=timezone.localdate())
    chunk_ids = list(run.chunk_set.order_by("first_patient_id").values_list("id", flat=True))
    group(sweep_chunk.si(chunk_id) for chunk_id in chunk_ids).apply_async()
    return {"run": run.id, "chunks": len(chunk_ids)}


@shared_task(
    name="reassessment.sweep_chunk",
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=MAX_BACKOFF,
    max_retries=10,
)
def sweep_chunk(chunk_id: int) -> dict[str, Any]:
    return services.sweep_chunk(chunk_id=chunk_id).as_dict()


@shared_task(
    name="reassessment.send_reminders",
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=MAX_BACKOFF,
    max_retries=5,
)
def send_reminders() -> dict[str, int]:
    return services.send_pending_reminders()



@shared_task(name="reassessment.send_notifications", autoretry_for=TRANSIENT, retry_backoff=10, max_retries=5)
def send_notifications() -> dict[str, int]:
    """The flag-notification outbox: queued right after a flag's commit, and every 5 minutes by beat."""
    return notifications.send_pending_notifications()


@shared_task(name="reassessment.escalate_flags", autoretry_for=TRANSIENT, retry_backoff=30, max_retries=5)
def escalate_flags() -> dict[str, int]:
    """Every 5 minutes (beat): escalate urgent flags nobody acknowledged, then send what is queued."""
    counts = notifications.escalate_open_flags()
    counts.update(notifications.send_pending_notifications())
    return counts
