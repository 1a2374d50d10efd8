"""Tests of the instrument definitions and scoring, pure Python: bands, ranges, codes and refusals (DESIGN §2)."""

import ast
from pathlib import Path

import pytest

from instruments import definitions, scoring
from instruments.definitions import HAMD17, PHQ9, Definition
from instruments.scoring import AnswersError, check_extra, check_items, score

# DESIGN §2: HAM-D 17 items 1, 2, 3, 7, 8, 9, 10, 11, 15 score 0-4; the others 0-2.
HAMD_WIDE_ITEMS = {1, 2, 3, 7, 8, 9, 10, 11, 15}


def answers_summing_to(definition: Definition, total: int) -> list[int]:
    """Valid answers with the given total, filling items from the first one up."""
    answers = []
    left = total
    for item in definition.items:
        answers.append(min(item.max_score, left))
        left -= answers[-1]
    assert left == 0, f"{definition.code} cannot total {total}"
    return answers


def problems(definition: Definition, items: object) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        check_items(definition, items)
    return caught.value.messages["items"]


# --- severity bands ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_it_bands_phq9_totals_at_every_boundary(total, severity):
    result = score(PHQ9, check_items(PHQ9, answers_summing_to(PHQ9, total)))

    assert (result.total, result.severity) == (total, severity)


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "normal"),
        (7, "normal"),
        (8, "mild"),
        (13, "mild"),
        (14, "moderate"),
        (18, "moderate"),
        (19, "severe"),
        (22, "severe"),
        (23, "very_severe"),
        (52, "very_severe"),
    ],
)
def test_it_bands_hamd17_totals_at_every_boundary(total, severity):
    result = score(HAMD17, check_items(HAMD17, answers_summing_to(HAMD17, total)))

    assert (result.total, result.severity) == (total, severity)


@pytest.mark.parametrize("definition", [PHQ9, HAMD17], ids=["phq9", "hamd17"])
def test_it_covers_every_possible_total_with_exactly_one_band(definition):
    covering = [[b.severity for b in definition.bands if b.low <= t <= b.high] for t in range(definition.max_total + 1)]

    assert all(len(bands) == 1 for bands in covering)


@pytest.mark.parametrize(
    ("definition", "total"), [(PHQ9, 28), (PHQ9, -1), (HAMD17, 53)], ids=["phq9-28", "phq9--1", "hamd17-53"]
)
def test_it_refuses_to_band_an_impossible_total(definition, total):
    with pytest.raises(ValueError, match=str(total)):
        definition.band_for(total)


# --- item ranges ---------------------------------------------------------------------------------------------------


def test_it_gives_phq9_nine_items_of_0_to_3_and_a_maximum_of_27():
    assert [item.max_score for item in PHQ9.items] == [3] * 9
    assert PHQ9.max_total == 27


@pytest.mark.parametrize("number", range(1, 18))
def test_it_gives_each_hamd17_item_its_range(number):
    expected = 4 if number in HAMD_WIDE_ITEMS else 2

    assert HAMD17.items[number - 1].number == number
    assert HAMD17.items[number - 1].max_score == expected


def test_it_gives_hamd17_a_maximum_of_52():
    assert len(HAMD17.items) == 17
    assert HAMD17.max_total == 52


@pytest.mark.parametrize("definition", [PHQ9, HAMD17], ids=["phq9", "hamd17"])
def test_it_accepts_every_item_at_its_maximum(definition):
    top = [item.max_score for item in definition.items]

    assert check_items(definition, top) == top
    assert score(definition, top).total == definition.max_total


@pytest.mark.parametrize("number", range(1, 18))
def test_it_refuses_a_hamd17_item_one_above_its_range(number):
    answers = [0] * 17
    answers[number - 1] = HAMD17.items[number - 1].max_score + 1

    messages = problems(HAMD17, answers)

    assert messages == [f"Item {number}: {answers[number - 1]} is outside 0 to {HAMD17.items[number - 1].max_score}."]


@pytest.mark.parametrize(("number", "value"), [(1, 4), (5, -1), (9, 4), (9, 100)])
def test_it_refuses_a_phq9_answer_out_of_range_naming_the_item(number, value):
    answers = [0] * 9
    answers[number - 1] = value

    messages = problems(PHQ9, answers)

    assert len(messages) == 1
    assert messages[0].startswith(f"Item {number}:")


# --- remission and the suicide item --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "total", "in_remission"),
    [(PHQ9, 4, True), (PHQ9, 5, False), (PHQ9, 0, True), (HAMD17, 7, True), (HAMD17, 8, False)],
    ids=["phq9-4", "phq9-5", "phq9-0", "hamd17-7", "hamd17-8"],
)
def test_it_calls_remission_at_or_below_the_cutoff(definition, total, in_remission):
    assert score(definition, answers_summing_to(definition, total)).in_remission is in_remission


def test_it_sets_the_remission_cutoffs_of_design():
    assert (PHQ9.remission_max, HAMD17.remission_max) == (4, 7)


def test_it_sets_the_moderate_and_reliable_change_thresholds_of_design():
    assert (PHQ9.moderate_min, PHQ9.reliable_change) == (10, 6)
    assert (HAMD17.moderate_min, HAMD17.reliable_change) == (14, 8)


@pytest.mark.parametrize(("definition", "number"), [(PHQ9, 9), (HAMD17, 3)], ids=["phq9", "hamd17"])
def test_it_names_the_suicide_item(definition, number):
    assert definition.suicide_item == number


@pytest.mark.parametrize(("definition", "number"), [(PHQ9, 9), (HAMD17, 3)], ids=["phq9", "hamd17"])
def test_it_reports_the_answer_to_the_suicide_item_and_no_other(definition, number):
    answers = [1] * len(definition.items)
    answers[number - 1] = 2

    assert score(definition, answers).suicide_answer == 2


@pytest.mark.parametrize(("definition", "number"), [(PHQ9, 9), (HAMD17, 3)], ids=["phq9", "hamd17"])
def test_it_reports_a_zero_suicide_answer_when_only_other_items_are_positive(definition, number):
    answers = [item.max_score for item in definition.items]
    answers[number - 1] = 0

    assert score(definition, answers).suicide_answer == 0


# --- codes ---------------------------------------------------------------------------------------------------------


def test_it_carries_the_phq9_loinc_codes_of_design():
    assert PHQ9.loinc_panel == "44249-1"
    assert PHQ9.loinc_total == "44261-6"
    assert [item.loinc for item in PHQ9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert PHQ9.answer_loinc == ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def test_it_carries_the_loinc_code_of_the_phq9_difficulty_question():
    assert [(q.key, q.loinc, len(q.anchors)) for q in PHQ9.extra_questions] == [("difficulty", "69722-7", 4)]


def test_it_gives_hamd17_no_loinc_codes():
    assert (HAMD17.loinc_panel, HAMD17.loinc_total, HAMD17.answer_loinc) == (None, None, ())
    assert all(item.loinc is None for item in HAMD17.items)


@pytest.mark.parametrize(
    ("definition", "code", "rater"), [(PHQ9, "phq9", "self"), (HAMD17, "hamd17", "clinician")], ids=["phq9", "hamd17"]
)
def test_it_identifies_each_definition(definition, code, rater):
    assert (definition.code, definition.rater) == (code, rater)
    assert definition.version
    assert definition.citation
    assert definition.bands_citation
    assert all(item.text and len(item.anchors) == item.max_score + 1 for item in definition.items)


def test_it_registers_both_instruments_by_code():
    assert definitions.get("phq9") is PHQ9
    assert definitions.get("hamd17") is HAMD17


def test_it_raises_keyerror_for_an_unknown_code():
    with pytest.raises(KeyError):
        definitions.get("bdi2")


@pytest.mark.parametrize(("primary", "offered"), [("phq9", "phq9"), ("hamd17", "phq9"), ("nonsense", "phq9")])
def test_it_never_offers_a_clinician_rated_instrument_for_self_report(primary, offered):
    assert definitions.self_report_instrument(primary).code == offered


# --- refusals ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [True, False, 1.5, 2.0, "2", None, [1], {"value": 1}], ids=repr)
@pytest.mark.parametrize("number", [1, 5, 9])
def test_it_refuses_a_phq9_answer_that_is_not_a_whole_number_naming_the_item(bad, number):
    answers: list[object] = [1] * 9
    answers[number - 1] = bad

    assert problems(PHQ9, answers) == [f"Item {number}: expected a whole number from 0 to 3."]


@pytest.mark.parametrize("bad", [True, 1.0, "1", None], ids=repr)
def test_it_refuses_a_hamd17_suicide_answer_that_is_not_a_whole_number(bad):
    answers: list[object] = [0] * 17
    answers[2] = bad

    assert problems(HAMD17, answers) == ["Item 3: expected a whole number from 0 to 4."]


@pytest.mark.parametrize(("definition", "count"), [(PHQ9, 8), (PHQ9, 10), (PHQ9, 0), (HAMD17, 16), (HAMD17, 18)])
def test_it_refuses_the_wrong_number_of_answers(definition, count):
    messages = problems(definition, [0] * count)

    assert messages == [f"{definition.name} has {len(definition.items)} items; {count} answers were given."]


@pytest.mark.parametrize("bad", [None, "000000000", 0, {"1": 0}, 12345], ids=repr)
def test_it_refuses_answers_that_are_not_a_list(bad):
    assert problems(PHQ9, bad) == ["Expected a list of 9 whole numbers."]


def test_it_names_every_bad_item_at_once():
    answers: list[object] = [0, "1", 0, 4, 0, 0, True, 0, 0]

    assert [m.split(":")[0] for m in problems(PHQ9, answers)] == ["Item 2", "Item 4", "Item 7"]


def test_it_returns_plain_ints_in_item_order():
    answers = (3, 2, 1, 0, 0, 1, 2, 3, 0)

    assert check_items(PHQ9, answers) == [3, 2, 1, 0, 0, 1, 2, 3, 0]


def test_it_raises_a_valueerror_subclass_whose_text_names_the_field():
    with pytest.raises(ValueError, match="items: Item 1"):
        check_items(PHQ9, [9] + [0] * 8)


# --- the PHQ-9 difficulty question ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 3])
def test_it_accepts_the_phq9_difficulty_answer(value):
    assert check_extra(PHQ9, "difficulty", value) == value


def test_it_treats_an_absent_difficulty_answer_as_none():
    assert check_extra(PHQ9, "difficulty", None) is None


@pytest.mark.parametrize("bad", [4, -1, True, 1.5, "2"], ids=repr)
def test_it_refuses_a_difficulty_answer_out_of_range_or_not_whole(bad):
    with pytest.raises(AnswersError) as caught:
        check_extra(PHQ9, "difficulty", bad)

    assert caught.value.messages == {"difficulty": ["Expected a whole number from 0 to 3."]}


def test_it_refuses_a_difficulty_answer_for_hamd17():
    with pytest.raises(AnswersError) as caught:
        check_extra(HAMD17, "difficulty", 1)

    assert list(caught.value.messages) == ["difficulty"]


def test_it_refuses_the_difficulty_answer_as_a_tenth_item():
    messages = problems(PHQ9, [0] * 9 + [3])

    assert messages == ["PHQ-9 (Patient Health Questionnaire-9) has 9 items; 10 answers were given."]


# --- purity --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [definitions, scoring], ids=["definitions", "scoring"])
def test_it_keeps_the_pure_core_free_of_django(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]

    assert imported
    assert not [
        name for name in imported if name.split(".")[0] in {"django", "rest_framework", "patients", "reassessment"}
    ]
