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
