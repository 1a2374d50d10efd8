"""Reads for export: a patient's record as FHIR, a caseload's assessments and flags as CSV rows (care team only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from instruments.models import Assessment
from interop import fhir
from patients.models import Modality, Patient, Stage
from patients.selectors import medications_of, phases_of, visible_patient, visible_patients
from reassessment.models import Flag


def _facts(a: Assessment) -> fhir.AssessmentFacts:
    return fhir.AssessmentFacts(
        id=a.id, instrument=a.instrument, items=list(a.items), difficulty=a.difficulty, total=a.total,
        severity=a.severity, administered_at=a.administered_at, source=a.source,
        entered_in_error=a.entered_in_error_at is not None,
    )


def exportable_assessments(patients: Any) -> Any:
    """Assessments of the given patients, oldest first."""
    return Assessment.objects.filter(patient__in=patients).order_by("administered_at", "id")


def assessment_entries(patient: Patient, assessments: list[Assessment]) -> list[dict[str, Any]]:
    """QuestionnaireResponse and Observations of each assessment, referring to the patient's Patient entry."""
    patient_url = fhir.full_url("patient", patient.id)
    subject = fhir.subject_reference(patient_url, patient.external_id)
    entries: list[dict[str, Any]] = []
    for a in assessments:
        facts = _facts(a)
        response_url = fhir.full_url("questionnaire-response", a.id)
        entries.append(fhir.entry(response_url, fhir.response_resource(facts, subject)))
        entries.extend(fhir.observation_entries(facts, subject, response_url))
    return entries


def patient_bundle(user: Any, patient_id: object, *, today: date, now: datetime) -> tuple[Patient, dict[str, Any]]:
    """The patient (of the user's care teams) as a FHIR Bundle of type collection."""
    patient = visible_patient(user, patient_id)
    patient_url = fhir.full_url("patient", patient.id)
    subject = fhir.subject_reference(patient_url, patient.external_id)
    entries = [
        fhir.entry(
            patient_url,
            fhir.patient_resource(
                patient_id=patient.id, external_id=patient.external_id, display_name=patient.display_name,
                birth_date=patient.birth_date, language=patient.language,
            ),
        )
    ]
    entries.extend(assessment_entries(patient, list(exportable_assessments([patient.id]))))
    modality_labels = dict(Modality.choices)
    stage_labels = dict(Stage.choices)
    for phase in reversed(list(phases_of(patient))):
        entries.append(
            fhir.entry(
                fhir.full_url("care-plan", phase.id),
                fhir.care_plan_resource(
                    modality=phase.modality, modality_label=modality_labels[phase.modality],
                    stage=stage_labels[phase.stage].lower(), therapy=phase.therapy, started_on=phase.started_on,
                    ended_on=phase.ended_on, notes=phase.notes, subject=subject,
                ),
            )
        )
    for med in medications_of(patient, today):
        active = med.started_on <= today and (med.stopped_on is None or med.stopped_on >= today)
        entries.append(
            fhir.entry(
                fhir.full_url("medication-statement", med.id),
                fhir.medication_statement_resource(
                    name=med.name, drug_class=med.drug_class, dose=med.dose, started_on=med.started_on,
                    stopped_on=med.stopped_on, active=active, subject=subject,
                ),
            )
        )
    return patient, fhir.bundle(entries, timestamp=now)


# ---------------------------------------------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------------------------------------------

MAX_ITEMS = 20  # the longest instrument (PCL-5): item_1..item_20 columns


def assessment_rows(user: Any) -> Iterator[list[Any]]:
    """One row per assessment of the user's patients, in the import's columns (a round trip is lossless).

    An assessment marked entered in error is left out: the file has no column to say so, and a spreadsheet or an
    import would take its score as valid. (The FHIR export keeps it, with status entered-in-error.)"""
    qs = (
        exportable_assessments(visible_patients(user))
        .filter(entered_in_error_at__isnull=True)
        .select_related("patient")
        .only("id", "instrument", "items", "difficulty", "total", "severity", "administered_at", "source",
              "patient__external_id")
    )
    for a in qs.iterator(chunk_size=2000):
        items = list(a.items) + [""] * (MAX_ITEMS - len(a.items))
        yield [a.patient.external_id, a.instrument, a.administered_at.isoformat(), *items,
               "" if a.difficulty is None else a.difficulty, a.total, a.severity, a.source]


def flag_rows(user: Any) -> Iterator[list[Any]]:
    qs = (
        Flag.objects.filter(patient__in=visible_patients(user))
        .select_related("patient")
        .only("id", "kind", "severity", "status", "recommendation", "created_at", "assessment_id",
              "patient__external_id")
        .order_by("created_at", "id")
    )
    for f in qs.iterator(chunk_size=2000):
        yield [f.patient.external_id, f.id, f.kind, f.severity, f.status, f.recommendation, f.created_at.isoformat(),
               f.assessment_id or ""]
