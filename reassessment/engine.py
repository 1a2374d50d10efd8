"""The clinical rules of measurement-based care as pure functions: facts and `today` in, findings out."""

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import combinations
from typing import Any

MODALITIES = ("psychotherapy", "medication", "combined")
STAGES = ("acute", "continuation", "maintenance")

# DESIGN §2: after too small a response to one modality, add the other; a combined phase is reviewed as a whole.
RECOMMENDATION_BY_MODALITY: Mapping[str, str] = {
    "medication": "add_psychotherapy",
    "psychotherapy": "add_medication",
    "combined": "review_treatment",
}
# DESIGN §2: continuation and maintenance phases exist to prevent relapse, so any return to moderate counts.
RELAPSE_PREVENTION_STAGES = ("continuation", "maintenance")
# DESIGN §2 / FDA antidepressant boxed warning: weekly contact applies where an antidepressant is involved.
YOUNG_MONITORING_MODALITIES = ("medication", "combined")
# DESIGN §2: MAO-inhibiting classes; with any other serotonergic drug, a contraindicated pair with a washout.
MAO_INHIBITING_CLASSES = ("maoi", "linezolid", "methylene_blue")
# DESIGN §2: antidepressant classes (codes of patients.drug_classes): their start opens under-25 weekly monitoring.
ANTIDEPRESSANT_CLASSES = ("ssri", "snri", "tca", "maoi", "serotonergic_antidepressant", "bupropion")


# ---------------------------------------------------------------------------------------------------------------
# Thresholds (settings MBC_RULES)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Every clinical threshold of DESIGN §2; built from settings.MBC_RULES by `Rules.from_mapping`."""

    # Clinic rule (seeds): after 4+ weeks, below 30% improvement add the other modality. ICSI would call 25-49%
    # "partial response" and < 25% "non-response"; the clinic's 30% is what mbc flags (DESIGN §2).
    partial_response_below_pct: float = 30.0
    # Standard definition of response: >= 50% reduction from baseline (DESIGN §2).
    response_min_pct: float = 50.0
    # The 4-week checkpoints where treatment decisions are made (DESIGN §2).
    checkpoint_days: int = 28
    # The partial-response flag waits for a two-month course: "under 30% improvement after a two-month course"
    # (seed 003); the 4-week checkpoints before it show the category only (DESIGN §2).
    partial_response_min_days: int = 56
    # Worsening and relapse judge the latest score and every score dated in the last 28 days, so a paper form
    # typed in late is judged too (DESIGN §2).
    judged_days: int = 28
    # Baseline window: day -14 .. day 0, else the earliest score on day 1 .. day 7 (DESIGN §2).
    baseline_days_before: int = 14
    baseline_days_after: int = 7
    # The patient's reminder interval: default 28 days, 7..56 allowed (DESIGN §2).
    default_interval_days: int = 28
    min_interval_days: int = 7
    max_interval_days: int = 56
    # FDA antidepressant boxed warning: under 25, weekly monitoring during the first 4 weeks (DESIGN §2).
    young_age_years: int = 25
    young_interval_days: int = 7
    young_window_days: int = 28
    # Overdue at twice the interval in force: 56 days by default (DESIGN §2).
    overdue_factor: int = 2
    # A patient gets a new self-report link at most once every 7 days (DESIGN §2).
    reminder_gap_days: int = 7
    # FDA labels: 14 days between an MAO inhibitor and another serotonergic drug, 5 weeks after fluoxetine
    # (its active metabolite norfluoxetine has a half-life of 4-16 days) (DESIGN §2).
    mao_washout_days: int = 14
    fluoxetine_washout_days: int = 35
    # DESIGN §2b: an episode that began 2 or more years ago is chronic (DSM-5 persistent depressive disorder).
    chronic_years: int = 2
    # DESIGN §2b: one previous episode makes the depression recurrent ...
    recurrent_min_episodes: int = 1
    # ... and two or more call for combined treatment at the start (seeds 001, 003; NICE NG222 relapse risk).
    combined_min_prior_episodes: int = 2
    # Continue treatment: two scores in remission at least 14 days apart (DESIGN §2b).
    sustained_remission_days: int = 14
    # NICE NG222 and APA: continue an antidepressant at least 6 months after remission ...
    continuation_min_days: int = 183
    # ... and 2 years for people at high risk of relapse (NICE NG222), here 2 or more previous episodes.
    maintenance_min_days: int = 730
    maintenance_min_prior_episodes: int = 2
    # STAR*D (Rush 2006), NICE NG222: an adequate antidepressant trial is at least 6 weeks; two failed trials of
    # different drugs call for a different strategy.
    adequate_trial_days: int = 42
    resistant_min_trials: int = 2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"MBC_RULES[{f.name!r}] must be a number, not {value!r}.")
            if f.type is int and not isinstance(value, int):
                raise TypeError(f"MBC_RULES[{f.name!r}] must be a whole number of days or years, not {value!r}.")
            if f.type is float:
                object.__setattr__(self, f.name, float(value))
            if value < 0:
                raise ValueError(f"MBC_RULES[{f.name!r}] must not be negative, not {value!r}.")
        divisors_and_intervals = (
            "checkpoint_days",
            "min_interval_days",
            "young_interval_days",
            "overdue_factor",
            "reminder_gap_days",
        )
        for name in divisors_and_intervals:
            if getattr(self, name) < 1:
                raise ValueError(f"MBC_RULES[{name!r}] must be at least 1.")
        if not self.min_interval_days <= self.default_interval_days <= self.max_interval_days:
            raise ValueError("MBC_RULES needs min_interval_days <= default_interval_days <= max_interval_days.")
        if not self.partial_response_below_pct <= self.response_min_pct <= 100:
            raise ValueError("MBC_RULES needs partial_response_below_pct <= response_min_pct <= 100.")
        if self.partial_response_min_days < self.checkpoint_days:
            raise ValueError("MBC_RULES needs partial_response_min_days >= checkpoint_days.")

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> "Rules":
        """Rules from a settings dict; a missing key keeps its default, an unknown key is an error (a typo)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"Unknown MBC_RULES keys: {', '.join(unknown)}.")
        return cls(**d)


# ---------------------------------------------------------------------------------------------------------------
# Facts in, findings out
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentRules:
    """The numbers of one instrument the rules need; they come from the instruments registry."""

    code: str  # "phq9" / "hamd17"
    remission_max: int  # PHQ-9 4, HAM-D 17 7
    reliable_change: int  # PHQ-9 6, HAM-D 17 8
    moderate_min: int  # PHQ-9 10, HAM-D 17 14: the relapse threshold and the least baseline a partial response flags
    combined_min: int | None = None  # PHQ-9 16, HAM-D 17 19: combined treatment recommended at the start (§2b)
    suicide_item: int | None = None  # PHQ-9 9, HAM-D 17 3


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """One primary-instrument total of the patient."""

    assessment_id: int
    administered_at: datetime  # aware; used only for ordering (then assessment_id)
    day: date  # clinic-local administered date, already converted by the caller
    total: int
    severity: str = ""  # passed through into summaries
    suicide_answer: int = 0  # the answer to the instrument's suicide item (0 when it has none)


@dataclass(frozen=True)
class PatientFacts:
    """What the course rules read from the patient's record (DESIGN §2b); all optional."""

    diagnosis: str = ""  # ICD-10, e.g. F33.1
    prior_episodes: int | None = None  # previous depressive episodes; None when unknown
    episode_onset: date | None = None  # the day the current episode began


@dataclass(frozen=True)
class PhaseFacts:
    """One treatment phase of one patient, with what the rules need to know about the patient."""

    phase_id: int
    patient_id: int
    modality: str
    stage: str
    started_on: date
    ended_on: date | None
    birth_date: date | None
    interval_days: int  # the patient's reminder interval (7..56), default 28
    instrument: InstrumentRules
    # DESIGN §2b course: started_on of the earliest phase of the unbroken run of phases ending with this one (each
    # ended on the day before the next started, or later); this phase's own started_on when it starts a course.
    course_started_on: date
    record: PatientFacts = PatientFacts()  # diagnosis, prior episodes, episode onset (DESIGN §2b)
    # Start days of the patient's antidepressant-class medications (a dose change's new row included): each opens
    # a weekly-monitoring window for a patient under 25, whatever the phase (DESIGN §2 interval in force). The
    # loaders pass only the earliest start of the 28 days up to the day evaluated: the one that decides.
    antidepressant_starts: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"Unknown modality {self.modality!r}; expected one of {', '.join(MODALITIES)}.")
        if self.stage not in STAGES:
            raise ValueError(f"Unknown stage {self.stage!r}; expected one of {', '.join(STAGES)}.")
        if self.course_started_on > self.started_on:
            raise ValueError("A phase's course cannot start after the phase itself.")


@dataclass(frozen=True, slots=True)
class Finding:
    """A flag (or, with is_reminder, a reminder) the record layer stores once per dedupe_key."""

    kind: str  # partial_response | worsening | relapse | reassessment_overdue | reassessment_due | suicide_risk
    #            | serotonergic_combination
    severity: str  # urgent | high | medium | low; "" for the reassessment_due reminder
    recommendation: str  # add_psychotherapy | add_medication | review_treatment | contact_patient
    #                      | safety_assessment | review_medications; "" for the reminder
    dedupe_key: str
    patient_id: int
    phase_id: int | None = None
    assessment_id: int | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-serialisable: ISO dates, 1-decimal percentages
    is_reminder: bool = False  # True only for reassessment_due


@dataclass(frozen=True, slots=True)
class PointView:
    """A score as shown in a summary."""

    assessment_id: int
    total: int
    severity: str
    day: date


@dataclass(frozen=True, slots=True)
class PhaseSummary:
    """Where a phase stands today: what the caseload and the patient page show."""

    phase_id: int
    week: int  # (today - started_on) // 7 + 1: days 0-6 are week 1
    baseline: PointView | None
    latest: PointView | None
    reassessment: PointView | None
    improvement_pct: float | None  # rounded to 1 decimal for display; the category uses the exact value
    category: str  # no_baseline | too_early | remission | response | improving | partial_response
    anchor_on: date
    interval_days: int  # the interval in force today
    birth_date_missing: bool  # the under-25 rule may apply (an antidepressant is involved) but cannot be applied
    next_due_on: date
    due: bool  # the reassessment_due condition holds today (only an active phase is ever due)
    overdue: bool  # the reassessment_overdue condition holds today (only an active phase is ever overdue)


@dataclass(frozen=True)
class MedicationFacts:
    """One medication of a patient; `serotonergic` already resolved from its class or its own override."""

    medication_id: int
    patient_id: int
    serotonergic: bool
    started_on: date
    stopped_on: date | None
    name: str = ""  # two rows of one name are one drug (a dose change); "fluoxetine" has the long washout
    drug_class: str = ""  # patients.drug_classes code


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What `evaluate_phase` found: the phase's summary today and the findings it calls for."""

    summary: PhaseSummary
    findings: list[Finding]


# ---------------------------------------------------------------------------------------------------------------
# Small rules, each usable on its own
# ---------------------------------------------------------------------------------------------------------------


def in_remission(total: int, instrument: InstrumentRules) -> bool:
    """DESIGN §2: in remission at or below the instrument's cutoff (PHQ-9 <= 4, HAM-D 17 <= 7)."""
    return total <= instrument.remission_max


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on a day; someone born on 29 February turns a year older on 1 March in common years."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def monitoring_starts(phase: PhaseFacts, today: date, rules: Rules) -> list[date]:
    """Starts whose first 28 days are still running today: a medication or combined phase's, an antidepressant's."""
    starts = [*phase.antidepressant_starts]
    if phase.modality in YOUNG_MONITORING_MODALITIES:
        starts.append(phase.started_on)
    return [d for d in starts if 0 <= (today - d).days < rules.young_window_days]


def interval_in_force(phase: PhaseFacts, today: date, rules: Rules) -> int:
    """The reminder interval that applies today (DESIGN §2)."""
    # DESIGN §2 / FDA boxed warning: under 25 on the start day of a medication or combined phase, or of an
    # antidepressant (a dose change included), weekly for the first 28 days after that start.
    birth_date = phase.birth_date
    if birth_date is not None and any(
        age_on(birth_date, d) < rules.young_age_years for d in monitoring_starts(phase, today, rules)
    ):
        return rules.young_interval_days
    # The patient's own interval, kept within the allowed 7..56 days so bad data cannot silence or flood reminders.
    return min(max(phase.interval_days, rules.min_interval_days), rules.max_interval_days)


def birth_date_missing(phase: PhaseFacts, today: date, rules: Rules) -> bool:
    """DESIGN §2: the under-25 rule cannot be applied: no birth date in a medication or combined phase, or within
    the first 28 days of an antidepressant's start in any phase."""
    if phase.birth_date is not None:
        return False
    return phase.modality in YOUNG_MONITORING_MODALITIES or bool(monitoring_starts(phase, today, rules))


def improvement(baseline_total: int, reassessment_total: int) -> Fraction | None:
    """(baseline - reassessment) / baseline x 100, exactly; None when the baseline is 0 (DESIGN §2)."""
    if baseline_total == 0:
        return None
    return Fraction(100 * (baseline_total - reassessment_total), baseline_total)


def display_pct(value: Fraction | None) -> float | None:
    """A percentage rounded to one decimal, halves away from zero (12.25 -> 12.3, not the float's 12.2)."""
    if value is None:
        return None
    tenths = math.floor(abs(value) * 10 + Fraction(1, 2))
    return -tenths / 10 if value < 0 and tenths else tenths / 10


def response_category(
    *, baseline: ScorePoint | None, reassessment: ScorePoint | None, instrument: InstrumentRules, rules: Rules
) -> str:
    """DESIGN §2 response category; the first match wins."""
    if baseline is None:
        return "no_baseline"
    if reassessment is None:
        return "too_early"
    if in_remission(reassessment.total, instrument):
        return "remission"
    pct = improvement(baseline.total, reassessment.total)
    if pct is not None and pct >= _exact(rules.response_min_pct):
        return "response"
    if pct is not None and pct >= _exact(rules.partial_response_below_pct):
        return "improving"
    # Under 30%, no change, worsening, or a rise from a baseline of 0.
    return "partial_response"


# ---------------------------------------------------------------------------------------------------------------
# The course (DESIGN §2b): the active phase and the unbroken run of phases before it
# ---------------------------------------------------------------------------------------------------------------


def course_scores(phase: PhaseFacts, scores: Sequence[ScorePoint], rules: Rules) -> tuple[ScorePoint, ...]:
    """The scores of the course, oldest first: from day -14 of its earliest phase to this phase's end."""
    first = phase.course_started_on - timedelta(days=rules.baseline_days_before)
    return tuple(
        sorted(
            (s for s in scores if s.day >= first and (phase.ended_on is None or s.day <= phase.ended_on)),
            key=_order,
        )
    )


def course_baseline(phase: PhaseFacts, scores: Sequence[ScorePoint], rules: Rules) -> ScorePoint | None:
    """The course's first baseline: section 2's baseline window applied to the course's earliest phase."""
    return _baseline(course_scores(phase, scores, rules), phase.course_started_on, rules)


def course_remission(phase: PhaseFacts, scores: Sequence[ScorePoint], rules: Rules) -> ScorePoint | None:
    """The first score of the course in remission after its first baseline (its day is the remission date).

    With no course baseline, the first score of the course in remission (there is then no score before day 8).
    """
    own = course_scores(phase, scores, rules)
    baseline = _baseline(own, phase.course_started_on, rules)
    after = own if baseline is None else [s for s in own if _order(s) > _order(baseline)]
    return next((s for s in after if in_remission(s.total, phase.instrument)), None)


def _baseline(own: Sequence[ScorePoint], started_on: date, rules: Rules) -> ScorePoint | None:
    """DESIGN §2 baseline of scores sorted oldest first: the latest of day -14 .. 0, else the earliest of day 1 .. 7."""
    before = None
    for s in own:
        offset = (s.day - started_on).days
        if -rules.baseline_days_before <= offset <= 0:
            before = s
        elif 1 <= offset <= rules.baseline_days_after:
            return before if before is not None else s
        elif offset > rules.baseline_days_after:
            break
    return before


# ---------------------------------------------------------------------------------------------------------------
# One phase: summary and findings
# ---------------------------------------------------------------------------------------------------------------


def summarize(phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules) -> PhaseSummary:
    """Where the phase stands today. `scores` may be all of the patient's primary-instrument scores."""
    return _summary(phase, _select(phase, scores, today, rules), today, rules)


def evaluate(phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules) -> list[Finding]:
    """The flags and the reminder the phase calls for today. `scores` may be all of the patient's scores."""
    return evaluate_phase(phase, scores, today, rules).findings


def evaluate_phase(phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules) -> Evaluation:
    """The phase's summary today and the flags and reminder it calls for, from one pass over the scores."""
    selected = _select(phase, scores, today, rules)
    summary = _summary(phase, selected, today, rules)
    findings = [
        *_partial_response(phase, selected, summary, rules),
        *_worsening(phase, selected, rules),
        *_relapse(phase, selected, rules),
        *_overdue(phase, summary, today),
        *_due(phase, summary, today, rules),
    ]
    return Evaluation(summary=summary, findings=findings)


def overdue_resolved(*, flag_phase_id: int | None, flag_anchor_on: date, active: PhaseSummary | None) -> bool:
    """DESIGN §2: an overdue flag resolves only when a score of its phase is dated after its anchor, or its phase
    has ended (`active` is the patient's active phase today, None without one). A change of the interval in force
    never resolves it: the patient still has not been measured."""
    if active is None or active.phase_id != flag_phase_id:
        return True
    return active.anchor_on > flag_anchor_on


@dataclass(frozen=True, slots=True)
class _Selected:
    """The scores of a phase and of its course (oldest first) and the ones the rules single out."""

    scores: tuple[ScorePoint, ...]
    baseline: ScorePoint | None
    latest: ScorePoint | None
    reassessment: ScorePoint | None
    anchor_on: date
    judged: tuple[ScorePoint, ...]  # after the baseline: the latest, and every score of the last 28 days
    course: tuple[ScorePoint, ...]


def _order(score: ScorePoint) -> tuple[datetime, int]:
    return (score.administered_at, score.assessment_id)


def _select(phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules) -> _Selected:
    def day(score: ScorePoint) -> int:
        return _day(phase, score)

    # DESIGN §2: the scores of a phase run from day -14 to its end (today while active), never after today; the
    # course's from day -14 of its earliest phase (DESIGN §2b).
    end = today if phase.ended_on is None else min(phase.ended_on, today)
    window = timedelta(days=rules.baseline_days_before)
    course_from, phase_from = phase.course_started_on - window, phase.started_on - window
    course = tuple(sorted((s for s in scores if course_from <= s.day <= end), key=_order))
    own = course if course_from == phase_from else tuple(s for s in course if s.day >= phase_from)

    # DESIGN §2 baseline: the latest score of day -14 .. 0, else the earliest of day 1 .. 7.
    baseline = _baseline(own, phase.started_on, rules)

    # DESIGN §2 latest: the most recent score after the baseline (any score of the phase when there is none).
    since_baseline = own if baseline is None else [s for s in own if _order(s) > _order(baseline)]
    latest = since_baseline[-1] if since_baseline else None

    # DESIGN §2 reassessment: the most recent score on day 28 or later.
    reassessed = [s for s in own if day(s) >= rules.checkpoint_days]
    reassessment = reassessed[-1] if reassessed else None

    # DESIGN §2 judged scores (worsening, relapse): the latest, and every score of the last 28 days after the
    # baseline, whenever it was entered.
    recent = today - timedelta(days=rules.judged_days)
    judged = tuple(s for s in since_baseline if s.day >= recent or s is latest)

    anchor_on = own[-1].day if own else phase.started_on
    return _Selected(own, baseline, latest, reassessment, anchor_on, judged, course)


def _summary(phase: PhaseFacts, selected: _Selected, today: date, rules: Rules) -> PhaseSummary:
    baseline, reassessment = selected.baseline, selected.reassessment
    interval = interval_in_force(phase, today, rules)
    phase_age = (today - phase.started_on).days
    since_anchor = (today - selected.anchor_on).days
    # DESIGN §2: only an active phase reminds; a phase that ended before today is history.
    active = phase.ended_on is None or phase.ended_on >= today
    overdue_after = rules.overdue_factor * interval
    return PhaseSummary(
        phase_id=phase.phase_id,
        week=phase_age // 7 + 1,
        baseline=_view(baseline),
        latest=_view(selected.latest),
        reassessment=_view(reassessment),
        improvement_pct=(
            display_pct(improvement(baseline.total, reassessment.total))
            if baseline is not None and reassessment is not None
            else None
        ),
        category=response_category(
            baseline=baseline, reassessment=reassessment, instrument=phase.instrument, rules=rules
        ),
        anchor_on=selected.anchor_on,
        interval_days=interval,
        birth_date_missing=birth_date_missing(phase, today, rules),
        next_due_on=max(selected.anchor_on + timedelta(days=interval), phase.started_on + timedelta(days=interval)),
        due=active and since_anchor >= interval and phase_age >= interval,
        overdue=active and since_anchor >= overdue_after and phase_age >= overdue_after,
    )


def _partial_response(
    phase: PhaseFacts, selected: _Selected, summary: PhaseSummary, rules: Rules
) -> list[Finding]:
    baseline, reassessment = selected.baseline, selected.reassessment
    # DESIGN §2: acute phases only (continuation and maintenance ask about relapse); below 30% on the most recent
    # score on day 56 or later (the category already says so from day 28: "< 30% so far", no flag).
    if phase.stage != "acute" or summary.category != "partial_response":
        return []
    if baseline is None or reassessment is None or _day(phase, reassessment) < rules.partial_response_min_days:
        return []
    # A baseline below the moderate band (PHQ-9 < 10, HAM-D 17 < 14) is too close to measurement noise to act on;
    # CMS159 also counts only PHQ-9 > 9.
    if baseline.total < phase.instrument.moderate_min:
        return []
    # One flag per 4-week checkpoint (day 56-83 is checkpoint 2, 84-111 checkpoint 3, ...).
    checkpoint = _day(phase, reassessment) // rules.checkpoint_days
    return [
        Finding(
            kind="partial_response",
            severity="medium",
            recommendation=RECOMMENDATION_BY_MODALITY[phase.modality],
            dedupe_key=f"phase:{phase.phase_id}:partial_response:{checkpoint}",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            assessment_id=reassessment.assessment_id,
            evidence={
                "baseline_total": baseline.total,
                "baseline_date": baseline.day.isoformat(),
                "reassessment_total": reassessment.total,
                "reassessment_date": reassessment.day.isoformat(),
                "improvement_pct": summary.improvement_pct,
                "instrument": phase.instrument.code,
            },
        )
    ]


def _worsening(phase: PhaseFacts, selected: _Selected, rules: Rules) -> list[Finding]:
    # DESIGN §2 / Löwe 2004: a judged score at least the reliable-change threshold (PHQ-9 6, HAM-D 17 8) above its
    # reference, the lowest of the baseline and the phase's scores between it and the score: a rebound from the
    # best point (20 -> 5 -> 13) counts. Without a baseline the phase's first score takes its place.
    if not selected.judged:
        return []
    judged = {s.assessment_id for s in selected.judged}
    reference = selected.baseline
    after = selected.scores if reference is None else selected.scores[selected.scores.index(reference) + 1 :]
    found: dict[str, Finding] = {}
    for s in after:
        if reference is not None and s.assessment_id in judged:
            change = s.total - reference.total
            key = f"phase:{phase.phase_id}:worsening:{_day(phase, s) // rules.checkpoint_days}"
            if change >= phase.instrument.reliable_change and key not in found:
                found[key] = Finding(
                    kind="worsening",
                    severity="high",
                    recommendation="review_treatment",
                    dedupe_key=key,
                    patient_id=phase.patient_id,
                    phase_id=phase.phase_id,
                    assessment_id=s.assessment_id,
                    evidence={
                        "reference_total": reference.total,
                        "reference_date": reference.day.isoformat(),
                        "score_total": s.total,
                        "score_date": s.day.isoformat(),
                        "change": change,
                        "instrument": phase.instrument.code,
                    },
                )
        if reference is None or s.total < reference.total:
            reference = s
    return list(found.values())


def _relapse(phase: PhaseFacts, selected: _Selected, rules: Rules) -> list[Finding]:
    # DESIGN §2: a judged score at or above the moderate band (PHQ-9 >= 10, HAM-D 17 >= 14) after the course had
    # reached remission (a score in remission after its first baseline); or, in a continuation or maintenance phase
    # (they exist to prevent exactly this), after an earlier score of the course below the moderate band. A
    # patient who never got better is not relapsing.
    moderate = phase.instrument.moderate_min
    judged = {s.assessment_id for s in selected.judged if s.total >= moderate}
    if not judged:
        return []
    prevention = phase.stage in RELAPSE_PREVENTION_STAGES
    baseline = _baseline(selected.course, phase.course_started_on, rules)
    counting = baseline is None  # the course's scores count from its first baseline on (all of them without one)
    remission: ScorePoint | None = None  # the first in remission after the course's baseline
    lowest: ScorePoint | None = None  # the lowest from the course's baseline on
    found: dict[str, Finding] = {}
    for s in selected.course:
        if s.assessment_id in judged and (
            remission is not None or (prevention and lowest is not None and lowest.total < moderate)
        ):
            key = f"phase:{phase.phase_id}:relapse:{_day(phase, s) // rules.checkpoint_days}"
            if key not in found:
                found[key] = Finding(
                    kind="relapse",
                    severity="high",
                    recommendation="review_treatment",
                    dedupe_key=key,
                    patient_id=phase.patient_id,
                    phase_id=phase.phase_id,
                    assessment_id=s.assessment_id,
                    evidence={
                        "score_total": s.total,
                        "score_date": s.day.isoformat(),
                        "stage": phase.stage,
                        "remission_total": remission.total if remission else None,
                        "remission_date": remission.day.isoformat() if remission else None,
                        "lowest_total": lowest.total if lowest else None,
                        "lowest_date": lowest.day.isoformat() if lowest else None,
                        "instrument": phase.instrument.code,
                    },
                )
        if s is baseline:
            counting, lowest = True, s
        elif counting:
            if remission is None and in_remission(s.total, phase.instrument):
                remission = s
            if lowest is None or s.total < lowest.total:
                lowest = s
    return list(found.values())


def _overdue(phase: PhaseFacts, summary: PhaseSummary, today: date) -> list[Finding]:
    if not summary.overdue:
        return []
    # Once per gap: a new score moves the anchor, and a later gap is a new flag.
    return [
        Finding(
            kind="reassessment_overdue",
            severity="low",
            recommendation="contact_patient",
            dedupe_key=f"phase:{phase.phase_id}:reassessment_overdue:{summary.anchor_on.isoformat()}",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            evidence={
                "anchor_date": summary.anchor_on.isoformat(),
                "days_since": (today - summary.anchor_on).days,
                "interval_days": summary.interval_days,
            },
        )
    ]


def _due(phase: PhaseFacts, summary: PhaseSummary, today: date, rules: Rules) -> list[Finding]:
    if not summary.due:
        return []
    # DESIGN §2: a new link at most once every 7 days; a daily sweep gets one key per 7-day window after the due day.
    window = (today - summary.next_due_on).days // rules.reminder_gap_days
    return [
        Finding(
            kind="reassessment_due",
            severity="",
            recommendation="",
            dedupe_key=f"patient:{phase.patient_id}:reassessment_due:{summary.next_due_on.isoformat()}:{window}",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            evidence={
                "anchor_date": summary.anchor_on.isoformat(),
                "next_due_on": summary.next_due_on.isoformat(),
                "days_since": (today - summary.anchor_on).days,
                "interval_days": summary.interval_days,
            },
            is_reminder=True,
        )
    ]


# ---------------------------------------------------------------------------------------------------------------
# Treatment course (DESIGN §2b): what to start with
# ---------------------------------------------------------------------------------------------------------------

# The recommended starts, in the order the rule tries them (the first match wins).
START_MODALITIES = ("medication_first", "combined", "either", "psychotherapy", "monitor")
# The reasons a start can give, in the order they are listed.
START_REASONS = (
    "psychotic_features",
    "severe",
    "chronic",
    "recurrent",
    "suicide_item",
    "anxiety_disorder",
    "bipolar",
    "moderate",
    "mild",
    "minimal",
)
# Which phase modalities follow a recommended start (the caseload marker and the outcomes' "matched" share).
# medication_first: a combined phase holds the medication (therapy added "when able" may come at once);
# either: therapy or medication alone (seed 000), so combined is more than the rule asks, as it is for a mild score
# (NICE NG222: no routine antidepressant for less severe depression); monitor: in remission, any treatment stands.
MODALITIES_MATCHING_START: Mapping[str, tuple[str, ...]] = {
    "medication_first": ("medication", "combined"),
    "combined": ("combined",),
    "either": ("psychotherapy", "medication"),
    "psychotherapy": ("psychotherapy",),
    "monitor": MODALITIES,
}

# ICD-10 codes the start rules read; a code matches itself and its subcodes (F43.1 matches F43.10, F42 F42.2).
# Seed 000: psychotic depression (F32.3 single episode, F33.3 recurrent) is stabilised with medication first.
PSYCHOTIC_DEPRESSION = ("F32.3", "F33.3")
# Seeds 001, 003: OCD (F42), panic disorder (F41.0), panic with agoraphobia (F40.01, ICD-10-CM), PTSD (F43.1) do
# best with therapy and medication together once symptoms are moderate.
ANXIETY_DISORDERS = ("F42", "F41.0", "F40.01", "F43.1")
# Bipolar affective disorder (F31): a mood stabiliser goes with therapy; antidepressant monotherapy can switch mood.
BIPOLAR = ("F31",)
# Dysthymia (F34.1) is chronic by definition (2 years or more of depressed mood, ICD-10 / DSM-5).
DYSTHYMIA = ("F34.1",)


@dataclass(frozen=True, slots=True)
class StartRecommendation:
    """DESIGN §2b recommended start: a modality, every reason that holds, and the score it was read from."""

    modality: str  # one of START_MODALITIES
    reasons: tuple[str, ...]  # codes of START_REASONS, in that order
    based_on: ScorePoint


@functools.lru_cache(maxsize=4096)  # a clinic uses a few hundred codes; the sweep asks four times a patient
def diagnosis_in(diagnosis: str, codes: tuple[str, ...]) -> bool:
    """Whether an ICD-10 code is one of `codes` or a subcode of one (F42 covers F42.2; F43.1 covers F43.10)."""
    code = diagnosis.strip().upper()
    return any(code == c or code.startswith(c if "." in c else c + ".") for c in codes)


def is_chronic(patient: PatientFacts, today: date, rules: Rules) -> bool:
    """DESIGN §2b: the episode began 2 years or more before today, or the diagnosis is dysthymia (F34.1)."""
    if diagnosis_in(patient.diagnosis, DYSTHYMIA):
        return True
    # Whole years as for an age: an onset on 24 Nov 2024 is 2 years old on 24 Nov 2026.
    return patient.episode_onset is not None and age_on(patient.episode_onset, today) >= rules.chronic_years


def is_recurrent(patient: PatientFacts, rules: Rules) -> bool:
    """DESIGN §2b: at least one previous depressive episode (unknown counts as not recurrent)."""
    return patient.prior_episodes is not None and patient.prior_episodes >= rules.recurrent_min_episodes


def start_score(baseline: ScorePoint | None, scores: Sequence[ScorePoint], today: date) -> ScorePoint | None:
    """The score a recommended start reads: the course's first baseline, else the latest score up to today."""
    if baseline is not None:
        return baseline
    past = [s for s in scores if s.day <= today]
    return max(past, key=_order) if past else None


def recommended_start(
    *, patient: PatientFacts, score: ScorePoint | None, instrument: InstrumentRules, today: date, rules: Rules
) -> StartRecommendation | None:
    """DESIGN §2b recommended start from one score; the first match wins and every matching reason is listed.

    Listed reasons: the winning rule's own, and with medication_first also every reason for combined that holds
    (a psychotic patient who is also suicidal should show both). The severity ladder (moderate, mild, minimal) is
    listed only when it decides: a severe score is also moderate, and saying so adds nothing.
    """
    if score is None:
        return None
    total = score.total
    at_least_moderate = total >= instrument.moderate_min
    combined: list[str] = []
    # NICE NG222 (2022): for "more severe" depression (PHQ-9 >= 16) offer combined medication and CBT.
    if instrument.combined_min is not None and total >= instrument.combined_min:
        combined.append("severe")
    # Seeds 001, 003 (Keller 2000, CBASP + nefazodone): chronic depression does best with both.
    if is_chronic(patient, today, rules):
        combined.append("chronic")
    # Seeds 001, 003; NICE NG222: two or more previous episodes put the patient at high risk of relapse.
    if patient.prior_episodes is not None and patient.prior_episodes >= rules.combined_min_prior_episodes:
        combined.append("recurrent")
    # Seed 000: suicidal thoughts call for both a prescriber and a therapist from the start.
    if instrument.suicide_item is not None and score.suicide_answer >= 1:
        combined.append("suicide_item")
    # Seeds 001, 003: OCD, panic and PTSD at moderate or worse: exposure-based therapy with an SSRI.
    if diagnosis_in(patient.diagnosis, ANXIETY_DISORDERS) and at_least_moderate:
        combined.append("anxiety_disorder")
    # Bipolar disorder: a mood stabiliser with psychotherapy (NICE CG185).
    if diagnosis_in(patient.diagnosis, BIPOLAR):
        combined.append("bipolar")

    def start(modality: str, *reasons: str) -> StartRecommendation:
        return StartRecommendation(modality=modality, reasons=reasons, based_on=score)

    # Seed 000: psychotic features: stabilise with medication (antidepressant + antipsychotic), add therapy when able.
    if diagnosis_in(patient.diagnosis, PSYCHOTIC_DEPRESSION):
        return start("medication_first", "psychotic_features", *combined)
    if combined:
        return start("combined", *combined)
    # Seed 000 (Cuijpers 2013): in mild to moderate depression therapy or medication alone do about as well.
    if at_least_moderate:
        return start("either", "moderate")
    # Seed 002 (NICE NG222 less severe depression): start with psychotherapy.
    if not in_remission(total, instrument):
        return start("psychotherapy", "mild")
    return start("monitor", "minimal")


def course_start(
    *,
    patient: PatientFacts,
    phase: PhaseFacts | None,
    scores: Sequence[ScorePoint],
    instrument: InstrumentRules,
    today: date,
    rules: Rules,
) -> StartRecommendation | None:
    """DESIGN §2b recommended start of a patient: read from the course's first baseline, else the latest score."""
    baseline = course_baseline(phase, scores, rules) if phase is not None else None
    return recommended_start(
        patient=patient, score=start_score(baseline, scores, today), instrument=instrument, today=today, rules=rules
    )


def start_matches(start: str, modality: str) -> bool:
    """Whether a phase of `modality` follows the recommended start (see MODALITIES_MATCHING_START)."""
    return modality in MODALITIES_MATCHING_START[start]


# ---------------------------------------------------------------------------------------------------------------
# Treatment course (DESIGN §2b): when to combine, how long to continue, what is unsafe
# ---------------------------------------------------------------------------------------------------------------

# NICE CG185 (bipolar disorder): an antidepressant only with a mood stabiliser, lithium or an antipsychotic.
MANIA_PROTECTING_CLASSES = ("mood_stabilizer", "lithium", "antipsychotic")
# The single modalities a combined start adds to, and what the missing one is.
MISSING_MODALITY: Mapping[str, str] = {"psychotherapy": "add_medication", "medication": "add_psychotherapy"}


def is_antidepressant(m: MedicationFacts) -> bool:
    return m.drug_class in ANTIDEPRESSANT_CLASSES


def taken_on(m: MedicationFacts, day: date) -> bool:
    """The medication is taken on `day`: from its start through its stop (no washout: these rules ask what the
    patient takes, not what still interacts)."""
    return m.started_on <= day and (m.stopped_on is None or m.stopped_on >= day)


def course_findings(
    phase: PhaseFacts,
    scores: Sequence[ScorePoint],
    medications: Sequence[MedicationFacts],
    today: date,
    rules: Rules,
) -> list[Finding]:
    """DESIGN §2b flags of an active phase's course: consider combined, continue treatment, early discontinuation,
    treatment resistant. `scores` and `medications` may be all of the patient's."""
    course = tuple(s for s in course_scores(phase, scores, rules) if s.day <= today)
    baseline = course_baseline(phase, course, rules)
    meds = [m for m in medications if m.patient_id == phase.patient_id]
    return [
        *consider_combined(phase, course, today, rules),
        *continue_treatment(phase, course, today, rules),
        *early_discontinuation(phase, course, meds, today, rules),
        *treatment_resistant(phase, course, baseline, meds, today, rules),
    ]


def consider_combined(
    phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules
) -> list[Finding]:
    """DESIGN §2b: an acute phase of one modality when the recommended start is combined; it does not wait for two
    months of poor response. Once per phase."""
    if phase.stage != "acute" or phase.modality not in MISSING_MODALITY:
        return []
    start = course_start(
        patient=phase.record, phase=phase, scores=scores, instrument=phase.instrument, today=today, rules=rules
    )
    if start is None or start.modality != "combined":
        return []
    point = start.based_on
    return [
        Finding(
            kind="consider_combined",
            severity="medium",
            recommendation=MISSING_MODALITY[phase.modality],
            dedupe_key=f"phase:{phase.phase_id}:consider_combined",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            assessment_id=point.assessment_id,
            evidence={
                "reasons": list(start.reasons),
                "score_total": point.total,
                "score_date": point.day.isoformat(),
                "modality": phase.modality,
                "instrument": phase.instrument.code,
            },
        )
    ]


def continue_treatment(
    phase: PhaseFacts, scores: Sequence[ScorePoint], today: date, rules: Rules
) -> list[Finding]:
    """DESIGN §2b: an acute phase whose two most recent scores, at least 14 days apart, are in remission.

    "The two most recent scores, at least 14 days apart": the latest score and the most recent one dated 14 or
    more days before it, and every score between them, are in remission (remission held for two weeks; weekly
    measurement does not delay the flag, and a dip out of remission in between restarts the count).
    """
    if phase.stage != "acute":
        return []
    start = phase.started_on - timedelta(days=rules.baseline_days_before)
    own = [s for s in scores if s.day >= start and s.day <= today]
    if not own:
        return []
    latest = own[-1]
    earlier = [s for s in own[:-1] if (latest.day - s.day).days >= rules.sustained_remission_days]
    if not earlier:
        return []
    first = earlier[-1]
    held = [s for s in own if _order(s) >= _order(first)]
    if not all(in_remission(s.total, phase.instrument) for s in held):
        return []
    # Seeds 001, 003: after a remission on medication alone, psychotherapy lowers the risk of relapse.
    recommendation = (
        "add_psychotherapy_for_relapse_prevention" if phase.modality == "medication" else "start_continuation"
    )
    return [
        Finding(
            kind="continue_treatment",
            severity="low",
            recommendation=recommendation,
            dedupe_key=f"phase:{phase.phase_id}:continue_treatment",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            assessment_id=latest.assessment_id,
            evidence={
                "first_total": first.total,
                "first_date": first.day.isoformat(),
                "latest_total": latest.total,
                "latest_date": latest.day.isoformat(),
                "modality": phase.modality,
                "instrument": phase.instrument.code,
            },
        )
    ]


def early_discontinuation(
    phase: PhaseFacts,
    scores: Sequence[ScorePoint],
    medications: Sequence[MedicationFacts],
    today: date,
    rules: Rules,
) -> list[Finding]:
    """DESIGN §2b: an antidepressant stopped, none other taken the day after, less than 183 days after the course's
    remission date (730 with 2 or more previous episodes). Once per medication."""
    remission = course_remission(phase, scores, rules)
    if remission is None:
        return []  # a stop before remission is a switch: the clinician's call
    prior = phase.record.prior_episodes
    high_risk = prior is not None and prior >= rules.maintenance_min_prior_episodes
    minimum = rules.maintenance_min_days if high_risk else rules.continuation_min_days
    findings = []
    for m in medications:
        if not is_antidepressant(m) or m.stopped_on is None or m.stopped_on > today:
            continue
        stop = m.stopped_on
        days = (stop - remission.day).days
        if days < 0 or days >= minimum:
            continue
        day_after = stop + timedelta(days=1)
        if any(is_antidepressant(o) and o.medication_id != m.medication_id and taken_on(o, day_after)
               for o in medications):
            continue  # a switch or a dose change: another antidepressant carries on
        findings.append(
            Finding(
                kind="early_discontinuation",
                severity="high",
                recommendation="review_medications",
                dedupe_key=f"medication:{m.medication_id}:early_discontinuation",
                patient_id=phase.patient_id,
                phase_id=phase.phase_id,
                evidence={
                    "medication_id": m.medication_id,
                    "medication": m.name,
                    "remission_date": remission.day.isoformat(),
                    "stop_date": stop.isoformat(),
                    "days": days,
                    "minimum_days": minimum,
                },
            )
        )
    return findings


def days_taken(medications: Sequence[MedicationFacts], since: date, today: date) -> dict[str, int]:
    """Days each antidepressant (by name, case-insensitive) was taken from `since` to today, both included; rows of
    one drug (dose changes) add up, a day counted once."""
    spans: dict[str, list[tuple[date, date]]] = {}
    for m in medications:
        first, last = max(m.started_on, since), min(m.stopped_on or today, today)
        if is_antidepressant(m) and first <= last:
            spans.setdefault(m.name.strip().casefold(), []).append((first, last))
    days: dict[str, int] = {}
    for name, ranges in spans.items():
        total, end = 0, date.min
        for first, last in sorted(ranges):
            first = max(first, end + timedelta(days=1))  # a day two rows share is counted once
            if first <= last:
                total += (last - first).days + 1
            end = max(end, last)
        days[name] = total
    return days


def treatment_resistant(
    phase: PhaseFacts,
    scores: Sequence[ScorePoint],
    baseline: ScorePoint | None,
    medications: Sequence[MedicationFacts],
    today: date,
    rules: Rules,
) -> list[Finding]:
    """DESIGN §2b: in the course, 2 or more antidepressants of different names each taken 42 days or more, and the
    latest score less than 50% better than the course's first baseline. Once per course."""
    if baseline is None:
        return []
    after = [s for s in scores if _order(s) > _order(baseline)]
    if not after:
        return []
    latest = after[-1]
    pct = improvement(baseline.total, latest.total)
    if pct is None or pct >= _exact(rules.response_min_pct):
        return []
    trials = sorted(
        name
        for name, days in days_taken(medications, phase.course_started_on, today).items()
        if days >= rules.adequate_trial_days
    )
    if len(trials) < rules.resistant_min_trials:
        return []
    # One flag per course: at most one phase of a patient starts on a given day, so the course's start names its
    # first phase.
    return [
        Finding(
            kind="treatment_resistant",
            severity="medium",
            recommendation="review_treatment",
            dedupe_key=f"patient:{phase.patient_id}:treatment_resistant:{phase.course_started_on.isoformat()}",
            patient_id=phase.patient_id,
            phase_id=phase.phase_id,
            assessment_id=latest.assessment_id,
            evidence={
                "medications": trials,
                "baseline_total": baseline.total,
                "baseline_date": baseline.day.isoformat(),
                "latest_total": latest.total,
                "latest_date": latest.day.isoformat(),
                "improvement_pct": display_pct(pct),
                "course_started_on": phase.course_started_on.isoformat(),
            },
        )
    ]


def bipolar_findings(
    *, patient_id: int, diagnosis: str, medications: Sequence[MedicationFacts], day: date
) -> list[Finding]:
    """DESIGN §2b: bipolar disorder (F31) and an antidepressant taken on `day` with no mood stabiliser, lithium or
    antipsychotic taken that day (antidepressant monotherapy can switch to mania, NICE CG185). Once per
    antidepressant."""
    if not diagnosis_in(diagnosis, BIPOLAR):
        return []
    taken = [m for m in medications if m.patient_id == patient_id and taken_on(m, day)]
    if any(m.drug_class in MANIA_PROTECTING_CLASSES for m in taken):
        return []
    return [
        Finding(
            kind="bipolar_antidepressant",
            severity="high",
            recommendation="review_medications",
            dedupe_key=f"medication:{m.medication_id}:bipolar_antidepressant",
            patient_id=patient_id,
            evidence={"medication_id": m.medication_id, "medication": m.name, "day": day.isoformat()},
        )
        for m in sorted(taken, key=lambda m: m.medication_id)
        if is_antidepressant(m)
    ]


# ---------------------------------------------------------------------------------------------------------------
# Safety checks outside a phase
# ---------------------------------------------------------------------------------------------------------------


def is_mao_inhibiting(m: MedicationFacts) -> bool:
    return m.drug_class in MAO_INHIBITING_CLASSES


def washout_days(m: MedicationFacts, other: MedicationFacts, rules: Rules) -> int:
    """How long `m` stays in effect after its stop day, paired with `other` (DESIGN §2; FDA labels).

    0 days unless `other` inhibits MAO; then 5 weeks after fluoxetine (by name) and 14 days after anything else.
    An MAO inhibitor itself (class `maoi`, irreversible) also stays in effect 14 days after its stop beside any
    serotonergic drug: its labels ask for 14 days before starting one (linezolid and methylene blue act for about a
    day, which their stop day covers).
    """
    if not (is_mao_inhibiting(other) or m.drug_class == "maoi"):
        return 0
    return rules.fluoxetine_washout_days if _drug(m) == "fluoxetine" else rules.mao_washout_days


def in_effect(m: MedicationFacts, other: MedicationFacts, day: date, rules: Rules) -> bool:
    """`m` is in effect on `day` beside `other`: from its start through its stop day plus its washout."""
    if m.started_on > day:
        return False
    return m.stopped_on is None or day <= m.stopped_on + timedelta(days=washout_days(m, other, rules))


def serotonergic_findings(medications: Sequence[MedicationFacts], day: date, rules: Rules) -> list[Finding]:
    """DESIGN §2: two serotonergic medications of one patient in effect on the same day (serotonin syndrome risk).

    A pair with an MAO-inhibiting drug is contraindicated: urgent, stop the combination. Two rows of the same drug
    (a dose change) never pair. Once per pair, smaller id first, whatever order the medications came in.
    """
    by_patient: dict[int, list[MedicationFacts]] = {}
    for m in medications:
        if m.serotonergic and m.started_on <= day:
            by_patient.setdefault(m.patient_id, []).append(m)
    findings = []
    for patient_id in sorted(by_patient):
        for first, second in combinations(sorted(by_patient[patient_id], key=lambda m: m.medication_id), 2):
            if _drug(first) == _drug(second):
                continue
            if not (in_effect(first, second, day, rules) and in_effect(second, first, day, rules)):
                continue
            contraindicated = is_mao_inhibiting(first) or is_mao_inhibiting(second)
            pair = (first, second)
            findings.append(
                Finding(
                    kind="serotonergic_combination",
                    severity="urgent" if contraindicated else "high",
                    recommendation="stop_combination" if contraindicated else "review_medications",
                    dedupe_key=f"patient:{patient_id}:serotonergic_combination:"
                    f"{first.medication_id}-{second.medication_id}",
                    patient_id=patient_id,
                    evidence={
                        "medication_ids": [m.medication_id for m in pair],
                        "medication_names": [m.name for m in pair],
                        "day": day.isoformat(),
                        "mao_inhibitor": contraindicated,
                        # Stopped before the day, in effect through their washout.
                        "in_washout": [m.name for m in pair if m.stopped_on is not None and m.stopped_on < day],
                    },
                )
            )
    return findings


def suicide_finding(
    *,
    patient_id: int,
    assessment_id: int,
    instrument_code: str,
    item_number: int | None,
    items: Sequence[int],
    phase_id: int | None = None,
) -> Finding | None:
    """DESIGN §2: any answer >= 1 on the suicide item (PHQ-9 item 9, HAM-D 17 item 3) is urgent, once per assessment."""
    if item_number is None:
        return None
    if not 1 <= item_number <= len(items):
        raise ValueError(f"{instrument_code} has no answer for its suicide item {item_number}.")
    answer = items[item_number - 1]
    if answer < 1:
        return None
    return Finding(
        kind="suicide_risk",
        severity="urgent",
        recommendation="safety_assessment",
        dedupe_key=f"assessment:{assessment_id}:suicide_risk",
        patient_id=patient_id,
        phase_id=phase_id,  # the active phase when there is one (DESIGN §2)
        assessment_id=assessment_id,
        evidence={"instrument": instrument_code, "item_number": item_number, "answer": answer},
    )


# ---------------------------------------------------------------------------------------------------------------


def _drug(m: MedicationFacts) -> str:
    return m.name.strip().casefold()


def _day(phase: PhaseFacts, score: ScorePoint) -> int:
    return (score.day - phase.started_on).days


@functools.lru_cache(maxsize=32)
def _exact(value: float) -> Fraction:
    # The percentage as written in settings (30.0 -> 30 exactly), so 20 -> 14 is 30.0% and counts as >= 30.
    return Fraction(str(value))


def _view(score: ScorePoint | None) -> PointView | None:
    if score is None:
        return None
    return PointView(assessment_id=score.assessment_id, total=score.total, severity=score.severity, day=score.day)
