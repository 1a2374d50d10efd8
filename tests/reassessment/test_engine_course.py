"""Tests of the pure engine's treatment-course rules (DESIGN §2b), boundary by boundary."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from reassessment.engine import (
    InstrumentRules,
    PatientFacts,
    PhaseFacts,
    Rules,
    ScorePoint,
    course_start,
    diagnosis_in,
    is_chronic,
    is_recurrent,
    recommended_start,
    start_matches,
    start_score,
)

PHQ9 = InstrumentRules(code="phq9", remission_max=4, reliable_change=6, moderate_min=10, combined_min=16,
                       suicide_item=9)
HAMD17 = InstrumentRules(code="hamd17", remission_max=7, reliable_change=8, moderate_min=14, combined_min=19,
                         suicide_item=3)
RULES = Rules()
TODAY = date(2026, 3, 12)
START = date(2026, 1, 5)
NOBODY = PatientFacts()


def score(total: int, *, day: date = START, suicide: int = 0, id: int = 1) -> ScorePoint:
    return ScorePoint(
        assessment_id=id,
        administered_at=datetime.combine(day, time(12), tzinfo=UTC),
        day=day,
        total=total,
        suicide_answer=suicide,
    )


def start_of(total: int, *, patient: PatientFacts = NOBODY, suicide: int = 0, instrument: InstrumentRules = PHQ9):
    result = recommended_start(
        patient=patient, score=score(total, suicide=suicide), instrument=instrument, today=TODAY, rules=RULES
    )
    assert result is not None
    return result.modality, list(result.reasons)


# --- Chronic and recurrent ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "diagnosis", "chronic"),
    [
        (None, "", False),
        (date(2024, 3, 12), "", True),  # exactly 2 years before today
        (date(2024, 3, 13), "", False),  # a day short of 2 years
        (date(2020, 1, 1), "F33.1", True),
        (None, "F34.1", True),  # dysthymia is chronic by definition
        (date(2026, 1, 1), "F34.1", True),
        (None, "F34.0", False),  # cyclothymia is not dysthymia
    ],
)
def test_it_derives_chronic_from_the_onset_or_dysthymia(onset, diagnosis, chronic):
    assert is_chronic(PatientFacts(diagnosis=diagnosis, episode_onset=onset), TODAY, RULES) is chronic


@pytest.mark.parametrize(("episodes", "recurrent"), [(None, False), (0, False), (1, True), (2, True)])
def test_it_derives_recurrent_from_one_previous_episode(episodes, recurrent):
    assert is_recurrent(PatientFacts(prior_episodes=episodes), RULES) is recurrent


def test_it_counts_two_years_of_a_29_february_onset_from_1_march():
    onset = PatientFacts(episode_onset=date(2024, 2, 29))
    assert not is_chronic(onset, date(2026, 2, 28), RULES)
    assert is_chronic(onset, date(2026, 3, 1), RULES)


@pytest.mark.parametrize(
    ("diagnosis", "codes", "found"),
    [
        ("F42", ("F42",), True),
        ("F42.2", ("F42",), True),
        ("F420", ("F42",), False),
        ("F43.10", ("F43.1",), True),
        ("F43.0", ("F43.1",), False),
        ("f31.4", ("F31",), True),
        (" F31.4 ", ("F31",), True),
        ("F40.01", ("F40.01",), True),
        ("F40.00", ("F40.01",), False),
        ("", ("F31",), False),
    ],
)
def test_it_matches_an_icd10_code_and_its_subcodes(diagnosis, codes, found):
    assert diagnosis_in(diagnosis, codes) is found


# --- Recommended start: one row per branch and boundary; the first match wins, every reason is listed -----------


@pytest.mark.parametrize(
    ("total", "patient", "suicide", "expected"),
    [
        # 5. monitor: in remission (PHQ-9 <= 4)
        (0, NOBODY, 0, ("monitor", ["minimal"])),
        (4, NOBODY, 0, ("monitor", ["minimal"])),
        # 4. psychotherapy: above remission, below moderate
        (5, NOBODY, 0, ("psychotherapy", ["mild"])),
        (9, NOBODY, 0, ("psychotherapy", ["mild"])),
        # 3. either: moderate (>= 10), below combined_min
        (10, NOBODY, 0, ("either", ["moderate"])),
        (15, NOBODY, 0, ("either", ["moderate"])),
        # 2. combined: severe (>= 16, NICE NG222)
        (16, NOBODY, 0, ("combined", ["severe"])),
        (27, NOBODY, 0, ("combined", ["severe"])),
        # 2. combined: chronic, whatever the score
        (3, PatientFacts(episode_onset=date(2024, 3, 12)), 0, ("combined", ["chronic"])),
        (12, PatientFacts(episode_onset=date(2024, 3, 13)), 0, ("either", ["moderate"])),
        (7, PatientFacts(diagnosis="F34.1"), 0, ("combined", ["chronic"])),
        # 2. combined: two or more previous episodes (one is recurrent, but not enough to combine)
        (7, PatientFacts(prior_episodes=2), 0, ("combined", ["recurrent"])),
        (7, PatientFacts(prior_episodes=1), 0, ("psychotherapy", ["mild"])),
        (7, PatientFacts(prior_episodes=None), 0, ("psychotherapy", ["mild"])),
        # 2. combined: a positive suicide item on the score read
        (7, NOBODY, 1, ("combined", ["suicide_item"])),
        (3, NOBODY, 1, ("combined", ["suicide_item"])),
        # 2. combined: OCD, panic, panic with agoraphobia, PTSD at moderate or worse only
        (10, PatientFacts(diagnosis="F42.2"), 0, ("combined", ["anxiety_disorder"])),
        (9, PatientFacts(diagnosis="F42.2"), 0, ("psychotherapy", ["mild"])),
        (10, PatientFacts(diagnosis="F41.0"), 0, ("combined", ["anxiety_disorder"])),
        (10, PatientFacts(diagnosis="F40.01"), 0, ("combined", ["anxiety_disorder"])),
        (10, PatientFacts(diagnosis="F43.10"), 0, ("combined", ["anxiety_disorder"])),
        (10, PatientFacts(diagnosis="F41.1"), 0, ("either", ["moderate"])),  # generalised anxiety: not listed
        # 2. combined: bipolar, whatever the score
        (2, PatientFacts(diagnosis="F31.3"), 0, ("combined", ["bipolar"])),
        # 2. every combined reason that holds, in DESIGN's order
        (
            20,
            PatientFacts(diagnosis="F43.1", prior_episodes=3, episode_onset=date(2020, 1, 1)),
            2,
            ("combined", ["severe", "chronic", "recurrent", "suicide_item", "anxiety_disorder"]),
        ),
        # 1. medication first: psychotic features win over everything, and the combined reasons are listed too
        (3, PatientFacts(diagnosis="F32.3"), 0, ("medication_first", ["psychotic_features"])),
        (22, PatientFacts(diagnosis="F33.3", prior_episodes=2), 1,
         ("medication_first", ["psychotic_features", "severe", "recurrent", "suicide_item"])),
        (12, PatientFacts(diagnosis="F32.2"), 0, ("either", ["moderate"])),  # severe without psychosis: not it
    ],
)
def test_it_recommends_the_first_matching_start_with_every_reason(total, patient, suicide, expected):
    assert start_of(total, patient=patient, suicide=suicide) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [(7, "monitor"), (8, "psychotherapy"), (13, "psychotherapy"), (14, "either"), (18, "either"), (19, "combined")],
)
def test_it_reads_the_hamd17_thresholds_from_its_definition(total, expected):
    assert start_of(total, instrument=HAMD17)[0] == expected


def test_it_ignores_the_severe_rule_for_an_instrument_without_combined_min():
    no_combined = replace(PHQ9, combined_min=None)
    assert start_of(27, instrument=no_combined) == ("either", ["moderate"])


def test_it_ignores_a_suicide_answer_for_an_instrument_without_a_suicide_item():
    assert start_of(7, suicide=1, instrument=replace(PHQ9, suicide_item=None)) == ("psychotherapy", ["mild"])


def test_it_takes_the_chronic_threshold_from_the_rules():
    patient = PatientFacts(episode_onset=date(2025, 3, 12))
    result = recommended_start(
        patient=patient, score=score(7), instrument=PHQ9, today=TODAY, rules=Rules(chronic_years=1)
    )
    assert result is not None
    assert result.reasons == ("chronic",)


def test_it_recommends_nothing_without_a_score():
    assert recommended_start(patient=NOBODY, score=None, instrument=PHQ9, today=TODAY, rules=RULES) is None


def test_it_says_which_score_the_start_is_based_on():
    point = score(18, id=42)
    result = recommended_start(patient=NOBODY, score=point, instrument=PHQ9, today=TODAY, rules=RULES)
    assert result is not None
    assert result.based_on == point


# --- Which score the start is read from ----------------------------------------------------------------------------


PHASE = PhaseFacts(
    phase_id=1,
    patient_id=1,
    modality="medication",
    stage="acute",
    started_on=START,
    ended_on=None,
    birth_date=date(1980, 1, 1),
    interval_days=28,
    instrument=PHQ9,
    course_started_on=START,
)


def test_it_reads_the_start_from_the_baseline_not_the_latest_score():
    baseline, later = score(18, day=START - timedelta(days=2), id=1), score(6, day=START + timedelta(days=40), id=2)
    result = course_start(patient=NOBODY, phase=PHASE, scores=[baseline, later], instrument=PHQ9, today=TODAY,
                          rules=RULES)
    assert result is not None
    assert (result.modality, result.based_on.assessment_id) == ("combined", 1)


def test_it_reads_the_start_from_the_courses_first_baseline():
    """A combined phase added after a partial response: the start is read where the course began, not at day 0."""
    added = replace(PHASE, phase_id=2, modality="combined", started_on=START + timedelta(days=40))
    first, later = score(12, day=START - timedelta(days=1), id=1), score(17, day=START + timedelta(days=39), id=2)
    result = course_start(patient=NOBODY, phase=added, scores=[first, later], instrument=PHQ9, today=TODAY,
                          rules=RULES)
    assert result is not None
    assert (result.modality, result.based_on.assessment_id) == ("either", 1)


def test_it_reads_the_latest_score_when_the_phase_has_no_baseline():
    early, late = score(18, day=START - timedelta(days=30), id=1), score(7, day=START + timedelta(days=40), id=2)
    result = course_start(patient=NOBODY, phase=PHASE, scores=[late, early], instrument=PHQ9, today=TODAY,
                          rules=RULES)
    assert result is not None
    assert (result.modality, result.based_on.assessment_id) == ("psychotherapy", 2)


def test_it_reads_the_latest_score_of_a_patient_without_a_phase():
    early, late = score(3, day=date(2026, 1, 1), id=1), score(12, day=date(2026, 2, 1), id=2)
    result = course_start(patient=NOBODY, phase=None, scores=[late, early], instrument=PHQ9, today=TODAY, rules=RULES)
    assert result is not None
    assert (result.modality, result.based_on.assessment_id) == ("either", 2)


def test_it_never_reads_a_score_dated_after_today():
    assert start_score(None, [score(12, day=TODAY + timedelta(days=1))], TODAY) is None


# --- Does a phase follow the suggestion? (the caseload marker) ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "modality", "matches"),
    [
        ("medication_first", "medication", True),
        ("medication_first", "combined", True),
        ("medication_first", "psychotherapy", False),
        ("combined", "combined", True),
        ("combined", "medication", False),
        ("combined", "psychotherapy", False),
        ("either", "psychotherapy", True),
        ("either", "medication", True),
        ("either", "combined", False),
        ("psychotherapy", "psychotherapy", True),
        ("psychotherapy", "medication", False),
        ("psychotherapy", "combined", False),
        ("monitor", "psychotherapy", True),
        ("monitor", "medication", True),
        ("monitor", "combined", True),
    ],
)
def test_it_tells_whether_a_phase_follows_the_recommended_start(start, modality, matches):
    assert start_matches(start, modality) is matches


# --- Flags of the course (DESIGN §2b) -------------------------------------------------------------------------------

from reassessment.engine import (  # noqa: E402
    MedicationFacts,
    bipolar_findings,
    consider_combined,
    continue_treatment,
    course_findings,
    days_taken,
    early_discontinuation,
    treatment_resistant,
)


def on(day: int) -> date:
    return START + timedelta(days=day)


def at(day: int, total: int, *, suicide: int = 0) -> ScorePoint:
    return score(total, day=on(day), suicide=suicide, id=1000 + day)


def med(mid: int, name: str, drug_class: str, started: int, stopped: int | None = None, *, patient: int = 1):
    return MedicationFacts(
        medication_id=mid,
        patient_id=patient,
        serotonergic=drug_class in ("ssri", "snri"),
        started_on=on(started),
        stopped_on=on(stopped) if stopped is not None else None,
        name=name,
        drug_class=drug_class,
    )


def acute(modality: str = "medication", **changes) -> PhaseFacts:
    return replace(PHASE, modality=modality, **changes)


def kinds(findings) -> list[str]:
    return [f.kind for f in findings]


# consider_combined


@pytest.mark.parametrize(
    ("modality", "stage", "total", "expected"),
    [
        ("psychotherapy", "acute", 16, "add_medication"),
        ("medication", "acute", 16, "add_psychotherapy"),
        ("medication", "acute", 15, None),  # either: no flag
        ("combined", "acute", 20, None),  # already combined
        ("psychotherapy", "continuation", 20, None),  # acute phases only
        ("medication", "maintenance", 20, None),
    ],
)
def test_it_suggests_combining_when_the_start_is_combined(modality, stage, total, expected):
    phase = acute(modality, stage=stage)
    found = consider_combined(phase, [at(-2, total)], on(10), RULES)
    assert [f.recommendation for f in found] == ([expected] if expected else [])


def test_it_suggests_combining_from_day_one_once_per_phase_with_its_reasons():
    phase = acute("psychotherapy", record=PatientFacts(prior_episodes=3))
    (flag,) = consider_combined(phase, [at(0, 8, suicide=1)], on(0), RULES)
    assert (flag.severity, flag.dedupe_key, flag.phase_id) == ("medium", "phase:1:consider_combined", 1)
    assert flag.evidence == {
        "reasons": ["recurrent", "suicide_item"],
        "score_total": 8,
        "score_date": "2026-01-05",
        "modality": "psychotherapy",
        "instrument": "phq9",
    }


def test_it_suggests_no_combination_without_a_score():
    assert consider_combined(acute("psychotherapy"), [], on(10), RULES) == []


# continue_treatment


@pytest.mark.parametrize(
    ("scores", "flagged"),
    [
        ([(0, 18), (28, 4), (42, 3)], True),  # 14 days apart, both in remission
        ([(0, 18), (29, 4), (42, 3)], False),  # 13 days apart
        ([(0, 18), (28, 5), (42, 3)], False),  # the earlier one is above remission
        ([(0, 18), (28, 4), (42, 5)], False),  # the latest is above remission
        ([(0, 18), (28, 4), (35, 6), (42, 3)], False),  # out of remission in between
        ([(0, 18), (28, 4), (35, 2), (42, 3)], True),  # weekly scores: the one 14 days back counts
        ([(0, 18), (42, 3)], False),  # only one score in remission
    ],
)
def test_it_says_continue_after_two_scores_in_remission_14_days_apart(scores, flagged):
    found = continue_treatment(acute("combined"), [at(d, t) for d, t in scores], on(50), RULES)
    assert kinds(found) == (["continue_treatment"] if flagged else [])


@pytest.mark.parametrize(
    ("modality", "recommendation"),
    [
        ("medication", "add_psychotherapy_for_relapse_prevention"),
        ("psychotherapy", "start_continuation"),
        ("combined", "start_continuation"),
    ],
)
def test_it_recommends_therapy_after_a_remission_on_medication_alone(modality, recommendation):
    (flag,) = continue_treatment(acute(modality), [at(0, 18), at(28, 4), at(42, 3)], on(50), RULES)
    assert (flag.severity, flag.recommendation) == ("low", recommendation)
    assert flag.dedupe_key == "phase:1:continue_treatment"
    assert (flag.evidence["first_date"], flag.evidence["latest_date"]) == (on(28).isoformat(), on(42).isoformat())


def test_it_says_nothing_about_continuing_in_a_continuation_phase():
    assert continue_treatment(acute(stage="continuation"), [at(0, 3), at(28, 4), at(42, 3)], on(50), RULES) == []


# early_discontinuation: remission on day 28 (the course's first score in remission after its baseline)

REMITTED = [at(-1, 18), at(14, 9), at(28, 4)]


def stops(stop_day: int, *others: MedicationFacts, prior: int | None = None, scores=REMITTED):
    phase = acute(record=PatientFacts(prior_episodes=prior))
    meds = [med(1, "Sertraline", "ssri", 0, stop_day), *others]
    return early_discontinuation(phase, scores, meds, on(max(stop_day, 60) + 1), RULES)


@pytest.mark.parametrize(
    ("stop_day", "prior", "flagged"),
    [
        (28 + 182, None, True),  # 182 days after remission: less than 183
        (28 + 183, None, False),  # 183 days: long enough
        (28 + 183, 1, False),  # one previous episode: still 183
        (28 + 183, 2, True),  # two or more: 730
        (28 + 729, 2, True),
        (28 + 730, 2, False),
        (28, None, True),  # stopped on the remission day itself
    ],
)
def test_it_flags_an_antidepressant_stopped_too_soon_after_remission(stop_day, prior, flagged):
    assert kinds(stops(stop_day, prior=prior)) == (["early_discontinuation"] if flagged else [])


def test_it_gives_the_evidence_of_an_early_stop():
    (flag,) = stops(100)
    assert (flag.severity, flag.recommendation, flag.dedupe_key) == (
        "high", "review_medications", "medication:1:early_discontinuation"
    )
    assert flag.evidence == {
        "medication_id": 1,
        "medication": "Sertraline",
        "remission_date": on(28).isoformat(),
        "stop_date": on(100).isoformat(),
        "days": 72,
        "minimum_days": 183,
    }


def test_it_flags_no_stop_before_remission():
    assert stops(20) == []  # remission came on day 28, after the stop: a switch
    assert stops(100, scores=[at(-1, 18), at(28, 9)]) == []  # no remission at all


@pytest.mark.parametrize(
    ("other", "flagged"),
    [
        (med(2, "Sertraline", "ssri", 101), False),  # a dose change: the new row starts the day after
        (med(2, "Mirtazapine", "serotonergic_antidepressant", 90), False),  # a switch already under way
        (med(2, "Bupropion", "bupropion", 101, 130), False),  # taken the day after
        (med(2, "Venlafaxine", "snri", 102), True),  # not the day after: a gap
        (med(2, "Venlafaxine", "snri", 50, 100), True),  # stopped the same day (both are flagged)
        (med(2, "Quetiapine", "antipsychotic", 0), True),  # not an antidepressant
    ],
)
def test_it_lets_another_antidepressant_carry_on_the_day_after(other, flagged):
    found = [f for f in stops(100, other) if f.evidence["medication_id"] == 1]
    assert kinds(found) == (["early_discontinuation"] if flagged else [])


def test_it_ignores_stops_of_other_classes():
    phase = acute()
    meds = [med(1, "Lorazepam", "benzodiazepine", 0, 100)]
    assert early_discontinuation(phase, REMITTED, meds, on(120), RULES) == []


# treatment_resistant

STUCK = [at(-1, 20), at(84, 11)]  # 45% better: below 50


@pytest.mark.parametrize(
    ("meds", "flagged"),
    [
        ([med(1, "Sertraline", "ssri", 0, 41), med(2, "Venlafaxine", "snri", 42, 83)], True),  # 42 days each
        ([med(1, "Sertraline", "ssri", 0, 40), med(2, "Venlafaxine", "snri", 42, 83)], False),  # 41 days
        ([med(1, "Sertraline", "ssri", 0, 41), med(2, "sertraline", "ssri", 42, 83)], False),  # one drug
        # a dose change in week 3 continues the same trial
        ([med(1, "Sertraline", "ssri", 0, 20), med(2, "Sertraline", "ssri", 21, 41),
          med(3, "Venlafaxine", "snri", 42, None)], True),
        ([med(1, "Sertraline", "ssri", 0, 41), med(2, "Quetiapine", "antipsychotic", 0, None)], False),
    ],
)
def test_it_flags_treatment_resistance_after_two_adequate_trials(meds, flagged):
    found = treatment_resistant(acute(), STUCK, STUCK[0], meds, on(90), RULES)
    assert kinds(found) == (["treatment_resistant"] if flagged else [])


@pytest.mark.parametrize(("latest", "flagged"), [(11, True), (10, False), (3, False)])  # 45%, 50%, remission
def test_it_flags_resistance_only_below_50_percent(latest, flagged):
    meds = [med(1, "Sertraline", "ssri", 0, 41), med(2, "Venlafaxine", "snri", 42, None)]
    scores = [at(-1, 20), at(84, latest)]
    assert kinds(treatment_resistant(acute(), scores, scores[0], meds, on(90), RULES)) == (
        ["treatment_resistant"] if flagged else []
    )


def test_it_flags_resistance_once_per_course():
    meds = [med(1, "Sertraline", "ssri", 0, 41), med(2, "Venlafaxine", "snri", 42, None)]
    later_phase = acute("combined", phase_id=2, started_on=on(60))  # same course, started on day 0
    (first,) = treatment_resistant(acute(), STUCK, STUCK[0], meds, on(90), RULES)
    (second,) = treatment_resistant(later_phase, STUCK, STUCK[0], meds, on(90), RULES)
    assert first.dedupe_key == second.dedupe_key == "patient:1:treatment_resistant:2026-01-05"
    assert first.evidence["medications"] == ["sertraline", "venlafaxine"]


def test_it_counts_only_days_within_the_course_and_up_to_today():
    meds = [med(1, "Sertraline", "ssri", -100, 10), med(2, "Venlafaxine", "snri", 20, None)]
    assert days_taken(meds, on(0), on(30)) == {"sertraline": 11, "venlafaxine": 11}


# bipolar_antidepressant


@pytest.mark.parametrize(
    ("diagnosis", "others", "flagged"),
    [
        ("F31.4", [], True),
        ("F31", [], True),
        ("F33.1", [], False),  # not bipolar
        ("F31.4", [med(3, "Lamotrigine", "mood_stabilizer", 0)], False),
        ("F31.4", [med(3, "Lithium", "lithium", 0)], False),
        ("F31.4", [med(3, "Quetiapine", "antipsychotic", 0)], False),
        ("F31.4", [med(3, "Valproate", "mood_stabilizer", 0, 9)], True),  # stopped before today
        ("F31.4", [med(3, "Lithium", "lithium", 0, 10)], False),  # still taken today (its stop day)
        ("F31.4", [med(3, "Lithium", "lithium", 0, 10, patient=2)], True),  # another patient's
    ],
)
def test_it_flags_an_antidepressant_without_a_mood_stabiliser_in_bipolar_disorder(diagnosis, others, flagged):
    meds = [med(1, "Sertraline", "ssri", 0), *others]
    found = bipolar_findings(patient_id=1, diagnosis=diagnosis, medications=meds, day=on(10))
    assert kinds(found) == (["bipolar_antidepressant"] if flagged else [])


def test_it_flags_each_antidepressant_of_a_bipolar_patient_once():
    meds = [med(2, "Bupropion", "bupropion", 0), med(1, "Sertraline", "ssri", 0), med(3, "Old", "ssri", 0, 5)]
    found = bipolar_findings(patient_id=1, diagnosis="F31.3", medications=meds, day=on(10))
    assert [f.dedupe_key for f in found] == [
        "medication:1:bipolar_antidepressant",
        "medication:2:bipolar_antidepressant",
    ]
    assert (found[0].severity, found[0].recommendation) == ("high", "review_medications")


def test_it_runs_every_course_flag_of_a_phase_together():
    phase = acute("medication", record=PatientFacts(prior_episodes=2))
    scores = [at(-1, 18), at(28, 4), at(42, 3)]
    meds = [med(1, "Sertraline", "ssri", 0, 45), med(9, "Other patient", "ssri", 0, 45, patient=2)]
    found = course_findings(phase, scores, meds, on(50), RULES)
    assert sorted(kinds(found)) == ["consider_combined", "continue_treatment", "early_discontinuation"]
