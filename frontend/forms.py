"""Forms of the pages: they parse what a browser posts; the services validate the clinical rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.definitions import Definition, self_rated
from patients.drug_classes import DRUG_CLASSES
from patients.models import Modality, Preference, Stage, Therapy
from reassessment.models import FlagKind, FlagSeverity
from reassessment.selectors import CASELOAD_SORTS, CATEGORIES

CATEGORY_LABELS = {
    "partial_response": "Partial response",
    "improving": "Improving",
    "response": "Response",
    "remission": "Remission",
    "too_early": "Too early to tell",
    "no_baseline": "No baseline",
    "no_phase": "No active phase",
}
SORT_LABELS = {
    "attention": "Needs attention",
    "name": "Name",
    "external_id": "Record number",
    "latest": "Latest score",
    "improvement": "Improvement",
    "next_due": "Next reassessment",
    "week": "Phase week",
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def new_client_id() -> str:
    """One per rendered form: posting the same form twice saves one assessment (the service is idempotent on it)."""
    return uuid.uuid4().hex


def apply_service_errors(form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field messages on the form's fields (or on the form when no field matches)."""
    aliases = aliases or {}
    messages = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for key, texts in messages.items():
        name = aliases.get(str(key), key)
        field = name if name in form.fields else None
        for text in texts:
            form.add_error(field, text)


@dataclass(frozen=True)
class ErrorLink:
    """One line of an error summary: the message, and the id of the control it is about (its first radio)."""

    target: str
    text: str


def error_links(form: forms.Form) -> list[ErrorLink]:
    """The GOV.UK error-summary list of a bound form: each field's messages, each linking to that field.

    A message about the whole form (or a hidden field) links to the first visible field.
    """
    if not form.is_bound or not form.errors:
        return []
    visible = [field for field in form if not field.is_hidden]

    def control_id(field: forms.BoundField) -> str:
        return field.subwidgets[0].id_for_label if field.subwidgets else field.id_for_label

    first = control_id(visible[0]) if visible else ""
    label = getattr(form, "summary_label", lambda name: str(form.fields[name].label))
    links = [ErrorLink(first, str(text)) for text in form.non_field_errors()]
    for field in form:
        for text in field.errors:
            if field.is_hidden:
                links.append(ErrorLink(first, _("The form was incomplete; please send it again.")))
            else:
                links.append(ErrorLink(control_id(field), f"{label(field.name)}: {_lower_first(str(text))}"))
    return links


def _lower_first(text: str) -> str:
    """"Choose an answer." reads "Question 5: choose an answer." after a label; "HAM-D" and "7 is" stay as they are."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


class OutcomesRangeForm(forms.Form):
    """The outcomes page's date range (GET `from`, `to`): treatment that started in it. Both optional."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invalid = {"invalid": "Enter a real date, like 2026-01-31."}
        self.fields["from"] = forms.DateField(
            label="Treatment started from", required=False, widget=DateInput, error_messages=invalid
        )
        self.fields["to"] = forms.DateField(label="to", required=False, widget=DateInput, error_messages=invalid)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return data

    def summary_label(self, name: str) -> str:
        return {"from": "Start date", "to": "End date"}[name]

    def range(self) -> tuple[date | None, date | None]:
        return self.cleaned_data.get("from"), self.cleaned_data.get("to")


class CaseloadFilterForm(forms.Form):
    """The caseload's search, filters and sort (GET; nothing here is a name or a score)."""

    q = forms.CharField(label="Search name or record number", required=False, max_length=100)
    flagged = forms.BooleanField(label="Flagged", required=False)
    due = forms.BooleanField(label="Due", required=False)
    overdue = forms.BooleanField(label="Overdue", required=False)
    modality = forms.ChoiceField(label="Modality", required=False, choices=[("", "Any modality"), *Modality.choices])
    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "Any category")] + [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    )
    flag_kind = forms.ChoiceField(
        label="Open flag", required=False, choices=[("", "Any flag"), *FlagKind.choices]
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=[(s, SORT_LABELS[s]) for s in CASELOAD_SORTS])
    desc = forms.BooleanField(label="Reverse order", required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q", ""),
            "flagged": bool(data.get("flagged")),
            "due": bool(data.get("due")),
            "overdue": bool(data.get("overdue")),
            "modality": data.get("modality", ""),
            "category": data.get("category", ""),
            "flag_kind": data.get("flag_kind", ""),
            "sort": data.get("sort") or "attention",
            "descending": bool(data.get("desc")),
            "page": self.page(),
        }

    def page(self) -> int:
        """The page asked for (1 when missing or not a number; the selector clamps it to the last page)."""
        raw = str(self.data.get("page", "") or "")
        return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def item_field_name(number: int) -> str:
    return f"item_{number}"


class InstrumentForm(forms.Form):
    """One administration of an instrument: a radio group per item, whose labels are the registry's anchors."""

    client_id = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self, definition: Definition, *args: Any, with_date: bool = True, numbered_summary: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_id", new_client_id())
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.numbered_summary = numbered_summary  # several instruments on one page: "GAD-7, question 2"
        if with_date:
            self.fields["administered_on"] = forms.DateField(
                label="Date administered", widget=DateInput, initial=timezone.localdate
            )
        for item in definition.items:
            self.fields[item_field_name(item.number)] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=[(score, anchor) for score, anchor in enumerate(item.anchors)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose an answer."),
                    # Not "no answer yet": a value posted out of range says what the range is.
                    "invalid_choice": _("%(value)s is out of range: the answers go from 0 to %(top)s.").replace(
                        "%(top)s", str(item.max_score)
                    ),
                },
            )
        for question in definition.extra_questions:
            self.fields[question.key] = forms.TypedChoiceField(
                label=question.text,
                choices=list(enumerate(question.anchors)),
                coerce=int,
                empty_value=None,
                widget=forms.RadioSelect,
                required=False,
            )

    def summary_label(self, name: str) -> str:
        """How the error summary names a field: "Question 5" for an item, else its label."""
        for item in self.definition.items:
            if name == item_field_name(item.number):
                if self.numbered_summary:
                    return _("%(instrument)s, question %(number)s") % {
                        "instrument": self.definition.short_name, "number": item.number
                    }
                return _("Question %(number)s") % {"number": item.number}
        return str(self.fields[name].label)

    def only_missing_answers(self) -> bool:
        return all(
            error.code == "required"
            for name, errors in self.errors.as_data().items()
            if name.startswith("item_")
            for error in errors
        ) and set(self.errors) <= {item_field_name(item.number) for item in self.definition.items}

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item_field_name(item.number)] for item in self.definition.items]

    def extra_fields(self) -> list[forms.BoundField]:
        return [self[q.key] for q in self.definition.extra_questions]

    def answers(self) -> list[int]:
        return [self.cleaned_data[item_field_name(item.number)] for item in self.definition.items]

    def difficulty(self) -> int | None:
        value = self.cleaned_data.get("difficulty")
        return int(value) if value is not None else None


class SelfReportForms:
    """The forms of one self-report link: one InstrumentForm per instrument it carries, sent together.

    One instrument keeps the plain field names (item_1 ...); several get each its code as prefix (gad7-item_1 ...),
    and the first form's client_id names the whole submission.
    """

    def __init__(self, definitions_: list[Definition], data: Any = None) -> None:
        several = len(definitions_) > 1
        self.forms = [
            InstrumentForm(d, data, with_date=False, prefix=d.code if several else None, numbered_summary=several)
            for d in definitions_
        ]
        for form in self.forms[1:]:
            del form.fields["client_id"]  # the page sends one client_id, the first form's

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms])  # every form validated: all their errors shown

    @property
    def client_id(self) -> str | None:
        return self.forms[0].cleaned_data.get("client_id") or None

    @property
    def client_id_field(self) -> forms.BoundField:
        return self.forms[0]["client_id"]

    @property
    def is_bound(self) -> bool:
        return self.forms[0].is_bound

    def errors(self) -> list[ErrorLink]:
        return [link for form in self.forms for link in error_links(form)]

    def only_missing_answers(self) -> bool:
        return all(form.only_missing_answers() for form in self.forms if form.errors)

    def question_count(self) -> int:
        return sum(len(form.definition.items) for form in self.forms)

    def answered(self) -> int:
        return sum(
            1 for form in self.forms for field in form.item_fields()
            if form.is_bound and field.value() not in (None, "")
        )

    def apply_errors(self, error: ValidationError) -> None:
        apply_service_errors(self.forms[0], error)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file (UTF-8)", error_messages={"required": "Choose a CSV file."})
    dry_run = forms.BooleanField(label="Only check the file; save nothing", required=False)


class PhaseForm(forms.Form):
    modality = forms.ChoiceField(label="Modality", choices=Modality.choices)
    stage = forms.ChoiceField(label="Stage", choices=Stage.choices, initial=Stage.ACUTE)
    therapy = forms.ChoiceField(label="Therapy", choices=[("", "—"), *Therapy.choices], required=False)
    started_on = forms.DateField(label="Starts on", widget=DateInput, initial=timezone.localdate)
    notes = forms.CharField(label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # Set by a flag's "Start a combined phase..." link: that flag is resolved with the new phase (DESIGN §2).
    from_flag = forms.IntegerField(required=False, widget=forms.HiddenInput)


SEROTONERGIC_CHOICES = [("", "As its class (default)"), ("yes", "Yes"), ("no", "No")]


class MedicationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    drug_class = forms.ChoiceField(
        label="Class", choices=[(code, label) for code, (label, _) in DRUG_CLASSES.items()]
    )
    serotonergic = forms.ChoiceField(label="Serotonergic", choices=SEROTONERGIC_CHOICES, required=False)
    dose = forms.CharField(label="Dose", max_length=120, required=False)
    started_on = forms.DateField(label="Started on", widget=DateInput, initial=timezone.localdate)
    stopped_on = forms.DateField(label="Stopped on", widget=DateInput, required=False)

    def serotonergic_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("serotonergic") or "")


class PatientRecordForm(forms.Form):
    """The course record of DESIGN §2b (and the diagnosis it reads), edited on the patient page."""

    diagnosis = forms.CharField(label="Diagnosis (ICD-10)", required=False, max_length=12,
                                help_text="For example F33.1; the recommended start reads it.")
    prior_episodes = forms.IntegerField(label="Previous depressive episodes", required=False, min_value=0,
                                        max_value=99, help_text="Leave empty when unknown.")
    episode_onset = forms.DateField(label="Current episode began", required=False, widget=DateInput)
    preference = forms.ChoiceField(label="The patient's preference", choices=Preference.choices,
                                   initial=Preference.NONE)
    language = forms.ChoiceField(
        label="Language of the patient's pages", required=False,
        choices=lambda: [("", "The browser's language"), *settings.LANGUAGES],
    )
    link_instruments = forms.MultipleChoiceField(
        label="Questionnaires on the patient's links", required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(d.code, d.short_name) for d in self_rated()],
        help_text="Tick several to ask them on one visit (e.g. PHQ-9 and GAD-7). None ticked: the primary instrument "
        "(or the PHQ-9 when it is clinician-rated).",
    )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was it entered in error?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this assessment was entered in error."},
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConcernForm(forms.Form):
    """A flag raised by hand: a worry no rule computes (DESIGN §2 clinician_concern)."""

    severity = forms.ChoiceField(label="Severity", choices=FlagSeverity.choices, initial=FlagSeverity.MEDIUM)
    note = forms.CharField(label="What worries you", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class StopMedicationForm(forms.Form):
    stopped_on = forms.DateField(label="Stopped on", widget=DateInput, initial=timezone.localdate)


class ChangeDoseForm(forms.Form):
    dose = forms.CharField(label="New dose", max_length=120)
    on = forms.DateField(label="From", widget=DateInput, initial=timezone.localdate)


def phase_initial(modality: str, stage: str, today: date) -> dict[str, Any]:
    """The start-phase form pre-filled by a flag's quick action (for example combined after a partial response)."""
    notes = {
        ("combined", "continuation"): "Remission held: continuing, with psychotherapy added against relapse.",
        ("combined", "acute"): "Other modality added after a partial response.",
    }.get((modality, stage), "Remission held: continuing treatment." if stage == "continuation" else "")
    return {"modality": modality, "stage": stage, "started_on": today, "notes": notes}


class NotificationSettingsForm(forms.Form):
    email_high_flags = forms.BooleanField(
        required=False,
        label="Email me when a high-severity flag is raised for one of my patients",
        help_text="Worsening, relapse, a serotonergic combination and other high flags. Off: you see them on the "
        "caseload.",
    )


class PreferenceForm(forms.Form):
    """The patient's "What would you like to try?" on their decision-aid page, every word in the page's language."""

    preference = forms.ChoiceField(widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, text: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text = text
        preference = self.fields["preference"]
        preference.choices = text.preference_choices
        preference.label = text.preference_question
        preference.error_messages = {"required": text.preference_missing, "invalid_choice": text.preference_missing}
        note = self.fields["note"]
        note.label = text.preference_note_label
        note.error_messages["max_length"] = text.note_too_long
        for validator in note.validators:
            if isinstance(validator, MaxLengthValidator):
                validator.message = text.note_too_long

    def summary_label(self, name: str) -> str:
        return self.text.preference_short_labels[0 if name == "preference" else 1]
