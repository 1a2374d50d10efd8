"""Reads for the checks: engine facts for many patients in a few queries, summaries, flags and the caseload."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from instruments import definitions
from instruments.models import Assessment
from patients.models import Patient, TreatmentPhase
from patients.selectors import visible_patients
from reassessment import engine
from reassessment.models import SEVERITY_RANK, Flag, FlagStatus, SelfReportLink


def rules() -> engine.Rules:
    return engine.Rules.from_mapping(settings.MBC_RULES)


def instrument_rules(code: str) -> engine.InstrumentRules:
    d = definitions.get(code)
    return engine.InstrumentRules(
        code=d.code, remission_max=d.remission_max, reliable_change=d.reliable_change, moderate_min=d.moderate_min
    )


_PHASE_FIELDS = (
    "id",
    "patient_id",
    "modality",
    "stage",
    "started_on",
    "ended_on",
    "patient__birth_date",
    "patient__reminder_interval_days",
    "patient__primary_instrument",
)


def _facts_from_row(row: Sequence[Any]) -> engine.PhaseFacts:
    pid, patient_id, modality, stage, started_on, ended_on, birth_date, interval, instrument = row
    return engine.PhaseFacts(
        phase_id=pid,
        patient_id=patient_id,
        modality=modality,
        stage=stage,
        started_on=started_on,
        ended_on=ended_on,
        birth_date=birth_date,
        interval_days=interval,
        instrument=instrument_rules(instrument),
    )


def active_phase_facts(phases: QuerySet[TreatmentPhase]) -> list[engine.PhaseFacts]:
    """Facts of the given phases, one query (patient fields joined in)."""
    return [_facts_from_row(row) for row in phases.values_list(*_PHASE_FIELDS)]


def score_points(facts: Sequence[engine.PhaseFacts]) -> dict[int, list[engine.ScorePoint]]:
    """Primary-instrument scores of the phases' patients from 14 days before the earliest start: one query."""
    if not facts:
        return {}
    wanted = {f.patient_id: f.instrument.code for f in facts}
    since = min(f.started_on for f in facts) - timedelta(days=rules().baseline_days_before)
    rows = Assessment.objects.filter(
        patient_id__in=list(wanted), instrument__in=set(wanted.values()), administered_on__gte=since
    ).values_list("id", "patient_id", "instrument", "administered_at", "administered_on", "total", "severity")
    points: dict[int, list[engine.ScorePoint]] = defaultdict(list)
    for aid, patient_id, instrument, at, on, total, severity in rows.iterator(chunk_size=5000):
        if wanted[patient_id] == instrument:
            points[patient_id].append(
                engine.ScorePoint(assessment_id=aid, administered_at=at, day=on, total=total, severity=severity)
            )
    return points


def _point(view: engine.PointView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"id": view.assessment_id, "total": view.total, "severity": view.severity, "date": view.day}


@dataclass(frozen=True)
class Summary:
    """The API's and the caseload's view of a patient's current phase (DESIGN §3 summary)."""

    instrument: str
    phase: TreatmentPhase | None
    result: engine.PhaseSummary | None

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        phase = None
        if self.phase is not None and r is not None:
            phase = {
                "id": self.phase.id,
                "modality": self.phase.modality,
                "stage": self.phase.stage,
                "started_on": self.phase.started_on,
                "week": r.week,
            }
        return {
            "instrument": self.instrument,
            "phase": phase,
            "baseline": _point(r.baseline) if r else None,
            "latest": _point(r.latest) if r else None,
            "reassessment": _point(r.reassessment) if r else None,
            "improvement_pct": r.improvement_pct if r else None,
            "category": r.category if r else "no_phase",
            "next_due_on": r.next_due_on if r else None,
        }


def summaries(patients: Sequence[Patient], today: date) -> dict[int, Summary]:
    """Summaries of many patients: two queries whatever their number."""
    by_id = {p.id: p for p in patients}
    phases = list(
        TreatmentPhase.objects.filter(patient_id__in=list(by_id), ended_on__isnull=True).select_related("patient")
    )
    facts = {phase.id: _facts_from_row([getattr_path(phase, f) for f in _PHASE_FIELDS]) for phase in phases}
    points = score_points(list(facts.values()))
    result: dict[int, Summary] = {
        p.id: Summary(instrument=p.primary_instrument, phase=None, result=None) for p in patients
    }
    current = rules()
    for phase in phases:
        f = facts[phase.id]
        result[phase.patient_id] = Summary(
            instrument=f.instrument.code,
            phase=phase,
            result=engine.summarize(f, points.get(f.patient_id, []), today, current),
        )
    return result


def getattr_path(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def patient_summary(patient: Patient, today: date) -> Summary:
    return summaries([patient], today)[patient.id]


def visible_flags(user: Any) -> QuerySet[Flag]:
    """Flags of the user's patients only (built on the one access selector)."""
    return Flag.objects.filter(patient__in=visible_patients(user))


def open_flags_by_patient(patient_ids: Iterable[int]) -> dict[int, list[Flag]]:
    """Open and acknowledged flags, most severe first, in one query."""
    grouped: dict[int, list[Flag]] = defaultdict(list)
    flags = Flag.objects.filter(patient_id__in=list(patient_ids), status=FlagStatus.OPEN).order_by("created_at", "id")
    for flag in flags:
        grouped[flag.patient_id].append(flag)
    for items in grouped.values():
        items.sort(key=lambda f: (SEVERITY_RANK[f.severity], -f.id))
    return grouped


def link_for_token(token_hash: str, now: Any) -> SelfReportLink | None:
    """A live link by its token's hash; None when unknown or expired."""
    return (
        SelfReportLink.objects.select_related("patient")
        .filter(token_hash=token_hash, expires_at__gt=now, patient__active=True)
        .first()
    )

