"""Writes of assessments: validate answers against the definition, score them on the server, save idempotently."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import dateparse, timezone

from instruments import definitions, scoring
from instruments.models import Assessment, Source
from patients.models import Patient

# A device clock a little ahead of the server's is not "the future" (DESIGN §2: more than 5 minutes after now).
FUTURE_TOLERANCE = timedelta(minutes=5)


def parse_administered_at(value: object, *, now: datetime | None = None) -> datetime:
    """An ISO date (stored as 12:00 clinic-local) or datetime (naive = clinic-local), not in the future."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    parsed: date | datetime | None
    if isinstance(value, datetime | date):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = dateparse.parse_datetime(text) if ("T" in text or " " in text) else dateparse.parse_date(text)
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise ValidationError({"administered_at": ["Enter an ISO date (YYYY-MM-DD) or date and time."]})
    if isinstance(parsed, datetime):
        moment = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        if moment > now + FUTURE_TOLERANCE:
            raise ValidationError({"administered_at": ["This date and time is in the future."]})
        return moment
    if parsed > today:
        raise ValidationError({"administered_at": ["This date is in the future."]})
    return timezone.make_aware(datetime.combine(parsed, time(12, 0)))


def _messages(exc: scoring.AnswersError) -> ValidationError:
    return ValidationError({key: msgs for key, msgs in exc.messages.items()})


def record_assessment(
    *,
    patient: Patient,
    instrument: str,
    items: object,
    administered_at: object,
    source: str,
    entered_by: Any = None,
    client_id: str | None = None,
    difficulty: object = None,
    now: datetime | None = None,
) -> tuple[Assessment, bool]:
    """Save one scored assessment; returns (assessment, created). The same client_id again returns the first one.

    Runs inside the caller's transaction (reassessment.services.submit_assessment wraps it with the safety check).
    """
    errors: dict[str, list[str]] = {}
    definition = definitions.REGISTRY.get(instrument) if isinstance(instrument, str) else None
    if definition is None:
        raise ValidationError({"instrument": [f"Unknown instrument; choose one of {', '.join(definitions.REGISTRY)}."]})
    if source not in Source.values:
        raise ValidationError({"source": [f"Choose one of {', '.join(Source.values)}."]})
    if source == Source.SELF_REPORT and definition.rater != "self":
        errors["instrument"] = [f"{definition.name} is clinician-rated and cannot be self-reported."]
    if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= 64):
        errors["client_id"] = ["Enter a text of 1 to 64 characters."]

    if client_id and not errors:
        existing = Assessment.objects.filter(patient=patient, client_id=client_id).first()
        if existing is not None:
            return existing, False

    answers: list[int] = []
    extra: int | None = None
    try:
        answers = scoring.check_items(definition, items)
    except scoring.AnswersError as exc:
        errors.update(exc.messages)
    try:
        extra = scoring.check_extra(definition, "difficulty", difficulty)
    except scoring.AnswersError as exc:
        errors.update(exc.messages)
    moment: datetime | None = None
    try:
        moment = parse_administered_at(administered_at, now=now)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if moment is not None and patient.birth_date and timezone.localdate(moment) < patient.birth_date:
        errors["administered_at"] = ["This date is before the patient's birth date."]
    if errors or moment is None:
        raise ValidationError(errors)

    result = scoring.score(definition, answers)
    assessment = Assessment(
        patient=patient,
        instrument=definition.code,
        instrument_version=definition.version,
        items=answers,
        difficulty=extra,
        total=result.total,
        severity=result.severity,
        administered_at=moment,
        administered_on=timezone.localdate(moment),
        source=source,
        entered_by=entered_by if getattr(entered_by, "is_authenticated", False) else None,
        client_id=client_id or None,
    )
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        # The same client_id raced in from a retry: the unique constraint decided; return the winner.
        if client_id:
            return Assessment.objects.get(patient=patient, client_id=client_id), False
        raise
    return assessment, True
