"""Tests of the GAD-7 and PCL-5 definitions and of the translations in the registry (pure Python, issue 12)."""

import ast
from pathlib import Path

import pytest

from instruments import definitions, translations
from instruments.definitions import GAD7, HAMD17, PCL5, PHQ9, Definition
from instruments.scoring import AnswersError, check_items, score
from instruments.translations import es


def answers_summing_to(definition: Definition, total: int) -> list[int]:
    answers, left = [], total
    for item in definition.items:
        answers.append(min(item.max_score, left))
        left -= answers[-1]
    assert left == 0
    return answers


@pytest.mark.parametrize(
    ("total", "severity", "remission"),
    [(0, "minimal", True), (4, "minimal", True), (5, "mild", False), (9, "mild", False), (10, "moderate", False),
     (14, "moderate", False), (15, "severe", False), (21, "severe", False)],
)
def test_it_bands_gad7_totals_at_every_boundary(total, severity, remission):
    result = score(GAD7, check_items(GAD7, answers_summing_to(GAD7, total)))

    assert (result.total, result.severity, result.in_remission) == (total, severity, remission)


def test_it_gives_gad7_the_thresholds_of_the_issue():
    assert (GAD7.remission_max, GAD7.reliable_change, GAD7.moderate_min, GAD7.combined_min) == (4, 4, 10, 15)
    assert (len(GAD7.items), GAD7.max_total, GAD7.rater, GAD7.suicide_item) == (7, 21, "self", None)


def test_it_codes_gad7_with_its_loinc_panel_total_items_and_answers():
    assert (GAD7.loinc_panel, GAD7.loinc_total) == ("69737-5", "70274-6")
    assert [i.loinc for i in GAD7.items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"
    ]
    assert GAD7.answer_loinc == PHQ9.answer_loinc


@pytest.mark.parametrize(
    ("total", "severity", "remission"),
    [(0, "below_cutoff", True), (32, "below_cutoff", True), (33, "probable_ptsd", False), (80, "probable_ptsd", False)],
)
def test_it_bands_pcl5_at_its_default_cut_point_of_33(total, severity, remission):
    result = score(PCL5, check_items(PCL5, answers_summing_to(PCL5, total)))

    assert (result.severity, result.in_remission) == (severity, remission)


def test_it_gives_pcl5_twenty_items_scored_0_to_4_and_no_loinc():
    assert [(i.number, i.max_score) for i in PCL5.items] == [(n, 4) for n in range(1, 21)]
    assert (PCL5.max_total, PCL5.reliable_change, PCL5.suicide_item) == (80, 10, None)
    assert (PCL5.loinc_panel, PCL5.loinc_total, PCL5.answer_loinc) == (None, None, ())
    assert all(item.loinc is None for item in PCL5.items)


def test_it_never_recommends_combined_from_a_pcl5_total():
    assert PCL5.combined_min > PCL5.max_total


def test_it_refuses_a_pcl5_answer_of_5():
    with pytest.raises(AnswersError) as caught:
        check_items(PCL5, [5] + [0] * 19)

    assert caught.value.messages == {"items": ["Item 1: 5 is outside 0 to 4."]}


@pytest.mark.parametrize("cutoff", [31, 32, 33])
def test_it_moves_the_pcl5_bands_with_the_clinics_cut_point(cutoff):
    definition = definitions.pcl5(cutoff)

    assert definition.band_for(cutoff).severity == "probable_ptsd"
    assert definition.band_for(cutoff - 1).severity == "below_cutoff"
    assert (definition.moderate_min, definition.remission_max) == (cutoff, cutoff - 1)
    assert definition.version == f"1-cut{cutoff}"


@pytest.mark.parametrize("cutoff", [30, 34, 0])
def test_it_refuses_a_pcl5_cut_point_outside_31_to_33(cutoff):
    with pytest.raises(ValueError, match="31 to 33"):
        definitions.pcl5(cutoff)


@pytest.mark.parametrize("definition", [PHQ9, HAMD17, GAD7, PCL5], ids=lambda d: d.code)
def test_it_gives_every_instrument_bands_covering_its_whole_range_once(definition):
    covered = [t for band in definition.bands for t in range(band.low, band.high + 1)]

    assert covered == list(range(definition.max_total + 1))
    assert definition.short_name
    assert definition.citation
    assert definition.bands_citation
    assert definition.version
    assert definition.remission_max < definition.moderate_min <= definition.combined_min


def test_it_registers_the_four_instruments_with_callable_choices():
    assert list(definitions.REGISTRY) == ["phq9", "hamd17", "gad7", "pcl5"]
    assert [code for code, _ in definitions.instrument_choices()] == ["phq9", "hamd17", "gad7", "pcl5"]
    assert [d.code for d in definitions.self_rated()] == ["phq9", "gad7", "pcl5"]


@pytest.mark.parametrize(("primary", "offered"), [("gad7", "gad7"), ("pcl5", "pcl5"), ("hamd17", "phq9")])
def test_it_offers_a_self_rated_primary_instrument_on_the_link(primary, offered):
    assert definitions.self_report_instrument(primary).code == offered


# --- Spanish texts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("definition", "translation"), [(PHQ9, es.PHQ9), (GAD7, es.GAD7)], ids=["phq9", "gad7"])
def test_it_words_the_instrument_in_spanish_with_the_same_scoring(definition, translation):
    spanish = definition.in_language("es")

    assert [i.text for i in spanish.items] == list(translation.items)
    assert spanish.instructions == translation.instructions
    assert all(i.anchors == translation.anchors for i in spanish.items)
    assert [(i.number, i.max_score, i.loinc) for i in spanish.items] == [
        (i.number, i.max_score, i.loinc) for i in definition.items
    ]
    assert (spanish.bands, spanish.version, spanish.code) == (definition.bands, definition.version, definition.code)
    assert spanish.extra_questions[0].anchors[0] == "No ha sido difícil"
    assert translation.version
    assert "Spanish" not in translation.citation
    assert translation.citation in spanish.citation
    assert spanish.language == "es"


def test_it_reads_a_regional_language_tag_as_its_language():
    assert GAD7.in_language("es-MX").items[0].text == es.GAD7.items[0]


@pytest.mark.parametrize("language", ["en", "fr", "", "xx-YY"])
def test_it_keeps_the_original_wording_without_a_translation(language):
    assert PHQ9.in_language(language) is PHQ9


def test_it_keeps_pcl5_and_hamd17_in_english_for_a_spanish_patient():
    assert PCL5.in_language("es") is PCL5
    assert HAMD17.in_language("es") is HAMD17
    assert PHQ9.languages == ("en", "es")


@pytest.mark.parametrize("module", [definitions, translations, es], ids=["definitions", "translations", "es"])
def test_it_keeps_the_registry_and_its_texts_free_of_django(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert not imported & {"django", "rest_framework", "patients", "reassessment", "frontend"}
