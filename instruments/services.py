"""Writes of assessments: validate answers against the definition, score them on the server, save idempotently."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import dateparse, timezone

from instruments import definitions, scoring
from instruments.models import Assessment, Source
from patients.models import AuditEvent, Patient
from patients.services import record_audit
from patients.validators import check_clinical_date, check_clinical_moment


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
        return check_clinical_moment(parsed, field="administered_at", now=now)
    check_clinical_date(parsed, field="administered_at", today=today)
    return timezone.make_aware(datetime.combine(parsed, time(12, 0)))


class SubmissionConflict(ValidationError):
    """A submission that clashes with one already recorded (the API answers 409, a page shows the message)."""


CLIENT_ID_CONFLICT = (
    "This client_id was already used for this patient with other answers; the first submission was kept and this "
    "one was not saved. Send a new client_id for a new assessment."
)


def same_content(
    assessment: Assessment,
    *,
    instrument: str,
    items: list[int],
    difficulty: int | None,
    administered_at: datetime | None,
) -> bool:
    """Whether a repeated submission is the recorded one again (administered_at None: the server's, not compared)."""
    return (
        assessment.instrument == instrument
        and list(assessment.items) == items
        and assessment.difficulty == difficulty
        and (administered_at is None or assessment.administered_at == administered_at)
    )


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
    """Save one scored assessment; returns (assessment, created).

    The same client_id for the same patient with the same content (instrument, items, administered_at, difficulty)
    returns the first one; with other content it is a SubmissionConflict and nothing is saved: a retry is safe, a
    reused id never silently drops answers (issue 9 item 7). Runs inside the caller's transaction
    (reassessment.services.submit_assessment wraps it with the safety check).
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

    if client_id:
        existing = Assessment.objects.filter(patient=patient, client_id=client_id).first()
        if existing is not None:
            return _same_or_conflict(existing, definition.code, answers, extra, moment), False

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
        # The same client_id raced in from a retry: the unique constraint decided; the winner stands.
        if client_id:
            winner = Assessment.objects.get(patient=patient, client_id=client_id)
            return _same_or_conflict(winner, definition.code, answers, extra, moment), False
        raise
    return assessment, True


def _same_or_conflict(
    existing: Assessment, instrument: str, items: list[int], difficulty: int | None, moment: datetime
) -> Assessment:
    if not same_content(existing, instrument=instrument, items=items, difficulty=difficulty, administered_at=moment):
        raise SubmissionConflict({"client_id": [CLIENT_ID_CONFLICT]})
    return existing


@transaction.atomic
def mark_entered_in_error(
    *, assessment: Assessment, by: Any, reason: object, now: datetime | None = None
) -> Assessment:
    """Mark an assessment entered by mistake (who, when, why). It stays in the record and the audit trail; the rules,
    charts, summaries and outcomes leave it out (Assessment.objects.in_effect()). Nothing clinical is deleted.

    A claim by conditional update: marked once, whoever clicks second is told it already is.
    """
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError({"reason": ["Say why this assessment was entered in error."]})
    if len(text) > 2000:
        raise ValidationError({"reason": ["Keep the reason under 2000 characters."]})
    changed = Assessment.objects.filter(pk=assessment.pk, entered_in_error_at__isnull=True).update(
        entered_in_error_at=now or timezone.now(),
        entered_in_error_by=by if getattr(by, "is_authenticated", False) else None,
        entered_in_error_reason=text,
    )
    if not changed:
        raise ValidationError({"entered_in_error": ["This assessment is already marked as entered in error."]})
    record_audit(
        user=by,
        action=AuditEvent.Action.UPDATE,
        what="assessment_entered_in_error",
        patient_ids=[assessment.patient_id],
        object_id=assessment.pk,
    )
    assessment.refresh_from_db()
    return assessment
