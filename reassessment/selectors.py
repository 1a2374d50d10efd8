"""Reads for the checks: engine facts for many patients in a few queries, summaries, flags and the caseload."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lower

from instruments import definitions
from instruments.models import Assessment
from patients.models import Medication, Patient, TreatmentPhase
from patients.selectors import visible_patients
from patients.validators import EARLIEST_DATE
from reassessment import engine
from reassessment.models import SEVERITY_RANK, Flag, FlagStatus, SelfReportLink


def rules() -> engine.Rules:
    return engine.Rules.from_mapping(settings.MBC_RULES)


@functools.cache  # definitions are code: one InstrumentRules per instrument, not one per phase of a sweep
def instrument_rules(code: str) -> engine.InstrumentRules:
    d = definitions.get(code)
    return engine.InstrumentRules(
        code=d.code,
        remission_max=d.remission_max,
        reliable_change=d.reliable_change,
        moderate_min=d.moderate_min,
        combined_min=d.combined_min,
        suicide_item=d.suicide_item,
    )


_PHASE_FIELDS = (
    "id",
    "patient_id",
    "modality",
    "stage",
    "started_on",
    "ended_on",
    "patient__birth_date",
    "patient__reminder_interval_days",
    "patient__primary_instrument",
    "course_started_on",
    "patient__diagnosis",
    "patient__prior_episodes",
    "patient__episode_onset",
)


def course_start() -> Subquery:
    """DESIGN §2b: started_on of the earliest phase of the course of each phase (an annotation, no extra query).

    A phase starts a course when no earlier phase of the patient reaches the day before its start (ended on that
    day or later, or never ended); a phase's course starts at the latest such phase on or before its own start.
    """
    reaching = TreatmentPhase.objects.filter(
        patient_id=OuterRef("patient_id"), started_on__lt=OuterRef("started_on")
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("started_on") - timedelta(days=1)))
    starts = (
        TreatmentPhase.objects.filter(patient_id=OuterRef("patient_id"), started_on__lte=OuterRef("started_on"))
        .exclude(Exists(reaching))
        .order_by("-started_on")
        .values("started_on")[:1]
    )
    return Subquery(starts, output_field=DateField())


def with_course(phases: QuerySet[TreatmentPhase]) -> QuerySet[TreatmentPhase]:
    """Phases annotated with `course_started_on` (their own start when the subquery finds none).

    Most phases are a patient's first: a cheap EXISTS on (patient, started_on) answers them, and the database runs
    the course subquery (a subquery per earlier phase) only for the others (a CASE evaluates its branches lazily).
    """
    earlier = TreatmentPhase.objects.filter(patient_id=OuterRef("patient_id"), started_on__lt=OuterRef("started_on"))
    return phases.annotate(
        course_started_on=Case(
            When(~Exists(earlier), then=F("started_on")),
            default=Coalesce(course_start(), F("started_on")),
            output_field=DateField(),
        )
    )


def _facts_from_row(row: Sequence[Any], starts: Sequence[date] = ()) -> engine.PhaseFacts:
    pid, patient_id, modality, stage, started_on, ended_on, birth_date, interval, instrument, course, *record = row
    return engine.PhaseFacts(
        phase_id=pid,
        patient_id=patient_id,
        modality=modality,
        stage=stage,
        started_on=started_on,
        ended_on=ended_on,
        birth_date=birth_date,
        interval_days=interval,
        instrument=instrument_rules(instrument),
        # An earlier phase of the course dated before 1900 (see PhaseQuerySet.in_effect) must not overflow the window.
        course_started_on=max(min(course, started_on), EARLIEST_DATE),
        record=_record(*record),
        antidepressant_starts=tuple(starts),
    )


def _record(diagnosis: str, prior_episodes: int | None, episode_onset: date | None) -> engine.PatientFacts:
    return engine.PatientFacts(diagnosis=diagnosis, prior_episodes=prior_episodes, episode_onset=episode_onset)


def patient_facts(patient: Patient) -> engine.PatientFacts:
    return _record(patient.diagnosis, patient.prior_episodes, patient.episode_onset)


def with_recent_antidepressant(phases: QuerySet[TreatmentPhase], today: date) -> QuerySet[TreatmentPhase]:
    """Phases annotated with `recent_antidepressant_start`: the patient's earliest antidepressant start (a dose
    change's new row included) in the 28 days up to `today`, or None.

    DESIGN §2 interval in force needs no more: age only grows, so the earliest start whose window is still open
    gives the youngest age at such a start. A subquery, not a query of its own.
    """
    window = Medication.objects.filter(
        patient_id=OuterRef("patient_id"),
        drug_class__in=engine.ANTIDEPRESSANT_CLASSES,
        started_on__gt=today - timedelta(days=rules().young_window_days),
        started_on__lte=today,
    )
    return phases.annotate(
        recent_antidepressant_start=Subquery(window.order_by("started_on").values("started_on")[:1])
    )


def active_phase_facts(phases: QuerySet[TreatmentPhase], today: date) -> list[engine.PhaseFacts]:
    """Facts of the given phases as of `today`, one query (patient fields joined in; the course's start and the
    recent antidepressant start as subqueries)."""
    rows = with_recent_antidepressant(with_course(phases), today).values_list(
        *_PHASE_FIELDS, "recent_antidepressant_start"
    )
    return [_facts_from_row(row[:-1], [row[-1]] if row[-1] is not None else []) for row in rows]


def among(field: str, ids: Iterable[int]) -> Q:
    """`field` is one of `ids`: a range when the ids are dense (a sweep chunk's are), where 2,000 ids would be 2,000
    parameters for Django and psycopg to build and parse. Rows of other ids inside the range may then come back:
    callers keep only theirs."""
    ordered = sorted(set(ids))
    if len(ordered) > 1 and ordered[-1] - ordered[0] < 2 * len(ordered):
        return Q(**{f"{field}__gte": ordered[0], f"{field}__lte": ordered[-1]})
    return Q(**{f"{field}__in": ordered})


# The classes the course rules read (DESIGN §2b): antidepressants, and what protects a bipolar patient from them.
COURSE_CLASSES = (*engine.ANTIDEPRESSANT_CLASSES, *engine.MANIA_PROTECTING_CLASSES)


def course_medications(
    patient_ids: Iterable[int], *, taken_on: date | None = None
) -> dict[int, list[engine.MedicationFacts]]:
    """The antidepressants, mood stabilisers, lithium and antipsychotics of many patients: one query.

    `taken_on`: only those taken that day (the bipolar check of a sweep reads no history).
    """
    wanted = set(patient_ids)
    meds = Medication.objects.filter(among("patient_id", wanted), drug_class__in=COURSE_CLASSES)
    if taken_on is not None:
        meds = meds.filter(started_on__lte=taken_on).filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=taken_on))
    by_patient: dict[int, list[engine.MedicationFacts]] = defaultdict(list)
    rows = meds.order_by("patient_id", "started_on", "id").values_list(
        "id", "patient_id", "serotonergic", "started_on", "stopped_on", "name", "drug_class"
    )
    for mid, pid, serotonergic, started_on, stopped_on, name, drug_class in rows.iterator(chunk_size=5000):
        if pid not in wanted:
            continue
        by_patient[pid].append(
            engine.MedicationFacts(
                medication_id=mid,
                patient_id=pid,
                serotonergic=serotonergic,
                started_on=started_on,
                stopped_on=stopped_on,
                name=name,
                drug_class=drug_class,
            )
        )
    return by_patient


def _suicide_answer() -> Case:
    """The answer to each row's instrument's suicide item, read in the database (0 for an instrument without one)."""
    whens = [
        When(instrument=d.code, then=Cast(KT(f"items__{d.suicide_item - 1}"), IntegerField()))
        for d in definitions.REGISTRY.values()
        if d.suicide_item is not None
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def score_points(
    facts: Sequence[engine.PhaseFacts], *, without_phase: Mapping[int, str] | None = None
) -> dict[int, list[engine.ScorePoint]]:
    """Primary-instrument scores of the phases' patients from 14 days before the earliest start: one query.

    `without_phase` (patient id -> primary instrument): patients with no phase, whose every score is read in the
    same query (the recommended start reads their latest one).
    """
    without_phase = without_phase or {}
    if not facts and not without_phase:
        return {}
    wanted = {f.patient_id: f.instrument.code for f in facts}
    wanted.update(without_phase)
    condition = Q(pk__in=[])
    if facts:
        since = min(f.course_started_on for f in facts) - timedelta(days=rules().baseline_days_before)
        condition |= among("patient_id", (f.patient_id for f in facts)) & Q(administered_on__gte=since)
    if without_phase:
        condition |= Q(patient_id__in=list(without_phase))
    rows = (
        Assessment.objects.in_effect().filter(condition, instrument__in=set(wanted.values()))
        .order_by()  # the engine orders a phase's scores itself; sorting every batch in the database is wasted
        .annotate(suicide_answer=_suicide_answer())
        .values_list(
            "id", "patient_id", "instrument", "administered_at", "administered_on", "total", "severity",
            "suicide_answer",
        )
    )
    points: dict[int, list[engine.ScorePoint]] = defaultdict(list)
    point = engine.ScorePoint
    for aid, patient_id, instrument, at, on, total, severity, suicide in _rows(rows):
        if wanted.get(patient_id) == instrument:  # a patient of the range but not of these phases: not wanted
            points[patient_id].append(
                point(
                    assessment_id=aid,
                    administered_at=at,
                    day=on,
                    total=total,
                    severity=severity,
                    suicide_answer=suicide or 0,
                )
            )
    return points


def _rows(rows: QuerySet[Any, tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    """The rows of a values_list queryset, read fast: the sweep reads about a million of them.

    On PostgreSQL, Django loads every timestamptz through its own pure-Python loader (~2.5 us a value); psycopg's C
    loader gives the same aware UTC datetime (Django sets the session time zone to UTC). One batch's rows are
    fetched at once: a batch bounds them, so memory stays flat.
    """
    if connection.vendor != "postgresql":
        yield from rows.iterator(chunk_size=5000)
        return
    from psycopg.types.datetime import TimestamptzLoader

    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            yield from chunk


def sweep_ranges(chunk_patients: int) -> list[tuple[int, int]]:
    """(first id, last id) of consecutive runs of `chunk_patients` active patients, in id order: one query.

    Ranges of ids, not lists: a chunk task's message stays a few bytes however large the caseload, and ids that
    appear later (a patient added during the sweep) fall into a range or into tomorrow's sweep.
    """
    table = connection.ops.quote_name(Patient._meta.db_table)
    # The table name comes from the model; every value is bound.
    numbered = f"SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS chunk FROM {table} WHERE active = %s"  # noqa: S608
    query = f"SELECT min(id), max(id) FROM ({numbered}) numbered GROUP BY chunk ORDER BY 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, [chunk_patients, True])
        return [(int(lo), int(hi)) for lo, hi in cursor.fetchall()]


# Beat runs the sweep daily; 26 hours leaves room for a slow run and the change of clocks.
SWEEP_MAX_AGE = timedelta(hours=26)


def last_sweep() -> datetime | None:
    """When the latest sweep finished (all its chunks), or None when none ever did."""
    from reassessment.models import SweepRun

    return (
        SweepRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def sweep_late(now: datetime) -> bool:
    """The daily sweep has not finished within 26 hours (or never): staff see it on the caseload, /health/ fails."""
    finished = last_sweep()
    return finished is None or now - finished > SWEEP_MAX_AGE


def beat_last_sent() -> datetime | None:
    """When beat last sent any enabled scheduled task (the reminder outbox runs every 5 minutes)."""
    from django.db.models import Max
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]


def _point(view: engine.PointView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"id": view.assessment_id, "total": view.total, "severity": view.severity, "date": view.day}


@dataclass(frozen=True)
class Progress:
    """An improvement as shown: a percentage, from which baseline, and whether that is the course's first one."""

    pct: float
    baseline_total: int
    baseline_on: date
    course: bool


@dataclass(frozen=True)
class Summary:
    """The API's and the caseload's view of a patient's current phase (DESIGN §3 summary)."""

    instrument: str
    phase: TreatmentPhase | None
    result: engine.PhaseSummary | None
    recommended: engine.StartRecommendation | None = None  # DESIGN §2b recommended start
    course_baseline: engine.ScorePoint | None = None  # DESIGN §2b: read for continuation and maintenance phases

    @property
    def progress(self) -> Progress | None:
        """The improvement the caseload and the patient page show beside the category.

        In an acute phase, the phase's own (baseline to reassessment). In continuation or maintenance the phase's
        baseline is a score already in remission (3 -> 4 would read "-33.3% from 3" beside "Remission"), so the
        latest score is set against the course's first baseline instead; with none, nothing is shown.
        """
        r = self.result
        if r is None or self.phase is None:
            return None
        if self.phase.stage == "acute":
            if r.improvement_pct is None or r.baseline is None:
                return None
            return Progress(pct=r.improvement_pct, baseline_total=r.baseline.total, baseline_on=r.baseline.day,
                            course=False)
        latest = r.latest or r.baseline
        base = self.course_baseline
        if base is None or latest is None or (latest.day, latest.assessment_id) == (base.day, base.assessment_id):
            return None
        pct = engine.display_pct(engine.improvement(base.total, latest.total))
        if pct is None:
            return None
        return Progress(pct=pct, baseline_total=base.total, baseline_on=base.day, course=True)

    @property
    def start_differs(self) -> bool:
        """The current phase's modality does not follow the recommended start (the caseload marker)."""
        if self.phase is None or self.recommended is None:
            return False
        return not engine.start_matches(self.recommended.modality, self.phase.modality)

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        phase = None
        if self.phase is not None and r is not None:
            phase = {
                "id": self.phase.id,
                "modality": self.phase.modality,
                "stage": self.phase.stage,
                "started_on": self.phase.started_on,
                "week": r.week,
            }
        return {
            "instrument": self.instrument,
            "phase": phase,
            "baseline": _point(r.baseline) if r else None,
            "latest": _point(r.latest) if r else None,
            "reassessment": _point(r.reassessment) if r else None,
            "improvement_pct": r.improvement_pct if r else None,
            "category": r.category if r else "no_phase",
            "next_due_on": r.next_due_on if r else None,
            "interval_days": r.interval_days if r else None,
            "birth_date_missing": r.birth_date_missing if r else False,
            "recommended_start": _start(self.recommended),
        }


def _start(start: engine.StartRecommendation | None) -> dict[str, Any] | None:
    if start is None:
        return None
    point = start.based_on
    return {
        "modality": start.modality,
        "reasons": list(start.reasons),
        "based_on": {"id": point.assessment_id, "total": point.total, "date": point.day},
    }


def summaries(patients: Sequence[Patient], today: date) -> dict[int, Summary]:
    """Summaries of many patients, with their recommended starts: two queries whatever their number."""
    by_id = {p.id: p for p in patients}
    phases = list(
        with_recent_antidepressant(
            with_course(
                TreatmentPhase.objects.in_effect().filter(patient_id__in=list(by_id), ended_on__isnull=True)
            ),
            today,
        ).select_related("patient")
    )
    facts = {phase.id: _facts_of(phase) for phase in phases}
    phase_of = {phase.patient_id: phase for phase in phases}
    without_phase = {p.id: p.primary_instrument for p in patients if p.id not in phase_of}
    points = score_points(list(facts.values()), without_phase=without_phase)
    current = rules()
    result: dict[int, Summary] = {}
    for p in patients:
        scores = points.get(p.id, [])
        phase = phase_of.get(p.id)
        f = facts[phase.id] if phase is not None else None
        if phase is not None and f is not None:
            result[p.id] = summary_of_facts(f, scores, today, current, phase=phase)
            continue
        instrument = instrument_rules(p.primary_instrument)
        recommended = engine.course_start(
            patient=patient_facts(p), phase=None, scores=scores, instrument=instrument, today=today, rules=current
        )
        result[p.id] = Summary(instrument=instrument.code, phase=None, result=None, recommended=recommended)
    return result


def summary_of_facts(
    f: engine.PhaseFacts,
    scores: Sequence[engine.ScorePoint],
    today: date,
    current: engine.Rules,
    *,
    phase: TreatmentPhase | None = None,
    result: engine.PhaseSummary | None = None,
) -> Summary:
    """A patient's summary from their active phase's facts and scores: the page and the sweep read it alike.

    `result`: the engine's summary when the caller already has it (the sweep's evaluate_phase).
    """
    return Summary(
        instrument=f.instrument.code,
        phase=phase
        or TreatmentPhase(
            id=f.phase_id, patient_id=f.patient_id, modality=f.modality, stage=f.stage, started_on=f.started_on
        ),
        result=result or engine.summarize(f, scores, today, current),
        recommended=engine.course_start(
            patient=f.record, phase=f, scores=scores, instrument=f.instrument, today=today, rules=current
        ),
        course_baseline=engine.course_baseline(f, scores, current) if f.stage != "acute" else None,
    )


def _facts_of(phase: TreatmentPhase) -> engine.PhaseFacts:
    """The facts of a phase loaded as a model (with its patient), for pages that also show the phase itself.

    Its antidepressant starts are only the one today's interval in force depends on (`with_recent_antidepressant`).
    """
    patient = phase.patient
    recent = phase.recent_antidepressant_start  # type: ignore[attr-defined]  # annotated by summaries()
    return _facts_from_row(
        [phase.id, phase.patient_id, phase.modality, phase.stage, phase.started_on, phase.ended_on,
         patient.birth_date, patient.reminder_interval_days, patient.primary_instrument,
         phase.course_started_on,  # type: ignore[attr-defined]  # annotated by with_course
         patient.diagnosis, patient.prior_episodes, patient.episode_onset],
        [recent] if recent is not None else [],
    )


def patient_summary(patient: Patient, today: date) -> Summary:
    return summaries([patient], today)[patient.id]


def visible_flags(user: Any) -> QuerySet[Flag]:
    """Flags of the user's patients only (built on the one access selector)."""
    return Flag.objects.filter(patient__in=visible_patients(user))


def open_flags_by_patient(patient_ids: Iterable[int]) -> dict[int, list[Flag]]:
    """Open and acknowledged flags, most severe first, in one query."""
    grouped: dict[int, list[Flag]] = defaultdict(list)
    flags = Flag.objects.filter(patient_id__in=list(patient_ids), status=FlagStatus.OPEN).order_by("created_at", "id")
    for flag in flags:
        grouped[flag.patient_id].append(flag)
    for items in grouped.values():
        items.sort(key=lambda f: (SEVERITY_RANK[f.severity], -f.id))
    return grouped


def crisis_message(language: str) -> str:
    """The crisis text in the patient's language (MBC_CRISIS_MESSAGE_ES for Spanish), else the clinic's own."""
    if (language or "").split("-")[0].lower() == "es":
        return str(settings.MBC_CRISIS_MESSAGE_ES)
    return str(settings.MBC_CRISIS_MESSAGE)


def link_for_token(token_hash: str, now: Any) -> SelfReportLink | None:
    """A live link by its token's hash (used or not); None when unknown or expired."""
    return (
        SelfReportLink.objects.select_related("patient")
        .filter(token_hash=token_hash, expires_at__gt=now, patient__active=True)
        .first()
    )


def flags_raised_on(day: date, kind: str) -> int:
    """How many flags of a kind were raised on a clinic-local day (whatever raised them: a submission or a sweep)."""
    from django.utils import timezone

    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return Flag.objects.filter(kind=kind, created_at__gte=start, created_at__lt=end).count()


def due_without_email(today: date) -> int:
    """Active patients due (or overdue) for reassessment who have no email: nobody can send them a link.

    A count of where things stand, not of what a run did, so it is the same on every run of the same day.
    """
    phases = TreatmentPhase.objects.in_effect().filter(ended_on__isnull=True, patient__active=True, patient__email="")
    facts = active_phase_facts(phases, today)
    points = score_points(facts)
    current = rules()
    return sum(1 for f in facts if engine.summarize(f, points.get(f.patient_id, []), today, current).due)


def link_instruments(link: SelfReportLink) -> list[str]:
    """The instruments a link asks for, in the order its form shows them (links from before the list: their one)."""
    return list(link.instruments) or [link.instrument]


@dataclass(frozen=True)
class SelfReport:
    """What a link's one submission recorded; `created` is False when a request was that submission again."""

    assessments: list[Assessment]
    created: bool
    crisis: bool  # a positive suicide item among the answers: the crisis text is shown (again)


def sent_self_report(link: SelfReportLink) -> SelfReport | None:
    """The submission a link took, with whether its answers call for the crisis text; None while it is unused."""
    if link.submitted_at is None:
        return None
    assessments = list(link.assessments.order_by("id"))
    crisis = any(
        engine.suicide_finding(
            patient_id=a.patient_id,
            assessment_id=a.id,
            instrument_code=a.instrument,
            item_number=definitions.get(a.instrument).suicide_item,
            items=list(a.items),
        )
        is not None
        for a in assessments
    )
    return SelfReport(assessments=assessments, created=False, crisis=crisis)



# ---------------------------------------------------------------------------------------------------------------
# Pages: the caseload, a patient's record and the outcomes. Built on the same selectors the API reads.
# ---------------------------------------------------------------------------------------------------------------

CATEGORIES = ("partial_response", "improving", "response", "remission", "too_early", "no_baseline", "no_phase")
CASELOAD_SORTS = ("attention", "name", "external_id", "latest", "improvement", "next_due", "week")


@dataclass(frozen=True)
class CaseloadRow:
    """One patient on the caseload: their summary (as the API's) and their open flags, most severe first."""

    patient: Patient
    summary: Summary
    flags: list[Flag]

    @property
    def result(self) -> engine.PhaseSummary | None:
        return self.summary.result

    @property
    def category(self) -> str:
        return self.summary.result.category if self.summary.result else "no_phase"

    @property
    def latest_point(self) -> engine.PointView | None:
        """The latest score of the phase; the baseline while it is the only one."""
        r = self.summary.result
        return (r.latest or r.baseline) if r else None

    @property
    def due(self) -> bool:
        return bool(self.summary.result and self.summary.result.due)

    @property
    def overdue(self) -> bool:
        return bool(self.summary.result and self.summary.result.overdue)

    @property
    def suicide_risk(self) -> bool:
        return any(f.kind == "suicide_risk" for f in self.flags)

    @property
    def escalated_to_nobody(self) -> bool:
        """An open urgent flag whose escalation found no care manager and no on-call address (issue 14)."""
        return any(f.escalated_to_nobody for f in self.flags)

    @property
    def flag_kinds(self) -> list[tuple[Flag, int]]:
        """Each kind of open flag once (most severe first), with how many of that kind are open."""
        counts: dict[str, int] = defaultdict(int)
        for f in self.flags:
            counts[f.kind] += 1
        first: dict[str, Flag] = {}
        for f in self.flags:
            first.setdefault(f.kind, f)
        return [(f, counts[kind]) for kind, f in first.items()]


CASELOAD_PAGE_SIZE = 50


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]  # one page of the filtered, sorted caseload
    total: int  # patients on the caseload before filtering
    counts: dict[str, int]  # flagged, suicide_risk, due, overdue over the whole caseload
    urgent: list[CaseloadRow]  # patients with an open suicide-risk flag, whatever the filters
    matching: int = 0  # patients matching the filters, on every page
    page: int = 1
    pages: int = 1
    page_size: int = CASELOAD_PAGE_SIZE

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _due_now(today: date) -> Case:
    """Due today, from the stored status: the engine's answer of its day, or the due date reached since."""
    return Case(
        When(status_row__computed_on__gte=today, then=F("status_row__due")),
        When(Q(status_row__due=True) | Q(status_row__next_due_on__lte=today), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _overdue_now(today: date) -> Case:
    return Case(
        When(status_row__computed_on__gte=today, then=F("status_row__overdue")),
        When(Q(status_row__overdue=True) | Q(status_row__overdue_on__lte=today), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _caseload_order(sort: str, descending: bool) -> list[OrderBy]:
    """SQL ordering of the caseload; `descending` reverses every key (missing values then come first)."""
    name = [(Lower("display_name"), True), (F("id"), True)]
    keys: list[tuple[Any, bool]]
    if sort == "name":
        keys = name
    elif sort == "external_id":
        keys = [(Lower("external_id"), True), (F("id"), True)]
    elif sort == "latest":  # highest score first; no score last
        keys = [(F("status_row__latest_total"), False), *name]
    elif sort == "improvement":  # least improved first: those are the decisions to make
        keys = [(F("status_row__improvement_pct"), True), *name]
    elif sort == "next_due":
        keys = [(F("status_row__next_due_on"), True), *name]
    elif sort == "week":  # the longest-running phase first
        keys = [(F("status_row__phase_started_on"), True), *name]
    else:  # attention: suicide risk, then the most severe open flag, then overdue, then due, then name
        keys = [(F("suicide_now"), False), (F("severity_now"), True), (F("overdue_now"), False),
                (F("due_now"), False), *name]
    order = []
    for expression, ascending in keys:
        up = ascending != descending
        nulls = {"nulls_first": True} if descending else {"nulls_last": True}
        order.append(expression.asc(**nulls) if up else expression.desc(**nulls))
    return order


def _caseload_row(patient: Patient, today: date, flags: list[Flag]) -> CaseloadRow:
    """A caseload row from the patient's stored status, with what moves with the date derived for `today`."""
    from dataclasses import replace

    from reassessment.models import PatientStatus, decode_summary

    status: PatientStatus | None = getattr(patient, "status_row", None)
    if status is None:  # never refreshed yet: a new patient, no phase, no flag
        summary = Summary(instrument=patient.primary_instrument, phase=None, result=None)
        return CaseloadRow(patient=patient, summary=summary, flags=flags)
    stored = decode_summary(status.summary) if status.summary else {}
    assert isinstance(stored, dict)
    result = stored.get("result")
    if isinstance(result, engine.PhaseSummary) and status.phase_started_on is not None:
        fresh = status.computed_on >= today
        result = replace(
            result,
            week=(today - status.phase_started_on).days // 7 + 1,
            due=status.due if fresh else status.due or (status.next_due_on is not None and today >= status.next_due_on),
            overdue=status.overdue
            if fresh
            else status.overdue or (status.overdue_on is not None and today >= status.overdue_on),
        )
    else:
        result = None
    recommended = stored.get("recommended")
    course_baseline = stored.get("course_baseline")
    summary = Summary(
        instrument=status.instrument,
        phase=status.phase if result is not None else None,
        result=result,
        recommended=recommended if isinstance(recommended, engine.StartRecommendation) else None,
        course_baseline=course_baseline if isinstance(course_baseline, engine.ScorePoint) else None,
    )
    return CaseloadRow(patient=patient, summary=summary, flags=flags)


def caseload(
    user: Any,
    today: date,
    *,
    search: str = "",
    flagged: bool = False,
    due: bool = False,
    overdue: bool = False,
    modality: str = "",
    category: str = "",
    flag_kind: str = "",
    sort: str = "attention",
    descending: bool = False,
    patient_ids: Collection[int] | None = None,
    page: int = 1,
    page_size: int = CASELOAD_PAGE_SIZE,
) -> Caseload:
    """One page of the user's active patients, read from their stored statuses: five queries whatever their number.

    Search (name or external id), the filters and the sort run in the database over the whole caseload; the counts
    are over the whole caseload; the page's rows and the urgent list carry their open flags (one query).
    """
    base = (
        visible_patients(user)
        .filter(active=True)
        .annotate(
            due_now=_due_now(today),
            overdue_now=_overdue_now(today),
            suicide_now=Coalesce(F("status_row__suicide_risk"), Value(False)),
            severity_now=Coalesce(F("status_row__top_severity"), Value(len(SEVERITY_RANK))),
            flags_now=Coalesce(F("status_row__open_flags"), Value(0)),
            category_now=Coalesce(F("status_row__category"), Value("no_phase")),
        )
    )
    counts = base.aggregate(
        total=Count("id"),
        flagged=Count("id", filter=Q(flags_now__gt=0)),
        suicide_risk=Count("id", filter=Q(suicide_now=True)),
        due=Count("id", filter=Q(due_now=True)),
        overdue=Count("id", filter=Q(overdue_now=True)),
    )
    total = counts.pop("total")
    rows = base
    needle = search.strip()
    if needle:
        rows = rows.filter(Q(display_name__icontains=needle) | Q(external_id__icontains=needle))
    if patient_ids is not None:  # the patients behind an outcomes figure
        rows = rows.filter(id__in=list(patient_ids))
    if flagged:
        rows = rows.filter(flags_now__gt=0)
    if due:
        rows = rows.filter(due_now=True)
    if overdue:
        rows = rows.filter(overdue_now=True)
    if modality:
        rows = rows.filter(status_row__modality=modality, status_row__phase__isnull=False)
    if category:
        rows = rows.filter(category_now=category)
    if flag_kind:  # DESIGN §2b: the caseload filters by any kind of open flag
        open_of_kind = Flag.objects.filter(patient=OuterRef("pk"), kind=flag_kind, status=FlagStatus.OPEN)
        rows = rows.filter(Exists(open_of_kind))
    narrowed = (
        needle or flagged or due or overdue or modality or category or flag_kind or patient_ids is not None
    )
    matching = rows.count() if narrowed else total
    pages = max(1, -(-matching // page_size))
    page = min(max(1, page), pages)
    sort = sort if sort in CASELOAD_SORTS else "attention"
    related = ("status_row", "status_row__phase")
    page_patients = list(
        rows.select_related(*related).order_by(*_caseload_order(sort, descending))[
            (page - 1) * page_size : page * page_size
        ]
    )
    urgent_patients = (
        list(base.filter(suicide_now=True).select_related(*related).order_by(Lower("display_name"), "id"))
        if counts["suicide_risk"]
        else []
    )
    flags = open_flags_by_patient({p.id for p in page_patients} | {p.id for p in urgent_patients})
    return Caseload(
        rows=[_caseload_row(p, today, flags.get(p.id, [])) for p in page_patients],
        total=total,
        counts=counts,
        urgent=[_caseload_row(p, today, flags.get(p.id, [])) for p in urgent_patients],
        matching=matching,
        page=page,
        pages=pages,
        page_size=page_size,
    )


@dataclass(frozen=True)
class PatientRecord:
    """Everything the patient page shows, read through the care-team selectors."""

    patient: Patient
    summary: Summary
    assessments: list[Assessment]  # oldest first, every instrument, every one ever recorded
    counted: list[Assessment]  # those that count (Assessment.objects.in_effect()): what the charts draw
    phases: list[TreatmentPhase]  # newest first
    charted_phases: list[TreatmentPhase]  # those the charts can place (TreatmentPhase.objects.in_effect())
    medications: list[Any]  # active first
    flags: list[Flag]  # open first, then newest first


def patient_record(user: Any, patient_id: object, today: date) -> PatientRecord:
    """One patient of the user's care teams (Http404 otherwise) with everything the patient page shows."""
    from instruments.selectors import visible_assessments
    from patients.selectors import medications_of, phases_of, visible_patient

    patient = visible_patient(user, patient_id)
    flags = list(
        visible_flags(user)
        .filter(patient=patient)
        .select_related("assessment", "acknowledged_by")
        .order_by("-created_at", "-id")
    )
    status_rank = {FlagStatus.OPEN: 0, FlagStatus.ACKNOWLEDGED: 1, FlagStatus.RESOLVED: 2}
    flags.sort(key=lambda f: (status_rank.get(f.status, 3), SEVERITY_RANK[f.severity]))
    everything = list(visible_assessments(user).filter(patient=patient).with_in_effect())
    phases = list(phases_of(patient).with_in_effect().select_related("created_by"))
    return PatientRecord(
        patient=patient,
        summary=patient_summary(patient, today),
        assessments=everything,
        counted=[a for a in everything if a.in_effect],
        phases=phases,
        charted_phases=[p for p in phases if p.in_effect],
        medications=list(medications_of(patient, today)),
        flags=flags,
    )


# ---------------------------------------------------------------------------------------------------------------
# The patient's decision aid (/r/<token>/options/): what the page needs to know of the link's patient, and no more
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestScore:
    instrument: str
    total: int
    max_total: int
    severity: str
    day: date


@dataclass(frozen=True)
class OptionsFacts:
    """The link's patient as the decision aid sees them: a suggestion, a score, and which safety texts apply."""

    recommended: engine.StartRecommendation | None
    latest: LatestScore | None
    crisis: bool  # the latest submission had a positive suicide item: the crisis text comes first
    under_25: bool
    on_antidepressant: bool
    on_any_medication: bool


def options_facts(patient: Patient, today: date) -> OptionsFacts:
    """What the decision aid shows the link's patient (never another's): a few queries, whatever their record."""
    from patients.selectors import medications_in_effect

    summary = patient_summary(patient, today)
    scored = (
        Assessment.objects.in_effect()
        .filter(patient=patient, administered_on__lte=today)
        .order_by("-administered_at", "-id")
    )
    primary = scored.filter(instrument=summary.instrument).first()
    latest = None
    if primary is not None:
        latest = LatestScore(
            instrument=primary.instrument,
            total=primary.total,
            max_total=definitions.get(primary.instrument).max_total,
            severity=primary.severity,
            day=primary.administered_on,
        )
    newest = scored.first()
    crisis = False
    if newest is not None:
        item = definitions.get(newest.instrument).suicide_item
        crisis = item is not None and len(newest.items) >= item and newest.items[item - 1] >= 1
    medications = list(medications_in_effect(patient, today).values_list("drug_class", flat=True))
    age = engine.age_on(patient.birth_date, today) if patient.birth_date is not None else None
    return OptionsFacts(
        recommended=summary.recommended,
        latest=latest,
        crisis=crisis,
        under_25=age is not None and age < rules().young_age_years,
        on_antidepressant=any(c in engine.ANTIDEPRESSANT_CLASSES for c in medications),
        on_any_medication=bool(medications),
    )
