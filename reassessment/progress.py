"""Reads: a patient's own progress, shown to them after they submit through their link (issue 14).

Only the link's patient's scores of the instrument they just answered, up to that answer: the same numbers their
care team sees, from the active phase's baseline (DESIGN 2) to this score. No clinician's notes, no flags, no
other instrument.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from instruments import definitions
from instruments.models import Assessment
from patients.models import TreatmentPhase
from reassessment import engine
from reassessment.selectors import _facts_of, instrument_rules, rules, with_course, with_recent_antidepressant

MAX_POINTS = 12  # a small chart: the last 12 scores (a year of monthly check-ins)
WITHOUT_PHASE_DAYS = 365


@dataclass(frozen=True)
class Point:
    day: date
    total: int


@dataclass(frozen=True)
class Progress:
    instrument: str
    max_total: int
    points: list[Point]  # oldest first, ending with this score
    baseline: Point | None  # the active phase's baseline, when it is not this score itself
    current: Point
    change: str  # better | worse | same | first (no baseline to compare with)
    better_pct: int | None  # whole percent better than the baseline (better only)


def own_progress(current: Assessment) -> Progress:
    """Where `current` stands against its patient's active phase's baseline, with the scores before it."""
    definition = definitions.get(current.instrument)
    as_of = current.administered_on
    rows = Assessment.objects.in_effect().filter(
        patient_id=current.patient_id, instrument=current.instrument, administered_at__lte=current.administered_at
    ).values_list("id", "administered_at", "administered_on", "total")
    scores = sorted(
        (
            engine.ScorePoint(assessment_id=aid, administered_at=at, day=on, total=total)
            for aid, at, on, total in rows
            if (at, aid) <= (current.administered_at, current.id)  # up to this answer, not a later one
        ),
        key=lambda s: (s.administered_at, s.assessment_id),
    )
    phases = TreatmentPhase.objects.in_effect().filter(patient_id=current.patient_id, started_on__lte=as_of)
    phase = (
        with_recent_antidepressant(with_course(phases), as_of)
        .exclude(ended_on__lt=as_of)
        .select_related("patient")
        .order_by("-started_on", "-id")
        .first()
    )
    baseline: engine.PointView | None = None
    if phase is not None:
        current_rules = rules()
        facts = dataclasses.replace(_facts_of(phase), instrument=instrument_rules(current.instrument))
        baseline = engine.summarize(facts, scores, as_of, current_rules).baseline
        since = phase.started_on - timedelta(days=current_rules.baseline_days_before)
    else:
        since = as_of - timedelta(days=WITHOUT_PHASE_DAYS)
    shown = [Point(s.day, s.total) for s in scores if s.day >= since][-MAX_POINTS:]
    now = Point(as_of, current.total)
    if baseline is None or baseline.assessment_id == current.id:
        return Progress(current.instrument, definition.max_total, shown, None, now, "first", None)
    start = Point(baseline.day, baseline.total)
    if current.total < baseline.total:
        pct = engine.improvement(baseline.total, current.total)  # the baseline is above 0 here
        better = math.floor(pct + Fraction(1, 2)) if pct is not None else None  # half up: 38.9 -> 39, 12.5 -> 13
        return Progress(current.instrument, definition.max_total, shown, start, now, "better", better)
    change = "worse" if current.total > baseline.total else "same"
    return Progress(current.instrument, definition.max_total, shown, start, now, change, None)
