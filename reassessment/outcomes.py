"""Reads for the outcomes page: response and remission by modality and by sequencing, partial responders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from patients.models import TreatmentPhase
from patients.selectors import aggregate_patients
from reassessment import engine
from reassessment.models import Flag
from reassessment.selectors import active_phase_facts, rules, score_points

SEQUENCES = {"medication": "medication_first", "psychotherapy": "therapy_first", "combined": "concurrent"}


@dataclass(frozen=True)
class Rate:
    """Response and remission among the evaluable phases (or patients) of one group."""

    key: str
    evaluable: int = 0
    responded: int = 0
    remitted: int = 0

    @property
    def response_pct(self) -> float | None:
        return round(100 * self.responded / self.evaluable, 1) if self.evaluable else None

    @property
    def remission_pct(self) -> float | None:
        return round(100 * self.remitted / self.evaluable, 1) if self.evaluable else None


@dataclass(frozen=True)
class Outcomes:
    scope: str  # "clinic" (staff) or "caseload"
    patients: int
    by_modality: list[Rate]  # per phase reassessed at 4+ weeks, by the phase's modality
    by_sequencing: list[Rate]  # per patient, first phase's baseline to the latest score, by the first modality
    reassessed_patients: int  # patients with at least one phase reassessed at 4+ weeks
    partial_flagged: int  # of those, patients flagged as partial responders
    partial_single: int  # ... flagged on a medication-only or therapy-only phase
    partial_added: int  # ... who had the other modality added (a combined phase) within 4 weeks of the flag


def outcomes(user: Any, today: date) -> Outcomes:
    """Response and remission by modality and by sequencing, and what became of partial responders: 4 queries.

    A phase counts once it has a reassessment (a score on day 28 or later); its category is the engine's. A patient's
    sequence is the modality of their first phase; their outcome compares that phase's baseline with their latest
    score, once that score is 4 weeks or more after the first start.
    """
    from fractions import Fraction

    current = rules()
    population = aggregate_patients(user).filter(active=True)
    staff = getattr(user, "is_staff", False)
    patient_count = population.count()
    facts = active_phase_facts(TreatmentPhase.objects.filter(patient__in=population), today)
    points = score_points(facts)
    flags = list(
        Flag.objects.filter(patient__in=population, kind="partial_response").values_list(
            "patient_id", "phase_id", "evidence", "created_at"
        )
    )

    phases_by_patient: dict[int, list[engine.PhaseFacts]] = defaultdict(list)
    for f in facts:
        phases_by_patient[f.patient_id].append(f)
    evaluable = ("remission", "response", "improving", "partial_response")
    modality_counts = {m: [0, 0, 0] for m in engine.MODALITIES}
    sequence_counts = {s: [0, 0, 0] for s in SEQUENCES.values()}
    reassessed: set[int] = set()
    for patient_id, phases in phases_by_patient.items():
        phases.sort(key=lambda f: (f.started_on, f.phase_id))
        scores = points.get(patient_id, [])
        first_summary = None
        for f in phases:
            s = engine.summarize(f, scores, today, current)
            first_summary = first_summary or s
            if s.category in evaluable:
                reassessed.add(patient_id)
                c = modality_counts[f.modality]
                c[0] += 1
                c[1] += s.category in ("response", "remission")
                c[2] += s.category == "remission"
        first = phases[0]
        baseline = first_summary.baseline if first_summary else None
        past = [p for p in scores if p.day <= today]
        if baseline is None or not past:
            continue
        latest = max(past, key=lambda p: (p.administered_at, p.assessment_id))
        if (latest.day - first.started_on).days < current.checkpoint_days:
            continue
        remitted = engine.in_remission(latest.total, first.instrument)
        pct = engine.improvement(baseline.total, latest.total)
        c = sequence_counts[SEQUENCES[first.modality]]
        c[0] += 1
        c[1] += remitted or (pct is not None and pct >= Fraction(str(current.response_min_pct)))
        c[2] += remitted

    first_flag: dict[int, tuple[date, int | None]] = {}
    for patient_id, phase_id, evidence, created_at in flags:
        when = _evidence_date(evidence, created_at)
        if patient_id not in first_flag or when < first_flag[patient_id][0]:
            first_flag[patient_id] = (when, phase_id)
    phase_by_id = {f.phase_id: f for f in facts}
    single = added = 0
    window = timedelta(days=current.checkpoint_days)
    for patient_id, (when, phase_id) in first_flag.items():
        flagged_phase = phase_by_id.get(phase_id) if phase_id else None
        if flagged_phase is None or flagged_phase.modality == "combined":
            continue
        single += 1
        if any(
            f.modality == "combined" and flagged_phase.started_on < f.started_on <= when + window
            for f in phases_by_patient[patient_id]
        ):
            added += 1
    return Outcomes(
        scope="clinic" if staff else "caseload",
        patients=patient_count,
        by_modality=[Rate(m, *modality_counts[m]) for m in engine.MODALITIES],
        by_sequencing=[Rate(s, *sequence_counts[s]) for s in SEQUENCES.values()],
        reassessed_patients=len(reassessed),
        partial_flagged=len(first_flag),
        partial_single=single,
        partial_added=added,
    )


def _evidence_date(evidence: Any, created_at: Any) -> date:
    """The clinical date of a partial-response flag: its reassessment's date, else the day it was raised."""
    from django.utils import timezone

    try:
        return date.fromisoformat(str(evidence["reassessment_date"]))
    except (KeyError, TypeError, ValueError):
        return timezone.localdate(created_at)
