"""Reads: measurement fidelity of a caseload (issue 14). Is the caseload actually measured, and how often?

The Joint Commission's outcome-measures standard asks clinics to use a standardized instrument to inform care and to
review aggregate results; these are the figures that say whether the measuring happens at all. Over the viewer's own
caseload (`visible_patients`): the active patients in an active phase, the share of them with a score in the last 30
days, the share whose phase has a baseline (DESIGN 2), and the median days between consecutive scores.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from patients.models import TreatmentPhase
from patients.selectors import visible_patients
from reassessment import engine
from reassessment.selectors import active_phase_facts, rules, score_points

RECENT_DAYS = 30


@dataclass(frozen=True)
class Share:
    count: int
    of: int

    @property
    def pct(self) -> float | None:
        return round(100 * self.count / self.of, 1) if self.of else None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "of": self.of, "pct": self.pct}


@dataclass(frozen=True)
class Fidelity:
    as_of: date
    recent_days: int
    in_active_phase: int  # active patients of the caseload with an active phase
    scored_recently: Share  # ... with a primary-instrument score on or after as_of - recent_days
    with_baseline: Share  # ... whose active phase has a baseline (DESIGN 2)
    median_days_between_scores: float | None  # over every gap between consecutive score days of those phases
    gaps: int  # how many gaps the median is taken over
    patients_with_gaps: int  # ... from how many patients (two or more score days in the phase)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "recent_days": self.recent_days,
            "patients_in_active_phase": self.in_active_phase,
            "scored_recently": self.scored_recently.as_dict(),
            "with_baseline": self.with_baseline.as_dict(),
            "median_days_between_scores": self.median_days_between_scores,
            "gaps": self.gaps,
            "patients_with_gaps": self.patients_with_gaps,
        }


def fidelity(user: Any, today: date) -> Fidelity:
    """The user's caseload's measurement fidelity as of `today`: three queries whatever its size.

    A score is a primary-instrument assessment (as everywhere in DESIGN 2), counted by its clinic-local day; the
    phase's scores run from day -14 (the baseline window) to today. Gaps are between distinct score days, so a
    paper form and its re-entry on one day are one measurement, not a gap of 0 days.
    """
    phases = TreatmentPhase.objects.in_effect().filter(
        ended_on__isnull=True, patient__active=True, patient__in=visible_patients(user)
    ).order_by("patient_id", "id")
    facts = active_phase_facts(phases, today)
    points = score_points(facts)
    current = rules()
    since = today - timedelta(days=RECENT_DAYS)
    recent = baseline = patients_with_gaps = 0
    gaps: list[int] = []
    for phase in facts:
        days = sorted(
            {
                p.day
                for p in points.get(phase.patient_id, [])
                if phase.started_on - timedelta(days=current.baseline_days_before) <= p.day <= today
            }
        )
        recent += any(day >= since for day in days)
        baseline += engine.summarize(phase, points.get(phase.patient_id, []), today, current).baseline is not None
        if len(days) >= 2:
            patients_with_gaps += 1
            gaps.extend((b - a).days for a, b in pairwise(days))
    n = len(facts)
    return Fidelity(
        as_of=today,
        recent_days=RECENT_DAYS,
        in_active_phase=n,
        scored_recently=Share(recent, n),
        with_baseline=Share(baseline, n),
        median_days_between_scores=float(statistics.median(gaps)) if gaps else None,
        gaps=len(gaps),
        patients_with_gaps=patients_with_gaps,
    )
