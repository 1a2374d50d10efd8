"""The pages. Thin: parse a form, call one service (or read selectors), redirect or render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.throttling import throttle_page
from frontend import charts
from frontend.forms import (
    CATEGORY_LABELS,
    AcknowledgeForm,
    CaseloadFilterForm,
    ChangeDoseForm,
    ConcernForm,
    EnteredInErrorForm,
    ErrorLink,
    ImportForm,
    InstrumentForm,
    MedicationForm,
    NotificationSettingsForm,
    OutcomesRangeForm,
    PatientRecordForm,
    PhaseForm,
    PreferenceForm,
    ResolveForm,
    SelfReportForms,
    StopMedicationForm,
    apply_service_errors,
    error_links,
    phase_initial,
)
from instruments import definitions
from instruments.selectors import visible_assessments
from instruments.services import SubmissionConflict
from interop import services as interop_services
from patients.models import AuditEvent, Clinician, Modality, Stage
from patients.selectors import latest_preference, visible_patient
from patients.services import record_audit, record_preference, set_notification_settings
from reassessment import decision_aid, engine, fidelity, progress, selectors, services
from reassessment import outcomes as outcome_selectors

# Where a flag's recommendation leads: the phase that adds the other modality (DESIGN §2).
RECOMMENDED_MODALITY = {
    "add_psychotherapy": Modality.COMBINED,
    "add_medication": Modality.COMBINED,
    "add_psychotherapy_for_relapse_prevention": Modality.COMBINED,  # DESIGN §2b continue treatment
}
# DESIGN §2b continue treatment: the next phase is a continuation phase (of the same modality, or combined).
RECOMMENDED_STAGE = {
    "start_continuation": Stage.CONTINUATION,
    "add_psychotherapy_for_relapse_prevention": Stage.CONTINUATION,
}


def _short_name(code: str) -> str:
    definition = definitions.REGISTRY.get(code)
    return definition.short_name if definition is not None else code


# ---------------------------------------------------------------------------------------------------------------
# Caseload
# ---------------------------------------------------------------------------------------------------------------

COLUMNS = [
    ("name", "Patient"),
    (None, "Instrument"),
    ("latest", "Latest score"),
    ("improvement", "Improvement"),
    (None, "Category"),
    ("week", "Current phase"),
    ("next_due", "Next reassessment"),
    ("attention", "Open flags"),
]


def _columns(request: HttpRequest, sort: str, descending: bool) -> list[dict[str, Any]]:
    """Table headers; a sortable one links to itself sorted (again: reversed)."""
    columns = []
    for key, label in COLUMNS:
        column: dict[str, Any] = {"label": label, "key": key, "url": None, "aria_sort": None}
        if key is not None:
            params = request.GET.copy()
            params["sort"] = key
            params.pop("desc", None)
            params.pop("page", None)  # a new order starts on its first page
            if key == sort and not descending:
                params["desc"] = "on"
            column["url"] = "?" + params.urlencode()
            if key == sort:
                column["aria_sort"] = "descending" if descending else "ascending"
        columns.append(column)
    return columns


@login_required
@never_cache
def caseload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = CaseloadFilterForm(request.GET or None)
    filters = form.filters()
    drill = None
    if "outcome" in request.GET:  # the patients behind a figure of the outcomes page, on the viewer's care teams
        key, period = request.GET["outcome"], OutcomesRangeForm(request.GET)
        if key not in outcome_selectors.OUTCOME_GROUPS or not period.is_valid():
            return render(request, "frontend/outcomes_bad_link.html", {"nav": "caseload"}, status=400)
        since, until = period.range()
        ids = outcome_selectors.outcomes(request.user, today, since=since, until=until, own_only=True).members.get(
            key, frozenset()
        )
        filters["patient_ids"] = ids
        drill = {"label": outcome_label(key), "since": since, "until": until, "key": key}
    data = selectors.caseload(request.user, today, **filters)
    more_open = filters["sort"] != "attention" or any(
        filters[k] for k in ("modality", "category", "flag_kind", "descending")
    )
    pager = request.GET.copy()
    pager.pop("page", None)
    record_audit(
        user=request.user, action=AuditEvent.Action.LIST, what="caseload", patient_ids=[r.patient.id for r in data.rows]
    )
    return render(
        request,
        "frontend/caseload.html",
        {
            "nav": "caseload",
            "today": today,
            "form": form,
            "caseload": data,
            "drill": drill,
            "more_open": more_open,
            "columns": _columns(request, filters["sort"], filters["descending"]),
            "page_query": pager.urlencode(),
            # Staff keep the schedule running: they see when the daily sweep has not finished for 26 hours.
            "sweep_late": request.user.is_staff and selectors.sweep_late(timezone.now()),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Patient page
# ---------------------------------------------------------------------------------------------------------------


def _instrument_order(primary: str) -> list[definitions.Definition]:
    return sorted(definitions.REGISTRY.values(), key=lambda d: (d.code != primary, d.code))


FORM_TITLES = {
    "phase": "the new phase",
    "medication": "the medication",
    "link": "the self-report link",
    "concern": "the concern",
}
# Forms of one flag or one medication, keyed by prefix-<id>.
FORM_PREFIX_TITLES = {
    "ack-": "the acknowledgement",
    "resolve-": "the resolution",
    "stop-": "the medication's stop",
    "dose-": "the dose change",
    "eie-": "the entered-in-error mark",
}


def _form_errors(bound: dict[str, Any]) -> tuple[str, list[ErrorLink]]:
    """The error summary of the page's one bound form: its title and a link per problem."""
    for key, form in bound.items():
        if isinstance(form, list):  # a service's messages about a form with no fields (the link button)
            return f"There is a problem with {FORM_TITLES.get(key, 'this form')}", form
        name = (f"the {_short_name(key)}" if key in definitions.REGISTRY else FORM_TITLES.get(key)) or next(
            (title for prefix, title in FORM_PREFIX_TITLES.items() if key.startswith(prefix)), ""
        )
        return f"There is a problem with {name or 'this form'}", error_links(form)
    return "", []


def _render_patient(
    request: HttpRequest, patient_id: int, *, status: int = 200, bound: dict[str, Any] | None = None
) -> HttpResponse:
    """The patient page, with any bound (invalid) form in place of its fresh one."""
    today = timezone.localdate()
    record = selectors.patient_record(request.user, patient_id, today)
    patient = record.patient
    record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="patient_page", patient_ids=[patient.id])
    bound = bound or {}
    summary = record.summary
    current_stage = summary.phase.stage if summary.phase is not None else "acute"

    start = request.GET.get("start", "")
    stage = request.GET.get("stage", "")
    if start in Modality.values and "phase" not in bound:
        initial = phase_initial(start, stage if stage in Stage.values else current_stage, today)
        from_flag = request.GET.get("flag", "")
        if from_flag.isdigit() and any(f.id == int(from_flag) and f.status != "resolved" for f in record.flags):
            initial["from_flag"] = int(from_flag)
        phase_form = PhaseForm(prefix="phase", initial=initial)
    else:
        phase_form = bound.get("phase") or PhaseForm(prefix="phase")

    instruments = []
    # The charts draw the assessments that count (Assessment.objects.in_effect()); the tables list every one.
    scored = [
        (definition, counted)
        for definition in _instrument_order(patient.primary_instrument)
        if (counted := [a for a in record.counted if a.instrument == definition.code])
    ]
    for definition in _instrument_order(patient.primary_instrument):
        own = [a for a in record.assessments if a.instrument == definition.code]
        for a in own:  # each row's "entered in error" form, bound where it was just refused
            a.error_form = bound.get(f"eie-{a.id}") or EnteredInErrorForm(prefix=f"eie-{a.id}")
        counted = [a for a in record.counted if a.instrument == definition.code]
        figure = None
        if counted and definition == scored[0][0]:
            # One chart: the primary instrument (or the first with scores), the others as small plots below it.
            figure = charts.trend_figure(
                definition=definition,
                assessments=counted,
                phases=record.charted_phases,
                summary=summary,
                flags=record.flags,
                today=today,
                secondary=scored[1:],
            )
        instruments.append(
            {
                "definition": definition,
                "short_name": definition.short_name,
                "assessments": list(reversed(own)),
                "figure": figure,
                "figure_id": f"{definition.code}-figure",
                "heatmap": charts.item_heatmap(definition=definition, assessments=counted) if counted else None,
                "heatmap_id": f"{definition.code}-items",
                "form": bound.get(definition.code) or InstrumentForm(definition, prefix=definition.code),
            }
        )
    charted = scored[0][0] if scored else None

    flags = []
    active = summary.phase
    for flag in record.flags:
        quick = None
        next_stage = RECOMMENDED_STAGE.get(flag.recommendation, "")
        target = RECOMMENDED_MODALITY.get(flag.recommendation) or (
            active.modality if active is not None and next_stage else None
        )
        if flag.status != "resolved" and target and active is not None and flag.phase_id == active.id:
            label = Modality(target).label.lower() + (f" {Stage(next_stage).label.lower()}" if next_stage else "")
            quick = {"modality": target, "stage": next_stage, "label": label}
        ack = bound.get(f"ack-{flag.id}") or AcknowledgeForm(prefix=f"ack-{flag.id}")
        resolve = bound.get(f"resolve-{flag.id}") or ResolveForm(prefix=f"resolve-{flag.id}")
        flags.append({"flag": flag, "quick": quick, "form": ack, "resolve_form": resolve})
    medications = [
        {
            "medication": m,
            "stop_form": bound.get(f"stop-{m.id}") or StopMedicationForm(prefix=f"stop-{m.id}"),
            "dose_form": bound.get(f"dose-{m.id}") or ChangeDoseForm(prefix=f"dose-{m.id}"),
        }
        for m in record.medications
    ]

    error_title, errors = _form_errors(bound)
    context = {
        "nav": "caseload",
        "today": today,
        "errors": errors,
        "error_title": error_title,
        "patient": patient,
        "summary": summary,
        "result": summary.result,
        "instrument_short": _short_name(summary.instrument),
        "category_label": CATEGORY_LABELS.get(summary.result.category if summary.result else "no_phase"),
        "instruments": instruments,
        "charted": charted,
        "beside": [definition.short_name for definition, _ in scored[1:]],
        "has_scores": bool(record.assessments),
        "stated_preference": latest_preference(patient),
        "phases": record.phases,
        "medications": record.medications,
        "medication_rows": medications,
        "concern_form": bound.get("concern") or ConcernForm(prefix="concern"),
        "flags": flags,
        "open_flags": [f for f in record.flags if f.status == "open"],
        "phase_form": phase_form,
        "phase_open": bool(start) or "phase" in bound,
        "medication_form": bound.get("medication") or MedicationForm(prefix="med"),
        "record_form": bound.get("record") or PatientRecordForm(prefix="record", initial=_record_initial(patient)),
        "recommended": summary.recommended,
        "course_record": _course_record(patient, today),
        "open_form": next(iter(bound), None),
        "crisis_message": settings.MBC_CRISIS_MESSAGE,
    }
    return render(request, "frontend/patient.html", context, status=status)


@login_required
@never_cache
def patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    return _render_patient(request, patient_id)


def _back(patient_id: int, anchor: str) -> HttpResponse:
    return redirect(reverse("patient", args=[patient_id]) + f"#{anchor}")


@login_required
@require_POST
def record_assessment(request: HttpRequest, patient_id: int, instrument: str) -> HttpResponse:
    definition = definitions.REGISTRY.get(instrument)
    patient = visible_patient(request.user, patient_id)
    if definition is None:
        raise Http404
    form = InstrumentForm(definition, request.POST, prefix=definition.code)
    if form.is_valid():
        try:
            submission = services.submit_assessment(
                patient=patient,
                instrument=definition.code,
                items=form.answers(),
                administered_at=form.cleaned_data["administered_on"],
                source="clinician",
                entered_by=request.user,
                client_id=form.cleaned_data["client_id"],
                difficulty=form.difficulty(),
            )
        except ValidationError as exc:
            # A reused client_id is about the whole form (its hidden field shows no message): say it at the top.
            apply_service_errors(form, exc, {"administered_at": "administered_on", "client_id": "__all__"})
        else:
            name = definition.short_name
            messages.success(request, f"{name} saved." if submission.created else f"This {name} was already saved.")
            if submission.suicide_flag is not None:
                messages.error(request, "The suicide item was answered above 0: an urgent flag was raised.")
            return _back(patient.id, f"scores-{definition.code}")
    return _render_patient(request, patient.id, status=400, bound={definition.code: form})


def _course_record(patient: Any, today: Any) -> dict[str, bool]:
    """DESIGN §2b chronic and recurrent, as the engine derives them from the record."""
    facts = selectors.patient_facts(patient)
    current = selectors.rules()
    return {
        "chronic": engine.is_chronic(facts, today, current),
        "recurrent": engine.is_recurrent(facts, current),
    }


def _record_initial(patient: Any) -> dict[str, Any]:
    names = ("diagnosis", "prior_episodes", "episode_onset", "preference", "language", "link_instruments")
    return {name: getattr(patient, name) for name in names}


@login_required
@require_POST
def change_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    form = PatientRecordForm(request.POST, prefix="record")
    if form.is_valid():
        try:
            services.change_patient(patient=patient, by=request.user, changes=dict(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The patient's record was updated.")
            return _back(patient.id, "recommended-start")
    return _render_patient(request, patient.id, status=400, bound={"record": form})


@login_required
@require_POST
def start_phase(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    form = PhaseForm(request.POST, prefix="phase")
    if form.is_valid():
        data = dict(form.cleaned_data)
        flag_id = data.pop("from_flag", None)
        flag = None
        if flag_id is not None:
            flag = selectors.visible_flags(request.user).filter(patient=patient, pk=flag_id).first()
            if flag is None:
                raise Http404
        try:
            services.change_phase(patient=patient, by=request.user, from_flag=flag, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The new phase has started.")
            if flag is not None:
                messages.success(request, f"The {flag.get_kind_display().lower()} flag is resolved.")
            return _back(patient.id, "phases")
    return _render_patient(request, patient.id, status=400, bound={"phase": form})


@login_required
@require_POST
def add_medication(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    form = MedicationForm(request.POST, prefix="med")
    if form.is_valid():
        data = form.cleaned_data
        try:
            _, flags = services.record_medication(
                patient=patient,
                by=request.user,
                name=data["name"],
                drug_class=data["drug_class"],
                started_on=data["started_on"],
                stopped_on=data["stopped_on"],
                dose=data["dose"],
                serotonergic=form.serotonergic_value(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Medication recorded.")
            if flags:
                messages.error(request, "Two serotonergic medications overlap: a flag was raised.")
            return _back(patient.id, "medications")
    return _render_patient(request, patient.id, status=400, bound={"medication": form})


@login_required
@require_POST
def acknowledge_flag(request: HttpRequest, patient_id: int, flag_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    flag = selectors.visible_flags(request.user).filter(patient=patient, pk=flag_id).first()
    if flag is None:
        raise Http404
    form = AcknowledgeForm(request.POST, prefix=f"ack-{flag.id}")
    if form.is_valid():
        try:
            services.acknowledge_flag(flag=flag, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{flag.get_kind_display()} flag acknowledged.")
            return _back(patient.id, "flags")
    return _render_patient(request, patient.id, status=400, bound={f"ack-{flag.id}": form})


def _flag_of(request: HttpRequest, patient_id: int, flag_id: int) -> tuple[Any, Any]:
    patient = visible_patient(request.user, patient_id)
    flag = selectors.visible_flags(request.user).filter(patient=patient, pk=flag_id).first()
    if flag is None:
        raise Http404
    return patient, flag


@login_required
@require_POST
def resolve_flag(request: HttpRequest, patient_id: int, flag_id: int) -> HttpResponse:
    patient, flag = _flag_of(request, patient_id, flag_id)
    form = ResolveForm(request.POST, prefix=f"resolve-{flag.id}")
    if form.is_valid():
        try:
            services.resolve_flag(flag=flag, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{flag.get_kind_display()} flag resolved.")
            return _back(patient.id, "flags")
    return _render_patient(request, patient.id, status=400, bound={f"resolve-{flag.id}": form})


@login_required
@require_POST
def raise_concern(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    form = ConcernForm(request.POST, prefix="concern")
    if form.is_valid():
        try:
            services.raise_concern(
                patient=patient, by=request.user, severity=form.cleaned_data["severity"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Your concern is raised as a flag.")
            return _back(patient.id, "flags")
    return _render_patient(request, patient.id, status=400, bound={"concern": form})


def _medication_of(request: HttpRequest, patient_id: int, medication_id: int) -> Any:
    from patients.selectors import visible_medication

    return visible_medication(request.user, patient_id, medication_id)


@login_required
@require_POST
def stop_medication(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    medication = _medication_of(request, patient_id, medication_id)
    form = StopMedicationForm(request.POST, prefix=f"stop-{medication.id}")
    if form.is_valid():
        try:
            _, flags = services.change_medication(
                medication=medication, by=request.user, stopped_on=form.cleaned_data["stopped_on"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{medication.name} stopped.")
            if flags:
                messages.error(request, "Two serotonergic medications are still in effect together: see the flags.")
            return _back(medication.patient_id, "medications")
    return _render_patient(request, medication.patient_id, status=400, bound={f"stop-{medication.id}": form})


@login_required
@require_POST
def change_medication_dose(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    medication = _medication_of(request, patient_id, medication_id)
    form = ChangeDoseForm(request.POST, prefix=f"dose-{medication.id}")
    if form.is_valid():
        try:
            _, flags = services.change_dose(
                medication=medication, by=request.user, dose=form.cleaned_data["dose"], on=form.cleaned_data["on"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{medication.name}: the new dose is recorded.")
            if flags:
                messages.error(request, "Two serotonergic medications are in effect together: a flag was raised.")
            return _back(medication.patient_id, "medications")
    return _render_patient(request, medication.patient_id, status=400, bound={f"dose-{medication.id}": form})


@login_required
@require_POST
def mark_entered_in_error(request: HttpRequest, patient_id: int, assessment_id: int) -> HttpResponse:
    patient = visible_patient(request.user, patient_id)
    assessment = visible_assessments(request.user).filter(patient=patient, pk=assessment_id).first()
    if assessment is None:
        raise Http404
    form = EnteredInErrorForm(request.POST, prefix=f"eie-{assessment.id}")
    if form.is_valid():
        try:
            services.mark_assessment_entered_in_error(
                assessment=assessment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            name = _short_name(assessment.instrument)
            day = f"{assessment.administered_on:%d %b %Y}"
            messages.success(request, f"The {name} of {day} is marked entered in error; it stays in the record.")
            return _back(patient.id, f"scores-{assessment.instrument}")
    return _render_patient(request, patient.id, status=400, bound={f"eie-{assessment.id}": form})


def _link_key(patient_id: int) -> str:
    return f"self_report_link:{patient_id}"


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def send_link(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST makes the link (or queues the email) and redirects; GET shows a new link's token once.

    Post/redirect/get: a reload shows the page again and never makes another link. The token waits in the session
    for that one display only (mbc keeps just its hash).
    """
    patient = visible_patient(request.user, patient_id)
    if request.method == "GET":
        shown = request.session.pop(_link_key(patient.id), None)
        context: dict[str, Any] = {"patient": patient, "url": None, "expires_at": None}
        if shown is not None:
            context.update(url=services.link_url(shown["token"]), expires_at=datetime.fromisoformat(shown["expires"]))
        return render(request, "frontend/link_created.html", context)
    try:
        result = services.request_self_report_link(patient=patient, by=request.user)
    except ValidationError as exc:
        problems = [ErrorLink("send-link", text) for text in exc.messages]
        return _render_patient(request, patient.id, status=400, bound={"link": problems})
    if result.emailed:
        if result.already_requested:
            messages.info(request, "A link was already emailed to this patient today.")
        else:
            messages.success(request, "A self-report link will be emailed to the patient within a few minutes.")
        return _back(patient.id, "top")
    assert result.token is not None
    assert result.expires_at is not None
    request.session[_link_key(patient.id)] = {"token": result.token, "expires": result.expires_at.isoformat()}
    return redirect("patient-link", patient_id=patient.id)


@login_required
@never_cache
def flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    """Where a notification email points: the flag on its patient's page, for the patient's care team only."""
    found = selectors.visible_flags(request.user).filter(pk=flag_id).values_list("patient_id", flat=True).first()
    if found is None:
        raise Http404
    return _back(found, f"flag-{flag_id}")


# ---------------------------------------------------------------------------------------------------------------
# The clinician's own settings
# ---------------------------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = Clinician.objects.filter(user_id=request.user.pk).values_list("email_high_flags", flat=True).first()
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            set_notification_settings(user=request.user, email_high_flags=form.cleaned_data["email_high_flags"])
            messages.success(request, "Your notification settings are saved.")
            return redirect("notification-settings")
    else:
        form = NotificationSettingsForm(initial={"email_high_flags": bool(current)})
    return render(
        request,
        "frontend/notification_settings.html",
        {
            "nav": "settings",
            "form": form,
            "email": getattr(request.user, "email", ""),
            "escalate_after": settings.MBC_ESCALATE_AFTER_MINUTES,
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------------------------
# CSV import (old spreadsheets in): the same checks and service as `manage.py import_assessments`
# ---------------------------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_assessments(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    file_error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            report = interop_services.import_assessments_csv(
                stream=form.cleaned_data["file"].file, by=request.user, dry_run=form.cleaned_data["dry_run"]
            )
        except interop_services.ImportFileError as exc:
            file_error = str(exc)
        if file_error or (report is not None and not report.ok):
            status = 400
        elif report is not None and not report.dry_run:
            messages.success(
                request,
                f"Imported {report.created} assessments ({report.existing} already there) from {report.rows} rows.",
            )
            if report.suicide_flags:
                messages.error(request, f"{report.suicide_flags} suicide-item answers above 0: urgent flags raised.")
            return redirect("caseload")
    elif request.method == "POST":
        status = 400
    return render(
        request, "frontend/import.html",
        {"nav": "caseload", "form": form, "report": report, "file_error": file_error,
         "columns": interop_services.REQUIRED_COLUMNS, "optional": interop_services.OPTIONAL_COLUMNS},
        status=status,
    )


# ---------------------------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------------------------


OUTCOME_WHAT = {"evaluable": "evaluable", "responded": "response or remission", "remitted": "remission"}
PARTIAL_WHAT = {
    "reassessed": "patients with a reassessment",
    "flagged": "flagged as partial responders",
    "single": "flagged on medication or therapy alone",
    "added": "other modality added within 4 weeks",
}


def outcome_label(key: str) -> str:
    """What an outcomes figure counts, in words: "modality.medication.responded" -> "Medication: response ..."."""
    group, name, *rest = key.split(".")
    if group == "partial":
        return f"Partial responders: {PARTIAL_WHAT[name]}"
    if group == "modality":
        return f"{Modality(name).label}: {OUTCOME_WHAT[rest[0]]}"
    return f"Started with {charts.SEQUENCE_LABELS[name].lower().removesuffix(' first')}: {OUTCOME_WHAT[rest[0]]}"


def _drill_links(prefix: str, period: dict[str, str], whats: Any = OUTCOME_WHAT) -> dict[str, str]:
    """The caseload filtered to the patients behind each figure of a row (only the viewer's care teams)."""
    return {what: reverse("caseload") + "?" + urlencode({"outcome": f"{prefix}.{what}", **period}) for what in whats}


@login_required
@never_cache
def outcomes(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    period_form = OutcomesRangeForm(request.GET or None)
    if period_form.is_bound and not period_form.is_valid():
        return render(
            request,
            "frontend/outcomes.html",
            {"nav": "outcomes", "today": today, "period_form": period_form, "outcomes": None,
             "errors": error_links(period_form), "error_title": "There is a problem with the dates"},
            status=400,
        )
    since, until = period_form.range() if period_form.is_bound else (None, None)
    period = {k: v.isoformat() for k, v in (("from", since), ("to", until)) if v is not None}
    data = outcome_selectors.outcomes(request.user, today, since=since, until=until)
    record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="outcomes", patient_ids=[None])
    modality_labels = dict(Modality.choices)
    return render(
        request,
        "frontend/outcomes.html",
        {
            "nav": "outcomes",
            "today": today,
            "period_form": period_form,
            "since": since,
            "until": until,
            "outcomes": data,
            "partial_links": _drill_links("partial", period, PARTIAL_WHAT),
            "modality_rows": [
                (modality_labels[r.key], r, _drill_links(f"modality.{r.key}", period)) for r in data.by_modality
            ],
            "sequence_rows": [
                (charts.SEQUENCE_LABELS[r.key], r, _drill_links(f"sequence.{r.key}", period))
                for r in data.by_sequencing
            ],
            "modality_figure": charts.rates_figure(
                data.by_modality, modality_labels, [_drill_links(f"modality.{r.key}", period) for r in data.by_modality]
            ),
            "sequence_figure": charts.rates_figure(
                data.by_sequencing, charts.SEQUENCE_LABELS,
                [_drill_links(f"sequence.{r.key}", period) for r in data.by_sequencing],
            ),
            "partial_figure": charts.partial_response_figure(data, _drill_links("partial", period, PARTIAL_WHAT)),
            "fidelity": fidelity.fidelity(request.user, today),
            "rules": settings.MBC_RULES,
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# The patient's self-report page (no login: the token is the key)
# ---------------------------------------------------------------------------------------------------------------


def _page_language(request: HttpRequest, patient_language: str = "") -> str:
    """The patient's pages speak the patient's language, or else the browser's (Accept-Language) where the pages
    have it, or else the clinic's (LANGUAGE_CODE)."""
    supported = dict(settings.LANGUAGES)
    for code in (patient_language, translation.get_language_from_request(request)):
        base = (code or "").split("-")[0].lower()
        if base in supported:
            return base
    return settings.LANGUAGE_CODE.split("-")[0]


def _in_language(language: str, view: Callable[[], HttpResponse]) -> HttpResponse:
    with translation.override(language):
        response = view()
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return _in_language(
        _page_language(request), lambda: render(request, "frontend/self_report_invalid.html", status=404)
    )


def _sent(
    request: HttpRequest, link: Any, language: str, *, again: bool, message: str = "", status: int = 200
) -> HttpResponse:
    """The thank-you page of a link that took its submission, with the crisis text where its answers call for it."""
    sent = selectors.sent_self_report(link)
    crisis = selectors.crisis_message(language) if sent is not None and sent.crisis else None
    return render(
        request,
        "frontend/self_report_done.html",
        {
            "crisis_message": crisis,
            "already_sent": again,
            "message": message,
            # Issue 14: the patient's own progress, on the first thank-you and whenever the link is opened again while
            # it lives (an expired link reaches no page at all).
            "progress": _own_progress(sent.assessments if sent is not None else []),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@throttle_page("self_report_page", "frontend/self_report_throttled.html")
def self_report(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_for_token(services.hash_token(token), timezone.now())
    if link is None:
        return _invalid_link(request)
    language = _page_language(request, link.patient.language)
    return _in_language(language, lambda: _self_report_form(request, token, link, language))


def _self_report_form(request: HttpRequest, token: str, link: Any, language: str) -> HttpResponse:
    carried = [definitions.get(code).in_language(language) for code in selectors.link_instruments(link)]
    if request.method == "POST":
        forms = SelfReportForms(carried, request.POST)
        if forms.is_valid():
            answers = [
                services.Answers(instrument=form.definition.code, items=form.answers(), difficulty=form.difficulty())
                for form in forms.forms
            ]
            try:
                services.submit_self_report(link=link, answers=answers, client_id=forms.client_id)
            except SubmissionConflict as exc:
                # One submission per link: a second one is refused and says so, never dropped silently.
                link.refresh_from_db()
                changed = "client_id" in exc.message_dict
                message = _(services.ANSWERS_CHANGED) if changed else ""
                return _sent(request, link, language, again=True, message=message, status=409)
            except ValidationError as exc:
                forms.apply_errors(exc)
            else:
                return redirect("self-report-done", token=token)
        status = 400
    elif link.submitted_at is not None:
        return _sent(request, link, language, again=True)
    else:
        forms = SelfReportForms(carried)
        status = 200
        record_audit(
            user=None, action=AuditEvent.Action.VIEW, what="self_report_form", patient_ids=[link.patient_id],
            object_id=link.id,
        )
    questions = forms.question_count()
    return render(
        request,
        "frontend/self_report.html",
        {
            "forms": forms,
            "form": forms.forms[0],
            "definition": carried[0],
            "errors": forms.errors(),
            "error_title": (
                _("Please answer every question") if forms.only_missing_answers() else _("Please check your answers")
            ),
            "answered": forms.answered(),
            "questions": questions,
            "minutes": max(2, round(questions / 4)),  # about 15 seconds a question
        },
        status=status,
    )


@never_cache
@throttle_page("self_report_page", "frontend/self_report_throttled.html")
def self_report_done(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_for_token(services.hash_token(token), timezone.now())
    if link is None:
        return _invalid_link(request)
    if link.submitted_at is None:
        return redirect("self-report", token=token)
    language = _page_language(request, link.patient.language)
    return _in_language(language, lambda: _sent(request, link, language, again=False))


def _own_progress(sent: list[Any]) -> list[dict[str, Any]]:
    """The patient's own progress on each instrument they just answered (when the clinic shows it), with its chart.

    Only ever called for a live link's own assessments: the link's patient's scores, up to these answers."""
    if not settings.MBC_SHOW_PATIENT_PROGRESS:
        return []
    shown = []
    for assessment in sorted(sent, key=lambda a: a.id):
        mine = progress.own_progress(assessment)
        chart = charts.progress_svg([p.day for p in mine.points], [p.total for p in mine.points], mine.max_total)
        shown.append({"progress": mine, "chart": chart})
    return shown


# ---------------------------------------------------------------------------------------------------------------
# The patient's decision aid: therapy, medication or both, in plain words (the link's patient only)
# ---------------------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@throttle_page("self_report_page", "frontend/self_report_throttled.html")
def self_report_options(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_for_token(services.hash_token(token), timezone.now())
    if link is None:
        return _invalid_link(request)
    patient = link.patient
    language = _page_language(request, patient.language)
    text = decision_aid.content(language)
    form = PreferenceForm(
        request.POST if request.method == "POST" else None, text=text, initial={"preference": patient.preference}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record_preference(
                    patient=patient, preference=form.cleaned_data["preference"], note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                chosen = dict(text.preference_choices)[form.cleaned_data["preference"]]
                messages.success(request, text.preference_saved.format(choice=chosen))
                return redirect(reverse("self-report-options", kwargs={"token": token}) + "#preference")
        status = 400
    else:
        record_audit(
            user=None, action=AuditEvent.Action.VIEW, what="decision_aid", patient_ids=[patient.id], object_id=link.id
        )
    facts = selectors.options_facts(patient, timezone.localdate())
    suggestion = facts.recommended.modality if facts.recommended is not None else None
    latest = facts.latest

    def page() -> HttpResponse:
        # Built inside the page's language: the date's month name is the patient's too.
        latest_sentence = None
        if latest is not None:
            day = date_format(latest.day, "j F Y")
            latest_sentence = text.latest_sentence.format(total=latest.total, max_total=latest.max_total, date=day)
        return render(
            request,
            "frontend/self_report_options.html",
            {
                "text": text,
                "language": decision_aid.content_language(language),
                "form": form,
                "crisis_message": selectors.crisis_message(language) if facts.crisis else None,
                "latest_sentence": latest_sentence,
                "band_text": text.bands.get(latest.severity, text.band_fallback) if latest is not None else None,
                "suggestion": text.suggestions.get(suggestion) if suggestion is not None else None,
                "reasons": [text.reasons[r] for r in facts.recommended.reasons if r in text.reasons]
                if facts.recommended is not None
                else [],
                "evidence": decision_aid.evidence_for(suggestion, language),
                "safety": decision_aid.safety_for(
                    language=language,
                    suggestion=suggestion,
                    under_25=facts.under_25,
                    on_antidepressant=facts.on_antidepressant,
                    on_any_medication=facts.on_any_medication,
                ),
                "sources": decision_aid.SOURCES,
            },
            status=status,
        )

    return _in_language(language, page)
