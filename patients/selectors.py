"""Reads of the clinical record. Every read of patient data starts from `visible_patients` (the one access rule)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from patients.models import Medication, Patient, PhaseQuerySet, PreferenceStatement, TreatmentPhase


def visible_patients(user: Any) -> QuerySet[Patient]:
    """The patients whose care team `user` is on; nobody else's, whatever the user's staff status."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Patient.objects.none()
    return Patient.objects.filter(care_team__user_id=user.pk)


def aggregate_patients(user: Any) -> QuerySet[Patient]:
    """Whose data may feed counts (never rows) for the user: the whole clinic for staff, else `visible_patients`.

    The only other access rule, kept beside the first: the outcomes page's clinic-wide rates (issue: dashboards).
    """
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False):
        return Patient.objects.all()
    return visible_patients(user)


def visible_patient(user: Any, patient_id: object) -> Patient:
    """One patient of the user's care teams; Http404 otherwise (never 403: no hint that the id exists)."""
    try:
        pk = int(str(patient_id))
    except ValueError:
        raise Http404 from None
    patient = visible_patients(user).filter(pk=pk).first()
    if patient is None:
        raise Http404
    return patient


def phases_of(patient: Patient) -> PhaseQuerySet:
    """Phases, newest first."""
    return TreatmentPhase.objects.filter(patient=patient).order_by("-started_on", "-id")


def medications_in_effect(patient: Patient, today: date) -> QuerySet[Medication]:
    """The patient's medications taken today: started on or before it and not stopped before it."""
    return Medication.objects.filter(patient=patient, started_on__lte=today).filter(
        Q(stopped_on__isnull=True) | Q(stopped_on__gte=today)
    )


def latest_preference(patient: Patient) -> PreferenceStatement | None:
    """What the patient last said they would like to try, from their decision-aid page; None if never."""
    return PreferenceStatement.objects.filter(patient=patient).first()


def medications_of(patient: Patient, today: date) -> QuerySet[Medication]:
    """Medications, active ones first (started, and not stopped before today), then newest first."""
    active = Q(started_on__lte=today) & (Q(stopped_on__isnull=True) | Q(stopped_on__gte=today))
    return (
        Medication.objects.filter(patient=patient)
        .annotate(stopped_rank=Case(When(active, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("stopped_rank", "-started_on", "-id")
    )


def visible_medication(user: Any, patient_id: object, medication_id: object) -> Medication:
    """One medication of one of the user's patients; Http404 otherwise (the patient first, through the one rule)."""
    patient = visible_patient(user, patient_id)
    try:
        pk = int(str(medication_id))
    except ValueError:
        raise Http404 from None
    medication = Medication.objects.filter(patient=patient, pk=pk).select_related("patient").first()
    if medication is None:
        raise Http404
    return medication
