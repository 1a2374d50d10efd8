"""Template filters of the pages: labels from the instrument registry and the engine's codes."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from frontend.forms import CATEGORY_LABELS, ErrorLink, error_links
from instruments.definitions import REGISTRY
from patients.models import Modality, Preference, Stage
from reassessment.models import FlagKind
from reassessment.selectors import rules

register = template.Library()


@register.filter
def severity_label(severity: str, instrument: str) -> str:
    """A severity code as a clinician reads it: ("moderately_severe", "phq9") -> "Moderately severe"."""
    definition = REGISTRY.get(instrument)
    band = next((b for b in definition.bands if b.severity == severity), None) if definition else None
    return band.label if band is not None else severity.replace("_", " ").capitalize()


# Plain dicts: a model's get_FOO_display() rebuilds its choices on every call, and the caseload makes thousands.
# DESIGN §2b recommended starts, as the patient page and the caseload name them.
START_LABELS = {
    "medication_first": "Medication first",
    "combined": "Psychotherapy and medication together",
    "either": "Psychotherapy or medication",
    "psychotherapy": "Psychotherapy",
    "monitor": "Monitor, no new treatment",
}
# The caseload's compact marker where the current phase differs from the suggestion.
START_SHORT_LABELS = {
    "medication_first": "medication first",
    "combined": "combined",
    "either": "one modality",
    "psychotherapy": "psychotherapy",
    "monitor": "monitor",
}
_LABELS = {
    "modality": dict(Modality.choices),
    "start_short": START_SHORT_LABELS,
    "stage": dict(Stage.choices),
    "flag": dict(FlagKind.choices),
    "start": START_LABELS,
    "preference": dict(Preference.choices),
}


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
        rows.append({
            "number": item.number, "text": item.text, "answer": answer, "anchor": anchor,
            # The positive suicide item, highlighted in the answers (issue 13).
            "alert": item.number == definition.suicide_item and answer >= 1,
        })
    return rows


@register.filter
def isodate(value: Any) -> str:
    """An ISO date kept in a flag's evidence, shown like every other date (settings DATE_FORMAT)."""
    try:
        return formats.date_format(date.fromisoformat(str(value)))
    except ValueError:
        return ""


@register.filter
def start_reason(reason: str, instrument: str) -> str:
    """A reason of the recommended start in a clinician's words, with the numbers the rule used (DESIGN §2b)."""
    d = REGISTRY.get(instrument)
    name = d.short_name if d else instrument
    current = rules()
    severe = f"{name} {d.combined_min} or more" if d else "a severe score"
    moderate = f"{name} {d.moderate_min} or more" if d else "a moderate score"
    remission = f"{name} {d.remission_max} or less" if d else "in remission"
    texts = {
        "psychotic_features": "Depression with psychotic features (F32.3, F33.3): stabilise with medication, "
        "add psychotherapy when the patient is able.",
        "severe": f"Severe symptoms ({severe}): combined treatment works better than either alone (NICE NG222).",
        "chronic": f"Chronic depression: the episode began {current.chronic_years} or more years ago, or dysthymia "
        "(F34.1).",
        "recurrent": f"{current.combined_min_prior_episodes} or more previous episodes: a high risk of relapse.",
        "suicide_item": "The suicide item was answered above 0 on this score.",
        "anxiety_disorder": f"OCD, panic disorder or PTSD with moderate or worse symptoms ({moderate}).",
        "bipolar": "Bipolar disorder (F31): a mood stabiliser goes with psychotherapy; no antidepressant alone.",
        "moderate": f"Moderate symptoms ({moderate}): psychotherapy or medication alone do about as well; "
        "the patient's preference decides.",
        "mild": "Mild symptoms: psychotherapy is the place to start.",
        "minimal": f"Symptoms in the remission range ({remission}): keep measuring.",
    }
    return texts.get(reason, reason.replace("_", " "))


# A phone number in free text: an optional "+" or "(", digits with single spaces, dots, hyphens or brackets between
# them, ending on a digit. 3 to 15 digits (ITU E.164's longest is 15; emergency numbers such as 999, 112 are 3).
_PHONE = re.compile(r"(?<![\w+(])[+(]?\d(?:[ .\-()]?\d)+(?!\w)")


@register.filter
def phone_links(text: str) -> SafeString:
    """Free text (the crisis message) with each phone number a tappable tel: link; everything else escaped."""
    parts: list[str] = []
    last = 0
    for match in _PHONE.finditer(text or ""):
        number = match.group(0)
        digits = re.sub(r"\D", "", number)
        if not 3 <= len(digits) <= 15:
            continue
        parts.append(escape(text[last : match.start()]))
        target = ("+" if number.startswith("+") else "") + digits
        parts.append(format_html('<a class="tel" href="tel:{}">{}</a>', target, number))
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(parts))  # noqa: S308 -- every piece above is escaped or built by format_html


@register.filter
def due_on(day: date | None, today: date) -> str:
    """A next-reassessment date as the caseload says it: "due since 13 Nov" once past, "due today", else the date."""
    if day is None:
        return ""
    short = formats.date_format(day, "j M" if day.year == today.year else "j M Y")
    if day < today:
        return f"due since {short}"
    if day == today:
        return "due today"
    return formats.date_format(day)


@register.simple_tag
def clinic_name() -> str:
    """The clinic's name (settings MBC_CLINIC_NAME) for the patient's pages; empty when not configured."""
    return str(settings.MBC_CLINIC_NAME)


@register.filter
def form_error_links(form: Any) -> list[ErrorLink]:
    """The error summary's links of a form rendered by a view mbc does not own (Django's sign-in view)."""
    return error_links(form) if form is not None else []


# The reasons of a recommended start in a few words, for a flag's evidence line.
START_REASON_SHORT = {
    "psychotic_features": "psychotic features",
    "severe": "severe symptoms",
    "chronic": "chronic depression",
    "recurrent": "recurrent depression",
    "suicide_item": "suicide item answered",
    "anxiety_disorder": "OCD, panic or PTSD",
    "bipolar": "bipolar disorder",
    "moderate": "moderate symptoms",
    "mild": "mild symptoms",
    "minimal": "minimal symptoms",
}


@register.filter
def start_reason_short(reason: str) -> str:
    return START_REASON_SHORT.get(reason, reason.replace("_", " "))


@register.filter
def sequence_label(modalities: Any) -> str:
    """A starting sequence in words: ("medication", "combined") -> "Medication, then psychotherapy added"."""
    names = dict(Modality.choices)
    steps = list(modalities)
    if not steps:
        return "—"
    words = [names.get(steps[0], steps[0])]
    for before, after in pairwise(steps):
        if after == "combined" and before in ("medication", "psychotherapy"):
            added = "psychotherapy" if before == "medication" else "medication"
            words.append(f"then {added} added")
        else:
            words.append(f"then {names.get(after, after).lower()}")
    return ", ".join(words)
