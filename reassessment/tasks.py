"""Celery tasks: thin shells that take ids, call a service, and return counts. Every effect is idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reassessment import services

# At-least-once delivery (acks_late + reject_on_worker_lost in settings): a task may run twice, which the unique
# dedupe keys make harmless. Transient database errors retry with exponential backoff.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    name="reassessment.evaluate_patient",
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
)
def evaluate_patient(patient_id: int) -> dict[str, Any]:
    return services.evaluate_patient(patient_id).as_dict()


@shared_task(name="reassessment.sweep", autoretry_for=TRANSIENT, retry_backoff=60, max_retries=5)
def sweep() -> dict[str, Any]:
    counts = services.sweep().as_dict()
    send_reminders.delay()
    return counts


@shared_task(name="reassessment.send_reminders", autoretry_for=TRANSIENT, retry_backoff=30, max_retries=5)
def send_reminders() -> dict[str, int]:
    return services.send_pending_reminders()

