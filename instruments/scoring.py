"""Validation and scoring of item answers against an instrument definition (pure Python, no Django)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from instruments.definitions import Definition


class AnswersError(ValueError):
    """Answers that do not fit the definition; `messages` maps a field name to its messages."""

    def __init__(self, messages: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items()))
        self.messages: dict[str, list[str]] = dict(messages)


@dataclass(frozen=True)
class Score:
    total: int
    severity: str
    severity_label: str
    in_remission: bool
    suicide_answer: int | None  # the answer to the suicide item, where the instrument has one


def check_items(definition: Definition, items: object) -> list[int]:
    """The answers as a list of ints, in item order; AnswersError naming every problem otherwise."""
    if not isinstance(items, list | tuple):
        raise AnswersError({"items": [f"Expected a list of {len(definition.items)} whole numbers."]})
    # bool is an int subclass in Python, and `true` is not an answer; 2.0 and "2" are refused too: whole numbers only.
    problems: list[str] = []
    if len(items) != len(definition.items):
        problems.append(
            f"{definition.name} has {len(definition.items)} items; {len(items)} answers were given."
        )
    for item, value in zip(definition.items, items, strict=False):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"Item {item.number}: expected a whole number from 0 to {item.max_score}.")
        elif not 0 <= value <= item.max_score:
            problems.append(f"Item {item.number}: {value} is outside 0 to {item.max_score}.")
    if problems:
        raise AnswersError({"items": problems})
    return [int(v) for v in items]


def check_extra(definition: Definition, key: str, value: object) -> int | None:
    """An optional extra answer (never part of the total); None when absent."""
    if value is None:
        return None
    question = next((q for q in definition.extra_questions if q.key == key), None)
    if question is None:
        raise AnswersError({key: [f"{definition.name} has no question '{key}'."]})
    top = len(question.anchors) - 1
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise AnswersError({key: [f"Expected a whole number from 0 to {top}."]})
    return value


def score(definition: Definition, items: list[int]) -> Score:
    """Total, severity and the suicide item's answer of already-checked answers."""
    total = sum(items)
    band = definition.band_for(total)
    suicide = items[definition.suicide_item - 1] if definition.suicide_item else None
    return Score(
        total=total,
        severity=band.severity,
        severity_label=band.label,
        in_remission=total <= definition.remission_max,
        suicide_answer=suicide,
    )
