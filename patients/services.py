"""Writes to the clinical record: patients, care teams, phases, medications, audit events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from instruments import definitions
from patients.drug_classes import DRUG_CLASSES, is_serotonergic_class
from patients.models import (
    AuditEvent,
    CareTeamMember,
    Clinician,
    Medication,
    Modality,
    Patient,
    Preference,
    PreferenceStatement,
    Role,
    Stage,
    Therapy,
    TreatmentPhase,
    default_language,
)
from patients.validators import clinical_date_errors


def record_audit(
    *, user: Any, action: str, what: str, patient_ids: Iterable[int | None], object_id: int | None = None
) -> None:
    """One audit row per patient whose data was viewed or changed (one INSERT for all of them)."""
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(user_id=user_id, patient_id=pid, action=action, what=what, object_id=object_id)
            for pid in patient_ids
        ]
    )


def clinician_role(user: Any) -> str:
    clinician = Clinician.objects.filter(user_id=user.pk).only("role").first()
    return clinician.role if clinician else Role.THERAPIST


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude, validate_unique=True, validate_constraints=False)


def _check_link_instruments(patient: Patient) -> None:
    """A list of distinct self-rated instrument codes (a clinician-rated one is never on a link, DESIGN §2)."""
    value = patient.link_instruments
    self_rated = [d.code for d in definitions.self_rated()]
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError({"link_instruments": ["Give a list of instrument codes, e.g. [\"phq9\", \"gad7\"]."]})
    wrong = [code for code in value if code not in self_rated]
    if wrong:
        choose = ", ".join(self_rated)
        raise ValidationError(
            {"link_instruments": [f"Not a self-rated instrument: {', '.join(wrong)}. Choose from {choose}."]}
        )
    if len(set(value)) != len(value):
        raise ValidationError({"link_instruments": ["Name each instrument once."]})


def _check_course_record(patient: Patient, today: date) -> None:
    """DESIGN §2b: prior_episodes a whole number >= 0; episode_onset neither in the future nor before 1900."""
    errors: dict[str, list[str]] = {}
    if patient.prior_episodes is not None and patient.prior_episodes < 0:
        errors["prior_episodes"] = ["Enter a whole number of 0 or more."]
    onset = patient.episode_onset
    errors.update(clinical_date_errors(today, episode_onset=onset))
    if "episode_onset" not in errors and onset is not None and patient.birth_date and onset < patient.birth_date:
        errors["episode_onset"] = ["The episode cannot begin before the patient's birth date."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_patient(
    *,
    created_by: Any,
    external_id: str,
    display_name: str,
    birth_date: date | None = None,
    diagnosis: str = "",
    email: str = "",
    primary_instrument: str = "phq9",
    reminder_interval_days: int = 28,
    language: str | None = None,
    prior_episodes: int | None = None,
    episode_onset: date | None = None,
    preference: str = Preference.NONE,
    link_instruments: list[str] | None = None,
) -> Patient:
    """Create a patient; the creator joins the care team in their usual role."""
    errors = clinical_date_errors(birth_date=birth_date)
    if errors:
        raise ValidationError(errors)
    patient = Patient(
        external_id=external_id.strip(),
        display_name=display_name.strip(),
        birth_date=birth_date,
        diagnosis=diagnosis.strip().upper(),
        email=email.strip(),
        primary_instrument=primary_instrument,
        reminder_interval_days=reminder_interval_days,
        language=default_language() if language is None else language,
        prior_episodes=prior_episodes,
        episode_onset=episode_onset,
        preference=preference or Preference.NONE,
        link_instruments=list(link_instruments or []),
    )
    _check_course_record(patient, timezone.localdate())
    _check_link_instruments(patient)
    _full_clean(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        # Two clinicians creating the same record number at once: the loser gets the same 400 as a late one.
        raise ValidationError({"external_id": ["A patient with this external id already exists."]}) from None
    add_to_care_team(patient=patient, user=created_by, role=clinician_role(created_by))
    record_audit(user=created_by, action=AuditEvent.Action.CREATE, what="patient", patient_ids=[patient.id])
    return patient


# What PATCH /patients/{id}/ and the patient page's "record" form may change (DESIGN §3: the optional fields).
EDITABLE_FIELDS = (
    "display_name",
    "birth_date",
    "diagnosis",
    "email",
    "primary_instrument",
    "reminder_interval_days",
    "prior_episodes",
    "episode_onset",
    "preference",
    "language",
    "link_instruments",
)


@transaction.atomic
def update_patient(*, patient: Patient, by: Any, changes: dict[str, Any]) -> Patient:
    """Change some of a patient's record fields; all are checked together, and nothing is saved on an error."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    today = timezone.localdate()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    for name, value in changes.items():
        if name == "diagnosis":
            value = (value or "").strip().upper()
        elif name in ("display_name", "email"):
            value = (value or "").strip()
        elif name == "preference":
            value = value or Preference.NONE
        setattr(locked, name, value)
    if "birth_date" in changes:
        errors = clinical_date_errors(today, birth_date=locked.birth_date)
        if errors:
            raise ValidationError(errors)
    _check_course_record(locked, today)
    _check_link_instruments(locked)
    _full_clean(locked)
    if changes:
        locked.save(update_fields=list(changes))
        record_audit(user=by, action=AuditEvent.Action.UPDATE, what="patient", patient_ids=[locked.pk])
    for name in changes:
        setattr(patient, name, getattr(locked, name))
    return patient


PREFERENCE_NOTE_MAX = 500


@transaction.atomic
def record_preference(
    *, patient: Patient, preference: str, note: str = "", now: Any = None
) -> PreferenceStatement:
    """The patient states what they would like to try (their decision-aid page): kept as history, audited.

    The newest statement also becomes Patient.preference, which the clinician sees beside the recommended start.
    """
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if preference not in Preference.values:
        errors["preference"] = ["Choose one of the options."]
    if len(note) > PREFERENCE_NOTE_MAX:
        errors["note"] = [f"Please keep it under {PREFERENCE_NOTE_MAX} characters."]
    if errors:
        raise ValidationError(errors)
    statement = PreferenceStatement.objects.create(
        patient=patient, preference=preference, note=note, stated_at=now or timezone.now()
    )
    Patient.objects.filter(pk=patient.pk).update(preference=preference)
    patient.preference = preference
    record_audit(
        user=None, action=AuditEvent.Action.SUBMIT, what="preference", patient_ids=[patient.pk], object_id=statement.pk
    )
    return statement


def add_to_care_team(*, patient: Patient, user: Any, role: str) -> CareTeamMember:
    member, _ = CareTeamMember.objects.get_or_create(patient=patient, user=user, defaults={"role": role})
    return member


@transaction.atomic
def start_phase(
    *,
    patient: Patient,
    by: Any,
    modality: str,
    stage: str,
    started_on: date,
    therapy: str = "",
    notes: str = "",
) -> TreatmentPhase:
    """Start a treatment phase; the active one (if any) ends the day before (DESIGN §2)."""
    therapy = (therapy or "").strip().lower()  # DESIGN §2: any letter case ("CBT" is cbt), stored lowercase
    errors: dict[str, list[str]] = {}
    if modality not in Modality.values:
        errors["modality"] = [f"Choose one of {', '.join(Modality.values)}."]
    if stage not in Stage.values:
        errors["stage"] = [f"Choose one of {', '.join(Stage.values)}."]
    if therapy and therapy not in Therapy.values:
        errors["therapy"] = [f"Choose one of {', '.join(Therapy.values)}."]
    errors.update(clinical_date_errors(started_on=started_on))
    if "started_on" not in errors and patient.birth_date and started_on < patient.birth_date:
        errors["started_on"] = ["A phase cannot start before the patient's birth date."]
    if errors:
        raise ValidationError(errors)
    # Lock the patient row: two clinicians starting phases at once are serialised here.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    latest = TreatmentPhase.objects.filter(patient=patient).order_by("-started_on", "-id").first()
    if latest is not None and started_on <= latest.started_on:
        raise ValidationError(
            {"started_on": [f"A new phase must start after the current phase's start ({latest.started_on})."]}
        )
    if latest is not None and latest.ended_on is None:
        latest.ended_on = started_on - timedelta(days=1)
        latest.save(update_fields=["ended_on"])
    phase = TreatmentPhase.objects.create(
        patient=patient,
        modality=modality,
        stage=stage,
        started_on=started_on,
        therapy=therapy,
        notes=notes,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    record_audit(user=by, action=AuditEvent.Action.CREATE, what="phase", patient_ids=[patient.id], object_id=phase.id)
    return phase


@transaction.atomic
def add_medication(
    *,
    patient: Patient,
    by: Any,
    name: str,
    drug_class: str,
    started_on: date,
    serotonergic: bool | None = None,
    dose: str = "",
    stopped_on: date | None = None,
) -> Medication:
    """Record a medication; `serotonergic` defaults from its class (one table: patients.drug_classes)."""
    errors: dict[str, list[str]] = {}
    if drug_class not in DRUG_CLASSES:
        errors["drug_class"] = [f"Choose one of {', '.join(DRUG_CLASSES)}."]
    errors.update(clinical_date_errors(started_on=started_on, stopped_on=stopped_on))
    if stopped_on is not None and stopped_on < started_on and "stopped_on" not in errors:
        errors["stopped_on"] = ["The stop date is before the start date."]
    if not name.strip():
        errors["name"] = ["This field may not be blank."]
    if errors:
        raise ValidationError(errors)
    medication = Medication(
        patient=patient,
        name=name.strip(),
        drug_class=drug_class,
        serotonergic=is_serotonergic_class(drug_class) if serotonergic is None else serotonergic,
        dose=dose.strip(),
        started_on=started_on,
        stopped_on=stopped_on,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _full_clean(medication, exclude=["patient", "created_by"])
    medication.save()
    record_audit(
        user=by, action=AuditEvent.Action.CREATE, what="medication", patient_ids=[patient.id], object_id=medication.id
    )
    return medication


@transaction.atomic
def create_clinician(*, username: str, email: str = "", role: str = Role.THERAPIST, password: str) -> Any:
    """A Django user with a clinician profile; the password passes Django's validators."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [f"Choose one of {', '.join(Role.values)}."]
    if user_model.objects.filter(username=username).exists():
        errors["username"] = [f"A user named {username!r} already exists."]
    user = user_model(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    Clinician.objects.create(user=user, role=role)
    return user


@transaction.atomic
def set_notification_settings(*, user: Any, email_high_flags: bool) -> Clinician:
    """A clinician's email settings: high-severity flags on or off (urgent flags always email)."""
    clinician, _ = Clinician.objects.update_or_create(user=user, defaults={"email_high_flags": email_high_flags})
    return clinician


@transaction.atomic
def update_medication(
    *, medication: Medication, by: Any, stopped_on: date | None = None, dose: str | None = None, today: date
) -> Medication:
    """Stop a medication (stopped_on: not before its start, not in the future) and/or correct its recorded dose.

    A dose correction edits the row; a dose *change* from a day on is `change_medication_dose` (a new row).
    """
    errors: dict[str, list[str]] = {}
    if stopped_on is None and dose is None:
        errors["stopped_on"] = ["Give stopped_on, dose or both."]
    if stopped_on is not None and stopped_on < medication.started_on:
        errors["stopped_on"] = [f"The stop date is before the start date ({medication.started_on.isoformat()})."]
    elif stopped_on is not None and stopped_on > today:
        errors["stopped_on"] = ["A medication cannot be stopped in the future."]
    if dose is not None and len(dose.strip()) > 120:
        errors["dose"] = ["Keep the dose under 120 characters."]
    if errors:
        raise ValidationError(errors)
    fields = []
    if stopped_on is not None:
        medication.stopped_on = stopped_on
        fields.append("stopped_on")
    if dose is not None:
        medication.dose = dose.strip()
        fields.append("dose")
    medication.save(update_fields=fields)
    record_audit(
        user=by, action=AuditEvent.Action.UPDATE, what="medication", patient_ids=[medication.patient_id],
        object_id=medication.id,
    )
    return medication


@transaction.atomic
def change_medication_dose(*, medication: Medication, by: Any, dose: str, on: date, today: date) -> Medication:
    """DESIGN §2b dose change, one action: the row stops the day before `on`, a new row of the same drug starts on
    `on` with the new dose (and any planned stop of the old one). Returns the new row."""
    errors: dict[str, list[str]] = {}
    if not (dose or "").strip():
        errors["dose"] = ["Give the new dose."]
    elif len(dose.strip()) > 120:
        errors["dose"] = ["Keep the dose under 120 characters."]
    # Lock the row: two clinicians changing the same dose at once are serialised, the second sees it stopped.
    current = Medication.objects.select_for_update().get(pk=medication.pk)
    if on > today:
        errors["on"] = ["A dose change cannot be in the future."]
    elif on <= current.started_on:
        errors["on"] = [f"A dose change must come after the medication's start ({current.started_on.isoformat()})."]
    elif current.stopped_on is not None and current.stopped_on < on:
        errors["on"] = [f"This medication was stopped on {current.stopped_on.isoformat()}; record it again instead."]
    if errors:
        raise ValidationError(errors)
    planned_stop = current.stopped_on
    current.stopped_on = on - timedelta(days=1)
    current.save(update_fields=["stopped_on"])
    new = Medication.objects.create(
        patient_id=current.patient_id,
        name=current.name,
        drug_class=current.drug_class,
        serotonergic=current.serotonergic,
        dose=dose.strip(),
        started_on=on,
        stopped_on=planned_stop,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    for row in (current, new):
        record_audit(
            user=by, action=AuditEvent.Action.UPDATE if row is current else AuditEvent.Action.CREATE,
            what="medication", patient_ids=[current.patient_id], object_id=row.id,
        )
    medication.refresh_from_db()
    return new
