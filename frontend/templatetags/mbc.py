"""Template filters of the pages: labels from the instrument registry and the engine's codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import formats

from frontend.forms import CATEGORY_LABELS
from instruments.definitions import REGISTRY
from patients.models import Modality, Stage
from reassessment.models import FlagKind

register = template.Library()


@register.filter
def severity_label(severity: str, instrument: str) -> str:
    """A severity code as a clinician reads it: ("moderately_severe", "phq9") -> "Moderately severe"."""
    definition = REGISTRY.get(instrument)
    band = next((b for b in definition.bands if b.severity == severity), None) if definition else None
    return band.label if band is not None else severity.replace("_", " ").capitalize()


# Plain dicts: a model's get_FOO_display() rebuilds its choices on every call, and the caseload makes thousands.
_LABELS = {"modality": dict(Modality.choices), "stage": dict(Stage.choices), "flag": dict(FlagKind.choices)}


@register.filter
def label(code: str, kind: str) -> str:
    """The display label of a choice code: {{ phase.modality|label:"modality" }}."""
    return _LABELS[kind].get(code, code)


@register.filter
def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


@register.filter
def instrument_name(code: str) -> str:
    """The short name of an instrument (PHQ-9), for tables."""
    definition = REGISTRY.get(code)
    return definition.short_name if definition is not None else code


@register.filter
def signed_pct(value: float | str | None) -> str:
    """An improvement as shown on the caseload: "42.9%" down, "-12.5%" (worse); "—" when there is none."""
    if value is None or isinstance(value, str):
        return "—"
    return f"{value:g}%"


@register.simple_tag
def item_answers(assessment: Any) -> list[dict[str, Any]]:
    """An assessment's answers with each item's text and the anchor chosen, from the registry."""
    definition = REGISTRY.get(assessment.instrument)
    if definition is None:
        return []
    rows = []
    for item, answer in zip(definition.items, assessment.items, strict=False):
        anchor = item.anchors[answer] if 0 <= answer < len(item.anchors) else ""
        rows.append({"number": item.number, "text": item.text, "answer": answer, "anchor": anchor})
    return rows


@register.filter
def isodate(value: Any) -> str:
    """An ISO date kept in a flag's evidence, shown like every other date (settings DATE_FORMAT)."""
    try:
        return formats.date_format(date.fromisoformat(str(value)))
    except ValueError:
        return ""
