"""Reads for the outcomes page: response and remission by modality and by sequencing, partial responders."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from patients.models import TreatmentPhase
from patients.selectors import aggregate_patients, visible_patients
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
    # The patients behind each figure, by key: "modality.<modality>.<evaluable|responded|remitted>",
    # "sequence.<sequence>.<...>", "partial.<reassessed|flagged|single|added>" (the outcomes page's links).
    members: dict[str, frozenset[int]] = field(default_factory=dict)
    by_start: list[StartingSequence] = field(default_factory=list)  # DESIGN §2b, per starting sequence


@dataclass(frozen=True)
class StartingSequence:
    """DESIGN §2b outcomes of the patients whose first course ran through the same modalities, in order.

    `modalities`: the first phase's modality, then each change (stages ignored): ("medication", "combined") is
    medication first, psychotherapy added.
    """

    modalities: tuple[str, ...]
    patients: int = 0
    remitted: int = 0  # reached remission in that first course
    weeks_to_remission: tuple[float, ...] = ()  # start of the first phase to the remission date, one per remitted
    start_evaluable: int = 0  # with a recommended start (their first phase has a baseline)
    start_matched: int = 0  # ... and their first phase followed it

    @property
    def key(self) -> str:
        return ">".join(self.modalities)

    @property
    def median_weeks(self) -> float | None:
        return round(statistics.median(self.weeks_to_remission), 1) if self.weeks_to_remission else None

    @property
    def matched_pct(self) -> float | None:
        return round(100 * self.start_matched / self.start_evaluable, 1) if self.start_evaluable else None


def starting_sequences(
    phases_by_patient: dict[int, list[engine.PhaseFacts]],
    points: dict[int, list[engine.ScorePoint]],
    today: date,
    current: engine.Rules,
    in_range: Callable[[date], bool] = lambda day: True,
) -> list[StartingSequence]:
    """DESIGN §2b: per starting sequence, the weeks to remission and whether the first phase followed the
    recommended start, over each patient's first course (the first phase and the phases that follow it unbroken).

    The recommended start is read from the first course's baseline only: a patient whose first phase has no
    baseline has no start to compare with (the latest score could be a remission the treatment brought).
    """
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for patient_id, phases in phases_by_patient.items():
        ordered = sorted(phases, key=lambda f: (f.started_on, f.phase_id))
        first = ordered[0]
        if not in_range(first.started_on):  # the outcomes page's date range: patients who started in it
            continue
        course = [f for f in ordered if f.course_started_on == first.started_on]
        modalities: list[str] = []
        for f in course:
            if not modalities or modalities[-1] != f.modality:
                modalities.append(f.modality)
        group = groups.setdefault(tuple(modalities), {"patients": 0, "weeks": [], "evaluable": 0, "matched": 0})
        group["patients"] += 1
        scores = [s for s in points.get(patient_id, []) if s.day <= today]
        remission = engine.course_remission(course[-1], scores, current)
        if remission is not None:
            group["weeks"].append((remission.day - first.started_on).days / 7)
        baseline = engine.course_baseline(first, scores, current)
        start = engine.recommended_start(
            patient=first.record, score=baseline, instrument=first.instrument, today=today, rules=current
        )
        if start is not None:
            group["evaluable"] += 1
            group["matched"] += engine.start_matches(start.modality, first.modality)
    return [
        StartingSequence(
            modalities=key,
            patients=g["patients"],
            remitted=len(g["weeks"]),
            weeks_to_remission=tuple(g["weeks"]),
            start_evaluable=g["evaluable"],
            start_matched=g["matched"],
        )
        for key, g in sorted(groups.items(), key=lambda item: (-item[1]["patients"], item[0]))
    ]


OUTCOME_GROUPS = (
    *(f"modality.{m}.{k}" for m in engine.MODALITIES for k in ("evaluable", "responded", "remitted")),
    *(f"sequence.{s}.{k}" for s in ("medication_first", "therapy_first", "concurrent")
      for k in ("evaluable", "responded", "remitted")),
    "partial.reassessed", "partial.flagged", "partial.single", "partial.added",
)


def outcomes(
    user: Any, today: date, *, since: date | None = None, until: date | None = None, own_only: bool = False
) -> Outcomes:
    """Response and remission by modality and by sequencing, and what became of partial responders: 4 queries.

    A phase counts once it has a reassessment (a score on day 28 or later); its category is the engine's. A patient's
    sequence is the modality of their first phase; their outcome compares that phase's baseline with their latest
    score, once that score is 4 weeks or more after the first start.

    `since`/`until` (inclusive) narrow the figures to treatment started in that range: the phases that started in
    it (by modality, partial responders) and the patients whose first phase did (by sequencing), as they stand
    today. `own_only` counts the user's care teams only, whatever their staff status (the drill-down's lists).
    """
    from fractions import Fraction

    def in_range(day: date) -> bool:
        return (since is None or day >= since) and (until is None or day <= until)

    members: dict[str, set[int]] = defaultdict(set)
    current = rules()
    population = (visible_patients(user) if own_only else aggregate_patients(user)).filter(active=True)
    staff = getattr(user, "is_staff", False)
    patient_count = population.count()
    facts = active_phase_facts(TreatmentPhase.objects.in_effect().filter(patient__in=population), today)
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
            if s.category in evaluable and in_range(f.started_on):
                reassessed.add(patient_id)
                c = modality_counts[f.modality]
                c[0] += 1
                c[1] += s.category in ("response", "remission")
                c[2] += s.category == "remission"
                members[f"modality.{f.modality}.evaluable"].add(patient_id)
                if s.category in ("response", "remission"):
                    members[f"modality.{f.modality}.responded"].add(patient_id)
                if s.category == "remission":
                    members[f"modality.{f.modality}.remitted"].add(patient_id)
        first = phases[0]
        if not in_range(first.started_on):
            continue
        baseline = first_summary.baseline if first_summary else None
        past = [p for p in scores if p.day <= today]
        if baseline is None or not past:
            continue
        latest = max(past, key=lambda p: (p.administered_at, p.assessment_id))
        if (latest.day - first.started_on).days < current.checkpoint_days:
            continue
        remitted = engine.in_remission(latest.total, first.instrument)
        pct = engine.improvement(baseline.total, latest.total)
        sequence = SEQUENCES[first.modality]
        responded = remitted or (pct is not None and pct >= Fraction(str(current.response_min_pct)))
        c = sequence_counts[sequence]
        c[0] += 1
        c[1] += responded
        c[2] += remitted
        members[f"sequence.{sequence}.evaluable"].add(patient_id)
        if responded:
            members[f"sequence.{sequence}.responded"].add(patient_id)
        if remitted:
            members[f"sequence.{sequence}.remitted"].add(patient_id)

    first_flag: dict[int, tuple[date, int | None]] = {}
    phase_by_id = {f.phase_id: f for f in facts}
    for patient_id, phase_id, evidence, created_at in flags:
        if phase_id not in phase_by_id or not in_range(phase_by_id[phase_id].started_on):
            continue
        when = _evidence_date(evidence, created_at)
        if patient_id not in first_flag or when < first_flag[patient_id][0]:
            first_flag[patient_id] = (when, phase_id)
    single = added = 0
    window = timedelta(days=current.checkpoint_days)
    for patient_id, (when, phase_id) in first_flag.items():
        flagged_phase = phase_by_id.get(phase_id) if phase_id else None
        if flagged_phase is None or flagged_phase.modality == "combined":
            continue
        single += 1
        members["partial.single"].add(patient_id)
        if any(
            f.modality == "combined" and flagged_phase.started_on < f.started_on <= when + window
            for f in phases_by_patient[patient_id]
        ):
            added += 1
            members["partial.added"].add(patient_id)
    members["partial.reassessed"] = reassessed
    members["partial.flagged"] = set(first_flag)
    return Outcomes(
        scope="clinic" if staff else "caseload",
        patients=patient_count,
        by_modality=[Rate(m, *modality_counts[m]) for m in engine.MODALITIES],
        by_sequencing=[Rate(s, *sequence_counts[s]) for s in SEQUENCES.values()],
        reassessed_patients=len(reassessed),
        partial_flagged=len(first_flag),
        partial_single=single,
        partial_added=added,
        members={key: frozenset(ids) for key, ids in members.items()},
        by_start=starting_sequences(phases_by_patient, points, today, current, in_range),
    )


def _evidence_date(evidence: Any, created_at: Any) -> date:
    """The clinical date of a partial-response flag: its reassessment's date, else the day it was raised."""
    from django.utils import timezone

    try:
        return date.fromisoformat(str(evidence["reassessment_date"]))
    except (KeyError, TypeError, ValueError):
        return timezone.localdate(created_at)
