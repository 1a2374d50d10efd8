"""Tests of the pure clinical rules engine, boundary by boundary (DESIGN §2)."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

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


@pytest.mark.parametrize(("baseline", "flagged"), [(4, False), (5, True)])
def test_it_flags_partial_response_only_above_remission_at_baseline(baseline: int, flagged: bool) -> None:
    findings = evaluate(phase(), [score(0, baseline), score(28, 6)], on(28), RULES)
    assert len(findings_of("partial_response", findings)) == int(flagged)


def test_it_does_not_flag_partial_response_for_a_zero_baseline() -> None:
    findings = evaluate(phase(), [score(0, 0), score(28, 6)], on(28), RULES)
    assert summarize(phase(), [score(0, 0), score(28, 6)], on(28), RULES).category == "partial_response"
    assert findings_of("partial_response", findings) == []


@pytest.mark.parametrize(
    ("modality", "recommendation"),
    [
        ("medication", "add_psychotherapy"),
        ("psychotherapy", "add_medication"),
        ("combined", "review_treatment"),
    ],
)
def test_it_recommends_the_other_modality_on_partial_response(modality: str, recommendation: str) -> None:
    findings = evaluate(phase(modality=modality), [score(0, 18), score(28, 15)], on(28), RULES)
    flag = the("partial_response", findings)
    assert flag.recommendation == recommendation
    assert flag.severity == "medium"


def test_it_gives_the_partial_response_evidence() -> None:
    findings = evaluate(phase(), [score(-2, 17, id=501), score(30, 12, id=502)], on(31), RULES)
    flag = the("partial_response", findings)
    assert flag.assessment_id == 502
    assert flag.phase_id == 31
    assert flag.patient_id == DORA
    assert flag.evidence == {
        "baseline_total": 17,
        "baseline_date": "2024-03-02",
        "reassessment_total": 12,
        "reassessment_date": "2024-04-03",
        "improvement_pct": 29.4,
        "instrument": "phq9",
    }


@pytest.mark.parametrize(("day", "checkpoint"), [(28, 1), (55, 1), (56, 2)])
def test_it_keys_partial_response_by_4_week_checkpoint(day: int, checkpoint: int) -> None:
    findings = evaluate(phase(), [score(0, 18), score(day, 16)], on(day), RULES)
    assert the("partial_response", findings).dedupe_key == f"phase:31:partial_response:{checkpoint}"


def test_it_does_not_flag_partial_response_before_day_28() -> None:
    findings = evaluate(phase(), [score(0, 18), score(27, 18)], on(27), RULES)
    assert findings_of("partial_response", findings) == []


def test_it_does_not_flag_partial_response_without_a_baseline() -> None:
    findings = evaluate(phase(), [score(8, 18), score(28, 18)], on(28), RULES)
    assert findings_of("partial_response", findings) == []


def test_it_flags_partial_response_on_hamd17() -> None:
    findings = evaluate(phase(instrument=HAMD17), [score(0, 20), score(28, 15)], on(28), RULES)
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


def test_it_does_not_flag_worsening_without_a_baseline() -> None:
    findings = evaluate(phase(), [score(10, 3), score(20, 20)], on(20), RULES)
    assert findings_of("worsening", findings) == []


def test_it_gives_the_worsening_evidence() -> None:
    findings = evaluate(phase(), [score(0, 8), score(10, 15)], on(10), RULES)
    assert the("worsening", findings).evidence == {
        "baseline_total": 8,
        "baseline_date": "2024-03-04",
        "latest_total": 15,
        "latest_date": "2024-03-14",
        "change": 7,
        "instrument": "phq9",
    }


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
        "latest_total": 12,
        "latest_date": "2024-05-03",
        "stage": "acute",
        "remission_total": 3,
        "remission_date": "2024-03-18",
        "instrument": "phq9",
    }


def test_it_flags_relapse_in_maintenance_without_a_baseline() -> None:
    findings = evaluate(phase(stage="maintenance"), [score(20, 11)], on(20), RULES)
    assert the("relapse", findings).dedupe_key == "phase:31:relapse:0"


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
    scores = [score(0, 8), score(14, 3), score(29, 16)]
    findings = evaluate(phase(stage="continuation"), scores, on(90), RULES)
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
    medication_id: int, *, started: int = -30, stopped: int | None = None, **changes: object
) -> MedicationFacts:
    facts = MedicationFacts(
        medication_id=medication_id,
        patient_id=DORA,
        serotonergic=True,
        started_on=on(started),
        stopped_on=None if stopped is None else on(stopped),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_it_flags_two_serotonergic_medications_once_per_pair_smaller_id_first() -> None:
    (flag,) = serotonergic_findings([medication(9), medication(4)], on(0))
    assert (flag.kind, flag.severity, flag.recommendation) == ("serotonergic_combination", "high", "review_medications")
    assert flag.dedupe_key == f"patient:{DORA}:serotonergic_combination:4-9"
    assert flag.patient_id == DORA
    assert flag.evidence == {"medication_ids": [4, 9], "day": "2024-03-04"}


@pytest.mark.parametrize(("stopped", "flagged"), [(0, True), (-1, False)])
def test_it_counts_a_medication_as_active_on_its_stop_day(stopped: int, flagged: bool) -> None:
    findings = serotonergic_findings([medication(1), medication(2, stopped=stopped)], on(0))
    assert len(findings) == int(flagged)


@pytest.mark.parametrize(("started", "flagged"), [(1, False), (0, True)])
def test_it_flags_a_future_medication_only_from_its_first_day(started: int, flagged: bool) -> None:
    findings = serotonergic_findings([medication(1), medication(2, started=started)], on(0))
    assert len(findings) == int(flagged)


def test_it_ignores_a_medication_that_is_not_serotonergic() -> None:
    assert serotonergic_findings([medication(1), medication(2, serotonergic=False)], on(0)) == []


def test_it_does_not_pair_medications_of_different_patients() -> None:
    assert serotonergic_findings([medication(1), medication(2, patient_id=EVAN)], on(0)) == []


def test_it_flags_every_pair_of_three_serotonergic_medications() -> None:
    findings = serotonergic_findings([medication(3), medication(1), medication(2)], on(0))
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


def test_it_raises_no_suicide_flag_for_an_instrument_without_a_suicide_item() -> None:
    flag = suicide_finding(patient_id=DORA, assessment_id=57, instrument_code="gad7", item_number=None, items=[3] * 7)
    assert flag is None


def test_it_refuses_a_suicide_item_missing_from_the_answers() -> None:
    with pytest.raises(ValueError, match="phq9"):
        suicide_finding(patient_id=DORA, assessment_id=58, instrument_code="phq9", item_number=9, items=[0] * 8)
