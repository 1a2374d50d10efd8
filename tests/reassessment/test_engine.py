"""Tests of the pure clinical rules engine, boundary by boundary (DESIGN §2)."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from reassessment.engine import (
    Finding,
    InstrumentRules,
    MedicationFacts,
    PhaseFacts,
    Rules,
    ScorePoint,
    age_on,
    course_baseline,
    course_remission,
    evaluate,
    interval_in_force,
    overdue_resolved,
    serotonergic_findings,
    suicide_finding,
    summarize,
)

PHQ9 = InstrumentRules(code="phq9", remission_max=4, reliable_change=6, moderate_min=10)
HAMD17 = InstrumentRules(code="hamd17", remission_max=7, reliable_change=8, moderate_min=14)
RULES = Rules()

START = date(2024, 3, 4)  # a Monday
DORA = 7  # the patient: born 1980, well past the under-25 rule
EVAN = 8  # another patient, for medications that must not pair with Dora's

DORA_PHASE = PhaseFacts(
    phase_id=31,
    patient_id=DORA,
    modality="medication",
    stage="acute",
    started_on=START,
    ended_on=None,
    birth_date=date(1980, 6, 1),
    interval_days=28,
    instrument=PHQ9,
    course_started_on=START,
)


def on(day: int) -> date:
    return START + timedelta(days=day)


def score(day: int, total: int, *, id: int | None = None, minute: int = 0, severity: str = "") -> ScorePoint:
    return ScorePoint(
        assessment_id=id if id is not None else 1000 + 10 * day + minute,
        administered_at=datetime.combine(on(day), time(12, minute), tzinfo=UTC),
        day=on(day),
        total=total,
        severity=severity,
    )


def phase(**changes: object) -> PhaseFacts:
    return replace(DORA_PHASE, **changes)  # type: ignore[arg-type]


def findings_of(kind: str, findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def the(kind: str, findings: list[Finding]) -> Finding:
    (found,) = findings_of(kind, findings)
    return found


# --- Rules from settings ------------------------------------------------------------------------------------------


def test_it_builds_rules_from_a_settings_dict_with_defaults_for_missing_keys() -> None:
    rules = Rules.from_mapping({"checkpoint_days": 21, "response_min_pct": 60})
    assert rules.checkpoint_days == 21
    assert rules.response_min_pct == 60.0
    assert rules.partial_response_below_pct == 30.0
    assert rules.young_age_years == 25


def test_it_reads_an_empty_settings_dict_as_the_defaults() -> None:
    assert Rules.from_mapping({}) == Rules()


def test_it_rejects_an_unknown_rules_key() -> None:
    with pytest.raises(ValueError, match="checkpiont_days"):
        Rules.from_mapping({"checkpiont_days": 28})


@pytest.mark.parametrize(
    ("key", "value"), [("checkpoint_days", "28"), ("checkpoint_days", 28.5), ("overdue_factor", True)]
)
def test_it_rejects_a_rules_value_of_the_wrong_type(key: str, value: object) -> None:
    with pytest.raises(TypeError, match=key):
        Rules.from_mapping({key: value})


@pytest.mark.parametrize(
    "mapping",
    [
        {"partial_response_below_pct": 60.0},
        {"min_interval_days": 30},
        {"reminder_gap_days": 0},
        {"young_age_years": -1},
    ],
)
def test_it_rejects_inconsistent_rules(mapping: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rules.from_mapping(mapping)


@pytest.mark.parametrize(("field_name", "value"), [("modality", "hypnosis"), ("stage", "early")])
def test_it_rejects_an_unknown_modality_or_stage(field_name: str, value: str) -> None:
    with pytest.raises(ValueError, match=value):
        phase(**{field_name: value})


# --- Scores of the phase and the baseline -------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "has_baseline"), [(-14, True), (-15, False)])
def test_it_takes_a_baseline_up_to_14_days_before_the_start(day: int, has_baseline: bool) -> None:
    summary = summarize(phase(), [score(day, 15), score(30, 14)], on(30), RULES)
    assert (summary.baseline is not None) is has_baseline
    assert summary.category == ("partial_response" if has_baseline else "no_baseline")


@pytest.mark.parametrize(("day", "has_baseline"), [(7, True), (8, False)])
def test_it_falls_back_to_a_baseline_up_to_day_7(day: int, has_baseline: bool) -> None:
    summary = summarize(phase(), [score(day, 15), score(30, 14)], on(30), RULES)
    assert (summary.baseline is not None) is has_baseline


def test_it_takes_the_latest_score_before_the_start_as_baseline() -> None:
    summary = summarize(phase(), [score(-10, 20), score(-2, 17), score(3, 15)], on(5), RULES)
    assert summary.baseline is not None
    assert summary.baseline.day == on(-2)


def test_it_prefers_a_start_day_score_to_a_later_one_as_baseline() -> None:
    summary = summarize(phase(), [score(0, 17), score(3, 15)], on(5), RULES)
    assert summary.baseline is not None
    assert summary.baseline.day == on(0)


def test_it_takes_the_earliest_score_of_the_first_week_when_none_precedes_the_start() -> None:
    summary = summarize(phase(), [score(5, 15), score(2, 17)], on(6), RULES)
    assert summary.baseline is not None
    assert summary.baseline.day == on(2)


def test_it_breaks_a_baseline_tie_by_assessment_id() -> None:
    summary = summarize(phase(), [score(0, 17, id=9), score(0, 15, id=5)], on(1), RULES)
    assert summary.baseline is not None
    assert summary.baseline.assessment_id == 9


def test_it_orders_by_administration_time_not_by_id() -> None:
    later_with_smaller_id = score(0, 17, id=1, minute=30)
    summary = summarize(phase(), [later_with_smaller_id, score(0, 15, id=2, minute=0)], on(1), RULES)
    assert summary.baseline is not None
    assert summary.baseline.assessment_id == 1


def test_it_gives_the_same_summary_whatever_the_order_of_the_scores() -> None:
    scores = [score(-3, 18), score(10, 14), score(29, 12), score(40, 11)]
    assert summarize(phase(), scores, on(45), RULES) == summarize(phase(), scores[::-1], on(45), RULES)


def test_it_ignores_scores_after_an_ended_phase() -> None:
    ended = phase(ended_on=on(30))
    summary = summarize(ended, [score(0, 18), score(29, 16), score(31, 3)], on(40), RULES)
    assert summary.latest is not None
    assert summary.latest.day == on(29)
    assert summary.category == "partial_response"


def test_it_ignores_scores_dated_after_today() -> None:
    summary = summarize(phase(), [score(0, 18), score(10, 16), score(12, 3)], on(11), RULES)
    assert summary.latest is not None
    assert summary.latest.day == on(10)
    assert summary.anchor_on == on(10)


def test_it_takes_the_previous_phases_last_score_as_baseline_of_the_next() -> None:
    # The previous phase ended the day before START; its day -3 score is within 14 days of the new start.
    scores = [score(-60, 22), score(-31, 19), score(-3, 16)]
    summary = summarize(phase(phase_id=32, modality="combined"), scores, on(2), RULES)
    assert summary.baseline is not None
    assert summary.baseline.day == on(-3)
    assert summary.baseline.total == 16


# --- The course (DESIGN 2b) -------------------------------------------------------------------------------------

# Dora's course began with a medication phase 60 days before the current (combined) phase, which started at START.
COURSE = phase(phase_id=32, modality="combined", course_started_on=on(-60))


@pytest.mark.parametrize(("day", "has_baseline"), [(-74, True), (-75, False), (-53, True), (-52, False)])
def test_it_takes_the_course_baseline_in_the_window_of_its_earliest_phase(day: int, has_baseline: bool) -> None:
    baseline = course_baseline(COURSE, [score(day, 20), score(-3, 12)], RULES)
    assert (baseline is not None and baseline.day == on(day)) is has_baseline


def test_it_prefers_the_latest_course_score_up_to_its_first_day() -> None:
    baseline = course_baseline(COURSE, [score(-70, 21), score(-61, 19), score(-58, 17)], RULES)
    assert baseline is not None
    assert (baseline.day, baseline.total) == (on(-61), 19)


def test_it_takes_the_earliest_course_score_of_its_first_week_when_none_precedes_it() -> None:
    baseline = course_baseline(COURSE, [score(-55, 17), score(-58, 19)], RULES)
    assert baseline is not None
    assert baseline.day == on(-58)


def test_it_has_the_phase_baseline_as_course_baseline_when_the_phase_starts_the_course() -> None:
    scores = [score(-3, 18), score(30, 9)]
    baseline, summary = course_baseline(phase(), scores, RULES), summarize(phase(), scores, on(40), RULES)
    assert baseline is not None
    assert summary.baseline is not None
    assert baseline.assessment_id == summary.baseline.assessment_id


def test_it_has_no_course_baseline_without_a_score_in_the_window() -> None:
    assert course_baseline(COURSE, [score(-40, 15), score(-3, 12)], RULES) is None


@pytest.mark.parametrize(
    ("scores", "remission_day"),
    [
        ([(-61, 19), (-30, 8), (-10, 4), (5, 3)], -10),  # the first in remission, in an earlier phase of the course
        ([(-61, 19), (-30, 8), (20, 4)], 20),  # in the current phase
        ([(-61, 19), (-30, 5), (20, 9)], None),  # 5 is above remission (PHQ-9 <= 4)
        ([(-62, 3), (-30, 12)], None),  # the baseline itself in remission does not count
        ([(-80, 2), (-61, 19), (-30, 12)], None),  # before the course's baseline window
        ([(-40, 3), (-30, 12)], -40),  # no course baseline: any score of the course
    ],
)
def test_it_finds_the_course_remission_after_its_first_baseline(
    scores: list[tuple[int, int]], remission_day: int | None
) -> None:
    found = course_remission(COURSE, [score(day, total) for day, total in scores], RULES)
    assert (found.day if found else None) == (on(remission_day) if remission_day is not None else None)


def test_it_finds_the_course_remission_on_hamd17_with_its_own_cutoff() -> None:
    hamd = replace(COURSE, instrument=HAMD17)
    found = course_remission(hamd, [score(-61, 20), score(-30, 8), score(-20, 7)], RULES)
    assert found is not None
    assert found.day == on(-20)


def test_it_ignores_course_scores_after_an_ended_phase() -> None:
    ended = replace(COURSE, ended_on=on(10))
    assert course_remission(ended, [score(-61, 19), score(11, 3)], RULES) is None


def test_it_refuses_a_course_that_starts_after_its_phase() -> None:
    with pytest.raises(ValueError, match="course"):
        phase(course_started_on=on(1))


# --- Latest and reassessment --------------------------------------------------------------------------------------


def test_it_breaks_a_latest_tie_by_assessment_id() -> None:
    summary = summarize(phase(), [score(0, 18), score(10, 12, id=20), score(10, 11, id=21)], on(12), RULES)
    assert summary.latest is not None
    assert summary.latest.assessment_id == 21


def test_it_has_no_latest_when_only_the_baseline_exists() -> None:
    summary = summarize(phase(), [score(0, 18)], on(12), RULES)
    assert summary.latest is None


def test_it_takes_the_latest_from_all_scores_when_there_is_no_baseline() -> None:
    summary = summarize(phase(), [score(9, 18), score(20, 16)], on(25), RULES)
    assert summary.baseline is None
    assert summary.latest is not None
    assert summary.latest.day == on(20)


@pytest.mark.parametrize(("day", "category"), [(27, "too_early"), (28, "partial_response")])
def test_it_reassesses_from_day_28(day: int, category: str) -> None:
    summary = summarize(phase(), [score(0, 18), score(day, 16)], on(day), RULES)
    assert summary.category == category
    assert (summary.reassessment is not None) is (day >= 28)


def test_it_reassesses_with_the_most_recent_score_from_day_28() -> None:
    summary = summarize(phase(), [score(0, 20), score(28, 18), score(40, 9)], on(41), RULES)
    assert summary.reassessment is not None
    assert summary.reassessment.day == on(40)
    assert summary.category == "response"


def test_it_passes_severity_through_to_the_summary() -> None:
    summary = summarize(phase(), [score(0, 18, severity="moderately_severe")], on(1), RULES)
    assert summary.baseline is not None
    assert summary.baseline.severity == "moderately_severe"


# --- Improvement and category -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "reassessment", "category", "improvement_pct"),
    [
        (20, 15, "partial_response", 25.0),
        (17, 12, "partial_response", 29.4),  # 29.41...%
        (20, 14, "improving", 30.0),  # exactly 30%: improving, not partial
        (51, 26, "improving", 49.0),  # 49.01...%
        (20, 10, "response", 50.0),  # exactly 50%
        (10, 5, "response", 50.0),  # 5 is above remission (PHQ-9 <= 4)
        (20, 4, "remission", 80.0),
        (20, 25, "partial_response", -25.0),  # worse is under 30%
        (18, 18, "partial_response", 0.0),
        (0, 0, "remission", None),
        (0, 6, "partial_response", None),  # a rise from 0
    ],
)
def test_it_categorises_the_response(
    baseline: int, reassessment: int, category: str, improvement_pct: float | None
) -> None:
    summary = summarize(phase(), [score(0, baseline), score(28, reassessment)], on(28), RULES)
    assert summary.category == category
    assert summary.improvement_pct == improvement_pct


@pytest.mark.parametrize(("reassessment", "improvement_pct"), [(15, 6.3), (17, -6.3)])
def test_it_rounds_improvement_halves_away_from_zero(reassessment: int, improvement_pct: float) -> None:
    summary = summarize(phase(), [score(0, 16), score(28, reassessment)], on(28), RULES)
    assert summary.improvement_pct == improvement_pct  # 6.25% exactly; float rounding would say 6.2


def test_it_has_no_improvement_before_the_reassessment() -> None:
    summary = summarize(phase(), [score(0, 18), score(14, 9)], on(14), RULES)
    assert summary.improvement_pct is None
    assert summary.category == "too_early"


def test_it_uses_the_configured_response_thresholds() -> None:
    rules = Rules.from_mapping({"partial_response_below_pct": 25, "response_min_pct": 60})
    scores = [score(0, 20), score(28, 15)]  # 25%
    assert summarize(phase(), scores, on(28), rules).category == "improving"


@pytest.mark.parametrize(
    ("reassessment", "category"), [(7, "remission"), (8, "response"), (15, "partial_response")]
)
def test_it_categorises_hamd17_with_its_own_remission_cutoff(reassessment: int, category: str) -> None:
    summary = summarize(phase(instrument=HAMD17), [score(0, 20), score(28, reassessment)], on(28), RULES)
    assert summary.category == category


# --- Flag partial_response ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "baseline", "flagged"),
    [(PHQ9, 9, False), (PHQ9, 10, True), (HAMD17, 13, False), (HAMD17, 14, True)],
)
def test_it_flags_partial_response_only_from_a_moderate_baseline(
    instrument: InstrumentRules, baseline: int, flagged: bool
) -> None:
    # DESIGN §2: a mild baseline is too close to measurement noise to act on (CMS159 counts PHQ-9 > 9 only).
    findings = evaluate(phase(instrument=instrument), [score(0, baseline), score(56, baseline)], on(56), RULES)
    assert len(findings_of("partial_response", findings)) == int(flagged)


def test_it_does_not_flag_partial_response_for_a_zero_baseline() -> None:
    findings = evaluate(phase(), [score(0, 0), score(56, 6)], on(56), RULES)
    assert summarize(phase(), [score(0, 0), score(56, 6)], on(56), RULES).category == "partial_response"
    assert findings_of("partial_response", findings) == []


@pytest.mark.parametrize(
    ("day", "category", "flagged"),
    [
        (27, "too_early", False),
        (28, "partial_response", False),  # the 4-week checkpoint shows "< 30% so far", no flag
        (55, "partial_response", False),
        (56, "partial_response", True),  # "under 30% improvement after a two-month course"
        (90, "partial_response", True),
    ],
)
def test_it_flags_partial_response_after_a_two_month_course(day: int, category: str, flagged: bool) -> None:
    scores = [score(0, 18), score(day, 16)]
    assert summarize(phase(), scores, on(day), RULES).category == category
    assert len(findings_of("partial_response", evaluate(phase(), scores, on(day), RULES))) == int(flagged)


def test_it_flags_partial_response_on_the_most_recent_score_from_day_56() -> None:
    scores = [score(0, 20), score(56, 17), score(60, 8)]  # 60%: a response by day 60
    assert findings_of("partial_response", evaluate(phase(), scores, on(60), RULES)) == []


def test_it_uses_the_configured_course_length() -> None:
    rules = Rules.from_mapping({"partial_response_min_days": 42})
    findings = evaluate(phase(), [score(0, 18), score(42, 16)], on(42), rules)
    assert the("partial_response", findings).dedupe_key == "phase:31:partial_response:1"


def test_it_refuses_a_course_length_shorter_than_a_checkpoint() -> None:
    with pytest.raises(ValueError, match="partial_response_min_days"):
        Rules.from_mapping({"partial_response_min_days": 27})


@pytest.mark.parametrize(("stage", "flagged"), [("acute", True), ("continuation", False), ("maintenance", False)])
def test_it_flags_partial_response_in_acute_phases_only(stage: str, flagged: bool) -> None:
    findings = evaluate(phase(stage=stage), [score(0, 18), score(56, 16)], on(56), RULES)
    assert len(findings_of("partial_response", findings)) == int(flagged)


@pytest.mark.parametrize(
    ("modality", "recommendation"),
    [
        ("medication", "add_psychotherapy"),
        ("psychotherapy", "add_medication"),
        ("combined", "review_treatment"),
    ],
)
def test_it_recommends_the_other_modality_on_partial_response(modality: str, recommendation: str) -> None:
    findings = evaluate(phase(modality=modality), [score(0, 18), score(56, 15)], on(56), RULES)
    flag = the("partial_response", findings)
    assert flag.recommendation == recommendation
    assert flag.severity == "medium"


def test_it_gives_the_partial_response_evidence() -> None:
    findings = evaluate(phase(), [score(-2, 17, id=501), score(58, 12, id=502)], on(59), RULES)
    flag = the("partial_response", findings)
    assert flag.assessment_id == 502
    assert flag.phase_id == 31
    assert flag.patient_id == DORA
    assert flag.evidence == {
        "baseline_total": 17,
        "baseline_date": "2024-03-02",
        "reassessment_total": 12,
        "reassessment_date": "2024-05-01",
        "improvement_pct": 29.4,
        "instrument": "phq9",
    }


@pytest.mark.parametrize(("day", "checkpoint"), [(56, 2), (83, 2), (84, 3)])
def test_it_keys_partial_response_by_4_week_checkpoint(day: int, checkpoint: int) -> None:
    findings = evaluate(phase(), [score(0, 18), score(day, 16)], on(day), RULES)
    assert the("partial_response", findings).dedupe_key == f"phase:31:partial_response:{checkpoint}"


def test_it_does_not_flag_partial_response_before_day_28() -> None:
    findings = evaluate(phase(), [score(0, 18), score(27, 18)], on(27), RULES)
    assert findings_of("partial_response", findings) == []


def test_it_does_not_flag_partial_response_without_a_baseline() -> None:
    findings = evaluate(phase(), [score(8, 18), score(56, 18)], on(56), RULES)
    assert findings_of("partial_response", findings) == []


def test_it_flags_partial_response_on_hamd17() -> None:
    findings = evaluate(phase(instrument=HAMD17), [score(0, 20), score(56, 15)], on(56), RULES)
    assert the("partial_response", findings).evidence["instrument"] == "hamd17"


# --- Flag worsening -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "rise", "flagged"),
    [(PHQ9, 5, False), (PHQ9, 6, True), (HAMD17, 7, False), (HAMD17, 8, True)],
)
def test_it_flags_worsening_from_the_reliable_change_threshold(
    instrument: InstrumentRules, rise: int, flagged: bool
) -> None:
    findings = evaluate(phase(instrument=instrument), [score(0, 8), score(10, 8 + rise)], on(10), RULES)
    assert len(findings_of("worsening", findings)) == int(flagged)


def test_it_flags_worsening_in_the_first_week() -> None:
    findings = evaluate(phase(), [score(-1, 8), score(3, 15, id=77)], on(3), RULES)
    flag = the("worsening", findings)
    assert (flag.severity, flag.recommendation, flag.assessment_id) == ("high", "review_treatment", 77)
    assert flag.dedupe_key == "phase:31:worsening:0"


@pytest.mark.parametrize(("day", "checkpoint"), [(27, 0), (28, 1), (56, 2)])
def test_it_keys_worsening_by_the_latest_scores_checkpoint(day: int, checkpoint: int) -> None:
    findings = evaluate(phase(), [score(0, 8), score(day, 15)], on(day), RULES)
    assert the("worsening", findings).dedupe_key == f"phase:31:worsening:{checkpoint}"


def test_it_takes_the_first_score_as_reference_without_a_baseline() -> None:
    findings = evaluate(phase(), [score(10, 3), score(20, 20)], on(20), RULES)
    assert the("worsening", findings).evidence["reference_date"] == on(10).isoformat()


def test_it_does_not_judge_the_first_score_without_a_baseline() -> None:
    assert findings_of("worsening", evaluate(phase(), [score(10, 20)], on(20), RULES)) == []


def test_it_gives_the_worsening_evidence() -> None:
    findings = evaluate(phase(), [score(0, 8), score(10, 15)], on(10), RULES)
    assert the("worsening", findings).evidence == {
        "reference_total": 8,
        "reference_date": "2024-03-04",
        "score_total": 15,
        "score_date": "2024-03-14",
        "change": 7,
        "instrument": "phq9",
    }


@pytest.mark.parametrize(
    ("scores", "reference", "flagged"),
    [
        ([(0, 20), (28, 5), (42, 13)], (28, 5), True),  # DESIGN's rebound: 20 -> 5 -> 13, 8 points above the best
        ([(0, 20), (28, 5), (42, 10)], (28, 5), False),  # 5 points: below the reliable change
        ([(0, 20), (28, 5), (35, 7), (42, 11)], (28, 5), True),  # the lowest point, not the one just before
        ([(0, 8), (14, 12), (28, 14)], (0, 8), True),  # the baseline is the best point
        ([(-10, 2), (0, 14), (28, 14)], None, False),  # a score before the baseline is no reference
        ([(10, 20), (20, 6), (30, 12)], (20, 6), True),  # no baseline: the first score starts the reference
    ],
)
def test_it_judges_worsening_from_the_best_point(
    scores: list[tuple[int, int]], reference: tuple[int, int] | None, flagged: bool
) -> None:
    findings = findings_of("worsening", evaluate(phase(), [score(d, t) for d, t in scores], on(45), RULES))
    assert len(findings) == int(flagged)
    if flagged and reference is not None:
        day, total = reference
        assert (findings[0].evidence["reference_date"], findings[0].evidence["reference_total"]) == (
            on(day).isoformat(),
            total,
        )


@pytest.mark.parametrize(("typed_late_day", "flagged"), [(72, True), (71, False)])
def test_it_judges_every_score_of_the_last_28_days_not_only_the_latest(typed_late_day: int, flagged: bool) -> None:
    # A paper form dated day 72 (or 71), typed in after a newer score of day 95; today is day 100.
    scores = [score(0, 10), score(typed_late_day, 17), score(95, 9)]
    assert len(findings_of("worsening", evaluate(phase(), scores, on(100), RULES))) == int(flagged)


def test_it_judges_the_latest_score_however_old() -> None:
    findings = evaluate(phase(), [score(0, 8), score(10, 15)], on(200), RULES)
    assert the("worsening", findings).assessment_id == score(10, 15).assessment_id


def test_it_flags_worsening_once_per_checkpoint_on_its_first_score() -> None:
    scores = [score(0, 8), score(60, 15), score(70, 20), score(84, 16)]
    flags = findings_of("worsening", evaluate(phase(), scores, on(86), RULES))
    assert [(f.dedupe_key, f.evidence["score_date"]) for f in flags] == [
        ("phase:31:worsening:2", on(60).isoformat()),
        ("phase:31:worsening:3", on(84).isoformat()),
    ]


# --- Flag relapse -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("middle", "flagged"), [(4, True), (5, False)])
def test_it_flags_relapse_in_an_acute_phase_only_after_remission(middle: int, flagged: bool) -> None:
    findings = evaluate(phase(), [score(0, 18), score(14, middle), score(30, 12)], on(30), RULES)
    assert len(findings_of("relapse", findings)) == int(flagged)


@pytest.mark.parametrize(("stage", "flagged"), [("acute", False), ("continuation", True), ("maintenance", True)])
def test_it_flags_relapse_by_stage_without_remission(stage: str, flagged: bool) -> None:
    findings = evaluate(phase(stage=stage), [score(0, 6), score(30, 10)], on(30), RULES)
    assert len(findings_of("relapse", findings)) == int(flagged)


@pytest.mark.parametrize(
    ("instrument", "latest", "flagged"),
    [(PHQ9, 9, False), (PHQ9, 10, True), (HAMD17, 13, False), (HAMD17, 14, True)],
)
def test_it_flags_relapse_from_the_moderate_band(instrument: InstrumentRules, latest: int, flagged: bool) -> None:
    scores = [score(0, 6), score(30, latest)]
    findings = evaluate(phase(stage="continuation", instrument=instrument), scores, on(30), RULES)
    assert len(findings_of("relapse", findings)) == int(flagged)


def test_it_does_not_count_a_remission_before_the_baseline() -> None:
    findings = evaluate(phase(), [score(-10, 3), score(0, 15), score(30, 12)], on(30), RULES)
    assert findings_of("relapse", findings) == []


def test_it_gives_the_relapse_evidence_and_key() -> None:
    findings = evaluate(phase(), [score(0, 18), score(14, 3), score(60, 12, id=88)], on(60), RULES)
    flag = the("relapse", findings)
    assert (flag.severity, flag.recommendation, flag.assessment_id) == ("high", "review_treatment", 88)
    assert flag.dedupe_key == "phase:31:relapse:2"
    assert flag.evidence == {
        "score_total": 12,
        "score_date": "2024-05-03",
        "stage": "acute",
        "remission_total": 3,
        "remission_date": "2024-03-18",
        "lowest_total": 3,
        "lowest_date": "2024-03-18",
        "instrument": "phq9",
    }


def test_it_does_not_flag_relapse_on_a_first_score_in_maintenance() -> None:
    # Nothing earlier in the course was below moderate: no sign the patient ever got better.
    assert findings_of("relapse", evaluate(phase(stage="maintenance"), [score(20, 11)], on(20), RULES)) == []


# The course: an acute medication phase from day -90, then (day 0) a continuation phase, ended the day before.
CONTINUATION = phase(phase_id=33, stage="continuation", course_started_on=on(-90))


@pytest.mark.parametrize(
    ("stage", "scores", "flagged"),
    [
        # DESIGN: a continuation phase that starts at 12 and stays at 11 raises no relapse.
        ("continuation", [(-91, 12), (0, 12), (20, 11)], False),
        # Remitted in the acute phase, back at moderate in continuation: relapse.
        ("continuation", [(-91, 18), (-40, 3), (0, 6), (20, 12)], True),
        # Remitted in the acute phase, back at moderate while still acute: relapse.
        ("acute", [(-91, 18), (-40, 3), (0, 6), (20, 12)], True),
        # Never got better in an acute course: no relapse.
        ("acute", [(-91, 18), (-40, 12), (0, 11), (20, 14)], False),
        # Continuation: an earlier score of the course was below the moderate band (8), now 10.
        ("continuation", [(-91, 18), (-40, 8), (0, 9), (20, 10)], True),
        ("maintenance", [(-91, 18), (-40, 8), (0, 9), (20, 10)], True),
        # ... but in an acute course, mild is not remission.
        ("acute", [(-91, 18), (-40, 8), (0, 9), (20, 10)], False),
        # Still below the moderate band: no relapse whatever came before.
        ("continuation", [(-91, 18), (-40, 3), (20, 9)], False),
        # A remission before the course's first baseline does not count.
        ("acute", [(-110, 3), (-91, 18), (0, 12), (20, 12)], False),
    ],
)
def test_it_judges_relapse_over_the_course(stage: str, scores: list[tuple[int, int]], flagged: bool) -> None:
    facts = replace(CONTINUATION, stage=stage)
    findings = evaluate(facts, [score(d, t) for d, t in scores], on(25), RULES)
    assert len(findings_of("relapse", findings)) == int(flagged)


@pytest.mark.parametrize(("typed_late_day", "flagged"), [(72, True), (71, False)])
def test_it_judges_a_late_typed_score_for_relapse(typed_late_day: int, flagged: bool) -> None:
    scores = [score(0, 18), score(30, 3), score(typed_late_day, 12), score(95, 4)]
    assert len(findings_of("relapse", evaluate(phase(), scores, on(100), RULES))) == int(flagged)


# --- Interval in force --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("birth_date", "interval"), [(date(1999, 3, 5), 7), (date(1999, 3, 4), 28)])
def test_it_monitors_weekly_only_under_25_on_the_start_day(birth_date: date, interval: int) -> None:
    # Born 1999-03-05: 24 on 2024-03-04. Born 1999-03-04: 25 that day.
    assert interval_in_force(phase(birth_date=birth_date), on(3), RULES) == interval


def test_it_keeps_weekly_monitoring_for_a_patient_turning_25_during_the_phase() -> None:
    turns_25_on_day_10 = date(1999, 3, 14)
    assert interval_in_force(phase(birth_date=turns_25_on_day_10), on(20), RULES) == 7


@pytest.mark.parametrize(("day", "interval"), [(27, 7), (28, 28)])
def test_it_monitors_weekly_for_the_first_28_days(day: int, interval: int) -> None:
    assert interval_in_force(phase(birth_date=date(2005, 1, 1)), on(day), RULES) == interval


@pytest.mark.parametrize(("modality", "interval"), [("medication", 7), ("combined", 7), ("psychotherapy", 28)])
def test_it_monitors_weekly_only_where_an_antidepressant_is_involved(modality: str, interval: int) -> None:
    young = phase(modality=modality, birth_date=date(2005, 1, 1))
    assert interval_in_force(young, on(3), RULES) == interval


@pytest.mark.parametrize(
    ("started", "today", "interval"),
    [
        (0, 3, 7),  # an antidepressant started in a psychotherapy phase
        (-10, 3, 7),  # ... before the phase, within the last 28 days
        (-25, 2, 7),  # day 27 after the start
        (-25, 3, 28),  # day 28: the window is over
        (10, 3, 28),  # not started yet
    ],
)
def test_it_monitors_weekly_after_an_antidepressant_start_whatever_the_phase(
    started: int, today: int, interval: int
) -> None:
    young = phase(modality="psychotherapy", birth_date=date(2005, 1, 1), antidepressant_starts=(on(started),))
    assert interval_in_force(young, on(today), RULES) == interval


def test_it_monitors_weekly_again_after_a_dose_change() -> None:
    # Sertraline from day -60, its dose changed on day 20 (a new row): weekly again for days 20-47.
    young = phase(modality="psychotherapy", birth_date=date(2005, 1, 1), antidepressant_starts=(on(-60), on(20)))
    assert [interval_in_force(young, on(day), RULES) for day in (19, 20, 47, 48)] == [28, 7, 7, 28]


@pytest.mark.parametrize(("birth_date", "interval"), [(date(1999, 3, 25), 7), (date(1999, 3, 24), 28)])
def test_it_takes_the_age_on_the_antidepressants_start_day(birth_date: date, interval: int) -> None:
    # Started on day 20 (2024-03-24): born 1999-03-25 is 24 that day, born 1999-03-24 is 25.
    facts = phase(modality="psychotherapy", birth_date=birth_date, antidepressant_starts=(on(20),))
    assert interval_in_force(facts, on(25), RULES) == interval


@pytest.mark.parametrize(
    ("modality", "starts", "missing"),
    [
        ("medication", (), True),
        ("combined", (), True),
        ("psychotherapy", (), False),
        ("psychotherapy", (-5,), True),  # an antidepressant started in the last 28 days
        ("psychotherapy", (-40,), False),
    ],
)
def test_it_says_the_birth_date_is_missing_where_the_under_25_rule_may_apply(
    modality: str, starts: tuple[int, ...], missing: bool
) -> None:
    facts = phase(modality=modality, birth_date=None, antidepressant_starts=tuple(on(d) for d in starts))
    assert summarize(facts, [], on(10), RULES).birth_date_missing is missing
    assert summarize(replace(facts, birth_date=date(1980, 1, 1)), [], on(10), RULES).birth_date_missing is False


def test_it_uses_the_patients_interval_when_the_birth_date_is_unknown() -> None:
    assert interval_in_force(phase(birth_date=None, interval_days=14), on(3), RULES) == 14


@pytest.mark.parametrize(("interval_days", "interval"), [(3, 7), (14, 14), (90, 56)])
def test_it_keeps_the_patients_interval_within_the_allowed_range(interval_days: int, interval: int) -> None:
    assert interval_in_force(phase(interval_days=interval_days), on(3), RULES) == interval


@pytest.mark.parametrize(
    ("birth_date", "on_day", "age"),
    [
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2000, 2, 29), date(2024, 2, 28), 23),
        (date(1999, 12, 31), date(2024, 12, 30), 24),
        (date(1999, 12, 31), date(2024, 12, 31), 25),
    ],
)
def test_it_counts_age_in_whole_years(birth_date: date, on_day: date, age: int) -> None:
    assert age_on(birth_date, on_day) == age


# --- Reminder reassessment_due ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "due"), [(27, False), (28, True)])
def test_it_is_due_after_the_interval(day: int, due: bool) -> None:
    findings = evaluate(phase(), [score(0, 18)], on(day), RULES)
    assert len(findings_of("reassessment_due", findings)) == int(due)
    assert summarize(phase(), [score(0, 18)], on(day), RULES).due is due


@pytest.mark.parametrize(("day", "due"), [(6, False), (7, True)])
def test_it_is_due_weekly_for_a_young_patient_on_medication(day: int, due: bool) -> None:
    young = phase(birth_date=date(2004, 1, 1))
    assert summarize(young, [score(0, 18)], on(day), RULES).due is due


def test_it_counts_the_interval_from_the_most_recent_score() -> None:
    scores = [score(0, 18), score(30, 14)]
    assert summarize(phase(), scores, on(57), RULES).due is False
    summary = summarize(phase(), scores, on(58), RULES)
    assert summary.due is True
    assert summary.next_due_on == on(58)


def test_it_is_not_due_before_the_phase_is_an_interval_old() -> None:
    summary = summarize(phase(), [score(-10, 18)], on(20), RULES)  # 30 days since the score, phase 20 days old
    assert summary.due is False
    assert summary.next_due_on == on(28)


def test_it_counts_from_the_start_when_there_is_no_score() -> None:
    summary = summarize(phase(), [], on(10), RULES)
    assert summary.anchor_on == START
    assert summary.next_due_on == on(28)


def test_it_marks_the_due_finding_as_a_reminder() -> None:
    reminder = the("reassessment_due", evaluate(phase(), [score(0, 18)], on(28), RULES))
    assert (reminder.is_reminder, reminder.severity, reminder.recommendation) == (True, "", "")
    assert reminder.dedupe_key == f"patient:{DORA}:reassessment_due:2024-04-01:0"
    assert reminder.phase_id == 31


def test_it_keeps_the_reminder_key_for_7_days_and_changes_it_on_the_8th() -> None:
    def key(day: int) -> str:
        return the("reassessment_due", evaluate(phase(), [score(0, 18)], on(day), RULES)).dedupe_key

    assert {key(day) for day in range(28, 35)} == {key(28)}
    assert key(35) != key(28)


def test_it_does_not_mark_flags_as_reminders() -> None:
    findings = evaluate(phase(), [score(0, 8), score(10, 15)], on(70), RULES)
    assert [f.kind for f in findings if f.is_reminder] == ["reassessment_due"]


# --- Flag reassessment_overdue ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "overdue"), [(55, False), (56, True)])
def test_it_is_overdue_at_twice_the_interval(day: int, overdue: bool) -> None:
    findings = evaluate(phase(), [score(0, 18)], on(day), RULES)
    assert len(findings_of("reassessment_overdue", findings)) == int(overdue)
    assert summarize(phase(), [score(0, 18)], on(day), RULES).overdue is overdue


def test_it_is_not_overdue_before_the_phase_is_twice_the_interval_old() -> None:
    summary = summarize(phase(), [score(-14, 18)], on(43), RULES)  # 57 days since the score
    assert summary.overdue is False
    assert summary.due is True


def test_it_is_overdue_at_14_days_for_a_young_patient_on_medication() -> None:
    young = phase(birth_date=date(2004, 1, 1))
    assert summarize(young, [score(0, 18)], on(13), RULES).overdue is False
    assert summarize(young, [score(0, 18)], on(14), RULES).overdue is True


def test_it_keys_the_overdue_flag_by_its_anchor() -> None:
    flag = the("reassessment_overdue", evaluate(phase(), [score(0, 18), score(20, 15)], on(80), RULES))
    assert (flag.severity, flag.recommendation) == ("low", "contact_patient")
    assert flag.dedupe_key == "phase:31:reassessment_overdue:2024-03-24"
    assert flag.evidence == {"anchor_date": "2024-03-24", "days_since": 60, "interval_days": 28}


@pytest.mark.parametrize(
    ("flag_phase", "flag_anchor", "active_scores", "today", "resolved"),
    [
        (31, 0, [(0, 18)], 60, False),  # still no score after the anchor
        (31, 0, [(0, 18), (61, 12)], 62, True),  # a score dated after the anchor
        (31, 0, [(0, 18), (0, 12)], 62, False),  # a second score the same day is not after the anchor
        (32, 0, [(0, 18)], 60, True),  # the flag's phase has ended (another phase is active)
    ],
)
def test_it_resolves_an_overdue_flag_only_on_a_new_score_or_the_end_of_its_phase(
    flag_phase: int, flag_anchor: int, active_scores: list[tuple[int, int]], today: int, resolved: bool
) -> None:
    active = summarize(phase(), [score(d, t, minute=i) for i, (d, t) in enumerate(active_scores)], on(today), RULES)
    assert overdue_resolved(flag_phase_id=flag_phase, flag_anchor_on=on(flag_anchor), active=active) is resolved


def test_it_resolves_an_overdue_flag_when_the_patient_has_no_active_phase() -> None:
    assert overdue_resolved(flag_phase_id=31, flag_anchor_on=on(0), active=None) is True


@pytest.mark.parametrize("today", [27, 28, 40])
def test_it_keeps_an_overdue_flag_when_the_weekly_window_ends(today: int) -> None:
    # Under 25 on medication: overdue from day 14 (twice 7 days); on day 28 the interval becomes 28 days and the
    # overdue condition no longer holds, but no score has come: the flag stays (DESIGN §2).
    young = phase(birth_date=date(2004, 1, 1))
    assert the("reassessment_overdue", evaluate(young, [score(0, 18)], on(14), RULES)).dedupe_key.endswith(
        on(0).isoformat()
    )
    later = summarize(young, [score(0, 18)], on(today), RULES)
    assert overdue_resolved(flag_phase_id=31, flag_anchor_on=on(0), active=later) is False


def test_it_gives_no_reminder_or_overdue_flag_for_an_ended_phase() -> None:
    ended = phase(ended_on=on(60))
    findings = evaluate(ended, [score(0, 18)], on(61), RULES)
    assert findings_of("reassessment_due", findings) == []
    assert findings_of("reassessment_overdue", findings) == []
    summary = summarize(ended, [score(0, 18)], on(61), RULES)
    assert (summary.due, summary.overdue, summary.anchor_on) == (False, False, START)


# --- Summary ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "week"), [(0, 1), (6, 1), (7, 2), (28, 5)])
def test_it_counts_phase_weeks_from_1(day: int, week: int) -> None:
    assert summarize(phase(), [], on(day), RULES).week == week


def test_it_reports_the_interval_in_force_today() -> None:
    young = phase(birth_date=date(2004, 1, 1))
    assert summarize(young, [], on(3), RULES).interval_days == 7
    assert summarize(young, [], on(30), RULES).interval_days == 28


def test_it_raises_nothing_for_a_patient_on_track() -> None:
    assert evaluate(phase(), [score(0, 18), score(14, 12), score(28, 8)], on(30), RULES) == []


def test_it_gives_json_serialisable_evidence() -> None:
    scores = [score(0, 10), score(14, 3), score(57, 16)]
    findings = evaluate(phase(), scores, on(120), RULES)
    assert {f.kind for f in findings} == {
        "partial_response",
        "worsening",
        "relapse",
        "reassessment_due",
        "reassessment_overdue",
    }
    json.dumps([dict(f.evidence) for f in findings])


# --- Flag serotonergic_combination --------------------------------------------------------------------------------


def medication(
    medication_id: int,
    *,
    started: int = -30,
    stopped: int | None = None,
    name: str | None = None,
    drug_class: str = "ssri",
    **changes: object,
) -> MedicationFacts:
    facts = MedicationFacts(
        medication_id=medication_id,
        patient_id=DORA,
        serotonergic=True,
        started_on=on(started),
        stopped_on=None if stopped is None else on(stopped),
        name=name if name is not None else f"drug-{medication_id}",
        drug_class=drug_class,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_it_flags_two_serotonergic_medications_once_per_pair_smaller_id_first() -> None:
    (flag,) = serotonergic_findings([medication(9, name="tramadol"), medication(4, name="Sertraline")], on(0), RULES)
    assert (flag.kind, flag.severity, flag.recommendation) == ("serotonergic_combination", "high", "review_medications")
    assert flag.dedupe_key == f"patient:{DORA}:serotonergic_combination:4-9"
    assert flag.patient_id == DORA
    assert flag.evidence == {
        "medication_ids": [4, 9],
        "medication_names": ["Sertraline", "tramadol"],
        "day": "2024-03-04",
        "mao_inhibitor": False,
        "in_washout": [],
    }


@pytest.mark.parametrize(
    ("first", "second", "flag"),
    [
        # Stopped the day before, no MAO inhibitor in the pair: no washout.
        (dict(name="sertraline", stopped=-1), dict(name="tramadol", drug_class="serotonergic_opioid"), None),
        # Fluoxetine stays in effect 35 days after its stop beside an MAO inhibitor (FDA: 5 weeks) ...
        (dict(name="fluoxetine", stopped=-35), dict(name="phenelzine", drug_class="maoi", started=0), "urgent"),
        (dict(name="fluoxetine", stopped=-36), dict(name="phenelzine", drug_class="maoi", started=0), None),
        (dict(name="Fluoxetine", stopped=-35), dict(name="linezolid", drug_class="linezolid", started=0), "urgent"),
        # ... any other drug 14 days (FDA: 14 days between an MAOI and another serotonergic drug).
        (dict(name="sertraline", stopped=-14), dict(name="phenelzine", drug_class="maoi", started=0), "urgent"),
        (dict(name="sertraline", stopped=-15), dict(name="phenelzine", drug_class="maoi", started=0), None),
        (dict(name="sertraline", stopped=-14), dict(name="methylene blue", drug_class="methylene_blue"), "urgent"),
        # Fluoxetine's long washout is for MAO inhibitors only.
        (dict(name="fluoxetine", stopped=-1), dict(name="sumatriptan", drug_class="triptan", started=0), None),
        # An MAOI stopped: 14 days before another serotonergic drug may start.
        (dict(name="phenelzine", drug_class="maoi", stopped=-14), dict(name="sertraline", started=0), "urgent"),
        (dict(name="phenelzine", drug_class="maoi", stopped=-15), dict(name="sertraline", started=0), None),
        # Linezolid and methylene blue act for about a day: their stop day covers it.
        (dict(name="linezolid", drug_class="linezolid", stopped=-1), dict(name="sertraline", started=0), None),
        # Both in effect, an MAO-inhibiting one among them: contraindicated, urgent.
        (dict(name="sertraline"), dict(name="selegiline", drug_class="maoi"), "urgent"),
        (dict(name="sertraline"), dict(name="dextromethorphan", drug_class="dextromethorphan"), "high"),
        (dict(name="sertraline"), dict(name="amphetamine", drug_class="amphetamine"), "high"),
        (dict(name="sertraline"), dict(name="pethidine", drug_class="serotonergic_opioid"), "high"),
    ],
)
def test_it_keeps_a_medication_in_effect_through_its_washout(
    first: dict[str, Any], second: dict[str, Any], flag: str | None
) -> None:
    findings = serotonergic_findings([medication(1, **first), medication(2, **second)], on(0), RULES)
    assert [f.severity for f in findings] == ([flag] if flag else [])
    if flag == "urgent":
        assert findings[0].recommendation == "stop_combination"
        assert findings[0].evidence["mao_inhibitor"] is True


def test_it_names_the_medication_in_its_washout() -> None:
    meds = [medication(1, name="fluoxetine", stopped=-20), medication(2, name="phenelzine", drug_class="maoi")]
    (flag,) = serotonergic_findings(meds, on(0), RULES)
    assert flag.evidence["in_washout"] == ["fluoxetine"]


@pytest.mark.parametrize(("names", "flagged"), [(("sertraline", "Sertraline "), False), (("sertraline", "x"), True)])
def test_it_never_pairs_two_rows_of_the_same_drug(names: tuple[str, str], flagged: bool) -> None:
    # A dose change: the old row stops the day before the new one starts, or overlaps by a day in the record.
    meds = [medication(1, name=names[0], stopped=0), medication(2, name=names[1], started=0)]
    assert len(serotonergic_findings(meds, on(0), RULES)) == int(flagged)


def test_it_uses_the_configured_washouts() -> None:
    rules = Rules.from_mapping({"mao_washout_days": 7})
    meds = [medication(1, name="sertraline", stopped=-8), medication(2, name="phenelzine", drug_class="maoi")]
    assert serotonergic_findings(meds, on(0), rules) == []


@pytest.mark.parametrize(("stopped", "flagged"), [(0, True), (-1, False)])
def test_it_counts_a_medication_as_active_on_its_stop_day(stopped: int, flagged: bool) -> None:
    findings = serotonergic_findings([medication(1), medication(2, stopped=stopped)], on(0), RULES)
    assert len(findings) == int(flagged)


@pytest.mark.parametrize(("started", "flagged"), [(1, False), (0, True)])
def test_it_flags_a_future_medication_only_from_its_first_day(started: int, flagged: bool) -> None:
    findings = serotonergic_findings([medication(1), medication(2, started=started)], on(0), RULES)
    assert len(findings) == int(flagged)


def test_it_ignores_a_medication_that_is_not_serotonergic() -> None:
    assert serotonergic_findings([medication(1), medication(2, serotonergic=False)], on(0), RULES) == []


def test_it_does_not_pair_medications_of_different_patients() -> None:
    assert serotonergic_findings([medication(1), medication(2, patient_id=EVAN)], on(0), RULES) == []


def test_it_flags_every_pair_of_three_serotonergic_medications() -> None:
    findings = serotonergic_findings([medication(3), medication(1), medication(2)], on(0), RULES)
    assert [f.evidence["medication_ids"] for f in findings] == [[1, 2], [1, 3], [2, 3]]


# --- Flag suicide_risk --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "flagged"), [(0, False), (1, True), (3, True)])
def test_it_flags_phq9_item_9_from_1(answer: int, flagged: bool) -> None:
    items = [2, 2, 1, 1, 0, 0, 1, 1, answer]
    flag = suicide_finding(patient_id=DORA, assessment_id=55, instrument_code="phq9", item_number=9, items=items)
    assert (flag is not None) is flagged


@pytest.mark.parametrize(("answer", "flagged"), [(0, False), (1, True)])
def test_it_flags_hamd17_item_3_from_1(answer: int, flagged: bool) -> None:
    items = [2, 1, answer] + [0] * 14
    flag = suicide_finding(patient_id=DORA, assessment_id=56, instrument_code="hamd17", item_number=3, items=items)
    assert (flag is not None) is flagged


def test_it_raises_an_urgent_suicide_flag_once_per_assessment() -> None:
    flag = suicide_finding(
        patient_id=DORA, assessment_id=55, instrument_code="phq9", item_number=9, items=[0] * 8 + [2]
    )
    assert flag is not None
    assert (flag.kind, flag.severity, flag.recommendation) == ("suicide_risk", "urgent", "safety_assessment")
    assert (flag.dedupe_key, flag.assessment_id, flag.patient_id) == ("assessment:55:suicide_risk", 55, DORA)
    assert flag.evidence == {"instrument": "phq9", "item_number": 9, "answer": 2}


def test_it_gives_the_suicide_flag_the_active_phase() -> None:
    flag = suicide_finding(
        patient_id=DORA, assessment_id=55, instrument_code="phq9", item_number=9, items=[0] * 8 + [1], phase_id=31
    )
    assert flag is not None
    assert flag.phase_id == 31


def test_it_raises_no_suicide_flag_for_an_instrument_without_a_suicide_item() -> None:
    flag = suicide_finding(patient_id=DORA, assessment_id=57, instrument_code="gad7", item_number=None, items=[3] * 7)
    assert flag is None


def test_it_refuses_a_suicide_item_missing_from_the_answers() -> None:
    with pytest.raises(ValueError, match="phq9"):
        suicide_finding(patient_id=DORA, assessment_id=58, instrument_code="phq9", item_number=9, items=[0] * 8)
