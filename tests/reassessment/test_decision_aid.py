"""Tests of the decision aid's content: complete in both languages, every fact sourced, every paragraph readable."""

from __future__ import annotations

import re

import pytest
import textstat

from reassessment import decision_aid

EN = decision_aid.content("en")
ES = decision_aid.content("es")


def words_per_sentence(text: str) -> float:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    return textstat.lexicon_count(text) / len(sentences)


@pytest.mark.parametrize("paragraph", decision_aid.english_paragraphs())
def test_it_keeps_every_english_paragraph_at_flesch_60_or_more(paragraph: str) -> None:
    assert textstat.flesch_reading_ease(paragraph) >= 60, paragraph


@pytest.mark.parametrize("paragraph", decision_aid.english_paragraphs())
def test_it_keeps_sentences_under_20_words_on_average(paragraph: str) -> None:
    assert words_per_sentence(paragraph) < 20, paragraph


def test_it_scores_a_hard_paragraph_below_60() -> None:
    # The check can fail: clinical prose of the kind the page avoids scores far below the bar.
    hard = (
        "Pharmacological augmentation strategies demonstrate heterogeneous efficacy contingent upon "
        "treatment-resistant presentations characterised by inadequate therapeutic response."
    )
    assert textstat.flesch_reading_ease(hard) < 60


def test_it_has_the_same_keys_in_spanish_as_in_english() -> None:
    for name in ("bands", "suggestions", "reasons", "evidence", "safety"):
        assert set(getattr(ES, name)) == set(getattr(EN, name)), name
    assert [o.key for o in ES.options] == [o.key for o in EN.options]
    assert [c for c, _ in ES.preference_choices] == [c for c, _ in EN.preference_choices]


@pytest.mark.parametrize("language", decision_aid.LANGUAGES)
def test_it_cites_a_known_source_for_every_fact(language: str) -> None:
    c = decision_aid.content(language)
    facts = list(c.evidence.values()) + list(c.safety.values())
    facts += [f for option in c.options for f in option.facts]
    assert facts
    for fact in facts:
        assert fact.source in decision_aid.SOURCES, fact


def test_it_quotes_keller_2000_as_the_abstract_reports_it() -> None:
    # Keller et al., NEJM 2000: response (remission or satisfactory response) 73% combined vs 48% with either alone.
    fact = EN.evidence["chronic_combined"]
    assert fact.source == "keller2000"
    assert "73 in 100" in fact.text
    assert "48 in 100" in fact.text


@pytest.mark.parametrize(
    ("given", "expected"), [("es", "es"), ("es-MX", "es"), ("en-gb", "en"), ("fr", "en"), ("", "en")]
)
def test_it_falls_back_to_english_for_a_language_it_does_not_have(given: str, expected: str) -> None:
    assert decision_aid.content(given) is decision_aid.CONTENT[expected]


@pytest.mark.parametrize(
    ("suggestion", "under_25", "on_antidepressant", "on_any", "expected"),
    [
        ("combined", True, False, False, ["young_antidepressant", "other_medicines", "stopping_early"]),
        ("combined", False, False, False, ["other_medicines", "stopping_early"]),
        ("psychotherapy", True, False, False, []),
        ("psychotherapy", True, True, True, ["young_antidepressant", "other_medicines", "stopping_early"]),
        ("psychotherapy", False, False, True, ["other_medicines"]),
        ("monitor", False, False, False, []),
        (None, False, False, False, []),
    ],
)
def test_it_shows_the_safety_texts_that_apply(
    suggestion: str | None, under_25: bool, on_antidepressant: bool, on_any: bool, expected: list[str]
) -> None:
    shown = decision_aid.safety_for(
        language="en",
        suggestion=suggestion,
        under_25=under_25,
        on_antidepressant=on_antidepressant,
        on_any_medication=on_any,
    )
    by_text = {fact.text: key for key, fact in EN.safety.items()}
    assert [by_text[f.text] for f in shown] == expected
