"""Writes of the checks: submissions with their safety check, evaluation, the sweep, flags, links and reminders."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from instruments import definitions, scoring
from instruments.models import Assessment
from instruments.services import SubmissionConflict, mark_entered_in_error, record_assessment, same_content
from patients.models import AuditEvent, Medication, Patient, TreatmentPhase
from patients.services import (
    add_medication,
    change_medication_dose,
    record_audit,
    start_phase,
    update_medication,
    update_patient,
)
from reassessment import engine, notifications, selectors
from reassessment.models import (
    SEVERITY_RANK,
    Flag,
    FlagKind,
    FlagSeverity,
    FlagStatus,
    PatientStatus,
    Recommendation,
    Reminder,
    SelfReportLink,
    SweepChunk,
    SweepRun,
    encode_summary,
)
from reassessment.selectors import (
    SelfReport,
    Summary,
    active_phase_facts,
    course_medications,
    rules,
    score_points,
    summaries,
    summary_of_facts,
    sweep_ranges,
)

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Submission:
    assessment: Assessment
    created: bool
    suicide_flag: Flag | None


@dataclass
class Counts:
    """What one evaluation or sweep raised: printed by run_reassessment and returned by the tasks."""

    phases: int = 0
    flags: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reminders: int = 0
    resolved: int = 0

    def add(self, other: Counts) -> None:
        self.phases += other.phases
        for kind, n in other.flags.items():
            self.flags[kind] += n
        self.reminders += other.reminders
        self.resolved += other.resolved

    def as_dict(self) -> dict[str, Any]:
        return {
            "phases": self.phases,
            "flags": dict(self.flags),
            "reminders": self.reminders,
            "resolved": self.resolved,
        }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enqueue(task_name: str, *args: int, recovery: str) -> None:
    """Queue a task (after commit); a broker outage is logged, not raised, saying what delivers the work anyway."""
    from reassessment import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception as exc:  # kombu raises OperationalError and friends; none of them may fail saved work
        log.warning("could not queue %s%s (%s); %s", task_name, args, type(exc).__name__, recovery)


def enqueue_evaluation(patient_id: int) -> None:
    enqueue("evaluate_patient", patient_id, recovery="the sweep will catch up")


def raise_flag(finding: engine.Finding, *, now: datetime | None = None) -> tuple[Flag, bool]:
    """One flag, idempotent on its dedupe_key (the unique constraint decides, not a prior read)."""
    created = insert_flags([finding], now=now or timezone.now())
    return Flag.objects.get(dedupe_key=finding.dedupe_key), bool(created)


@transaction.atomic
def submit_assessment(
    *,
    patient: Patient,
    instrument: str,
    items: object,
    administered_at: object,
    source: str,
    entered_by: Any = None,
    client_id: str | None = None,
    difficulty: object = None,
    now: datetime | None = None,
    evaluate: bool = True,
) -> Submission:
    """Record an assessment and, in the same transaction, raise its suicide flag; evaluate after commit.

    A bulk import passes evaluate=False and queues one evaluation per patient itself, not one per row.
    """
    assessment, created = record_assessment(
        patient=patient,
        instrument=instrument,
        items=items,
        administered_at=administered_at,
        source=source,
        entered_by=entered_by,
        client_id=client_id,
        difficulty=difficulty,
        now=now,
    )
    definition = definitions.get(assessment.instrument)
    finding = engine.suicide_finding(
        patient_id=patient.id,
        assessment_id=assessment.id,
        instrument_code=definition.code,
        item_number=definition.suicide_item,
        items=assessment.items,
        phase_id=_active_phase_id(patient) if definition.suicide_item is not None else None,
    )
    flag = raise_flag(finding)[0] if finding is not None else None
    if created:
        action = AuditEvent.Action.SUBMIT if source == "self_report" else AuditEvent.Action.CREATE
        record_audit(
            user=entered_by, action=action, what="assessment", patient_ids=[patient.id], object_id=assessment.id
        )
        if evaluate:  # a bulk import refreshes through the one evaluation per patient it queues
            # The caseload shows the new score (and any suicide flag) at once; the queued check adds what it finds.
            refresh_statuses(patient_ids=[patient.id])
            transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return Submission(assessment=assessment, created=created, suicide_flag=flag)


@dataclass(frozen=True)
class Answers:
    """One instrument's answers in a self-report submission (a link may carry several instruments)."""

    instrument: str
    items: object
    difficulty: object = None


class LinkAlreadyUsed(SubmissionConflict):
    """A second submission through a link that has taken its one (DESIGN §2)."""


LINK_USED = "These answers were already sent through this link; nothing new was saved. Thank you."
ANSWERS_CHANGED = (
    "Answers were already sent from this form; these changed answers were not saved. If something has changed, "
    "please tell your care team."
)


@transaction.atomic
def submit_self_report(
    *, link: SelfReportLink, answers: Sequence[Answers], client_id: str | None = None, now: datetime | None = None
) -> SelfReport:
    """A patient's one submission through their link (all its instruments at once), dated now.

    The link is claimed by a conditional update in the same transaction as the assessments, so two submissions racing
    save one. Again with the same client_id and the same answers (a double tap, a retry after a lost response) it
    returns the first; anything else is LinkAlreadyUsed, or SubmissionConflict when the same form sent other answers.
    """
    now = now or timezone.now()
    if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= 64):
        raise ValidationError({"client_id": ["Enter a text of 1 to 64 characters."]})
    expected = selectors.link_instruments(link)
    given = [a.instrument for a in answers]
    if sorted(given) != sorted(expected):
        raise ValidationError({"instrument": [f"This link takes answers to {', '.join(expected)}, each once."]})
    claimed = SelfReportLink.objects.filter(pk=link.pk, submitted_at__isnull=True).update(
        submitted_at=now, last_used_at=now, client_id=client_id or ""
    )
    if not claimed:
        return _repeated_self_report(link, answers, client_id)
    assessments: list[Assessment] = []
    crisis = False
    for a in answers:
        # The link, not the assessment, carries the client_id: a link takes one submission, whatever its instruments.
        submission = submit_assessment(
            patient=link.patient,
            instrument=a.instrument,
            items=a.items,
            administered_at=now,
            source="self_report",
            difficulty=a.difficulty,
            now=now,
        )
        assessments.append(submission.assessment)
        crisis = crisis or submission.suicide_flag is not None
    link.assessments.add(*assessments)
    return SelfReport(assessments=assessments, created=True, crisis=crisis)


def _repeated_self_report(link: SelfReportLink, answers: Sequence[Answers], client_id: str | None) -> SelfReport:
    sent = selectors.sent_self_report(SelfReportLink.objects.get(pk=link.pk))
    assert sent is not None  # the link was claimed: its submission is recorded
    stored_client_id = SelfReportLink.objects.values_list("client_id", flat=True).get(pk=link.pk)
    if not client_id or client_id != stored_client_id:
        raise LinkAlreadyUsed({"link": [LINK_USED]})
    by_instrument = {a.instrument: a for a in sent.assessments}
    for a in answers:
        definition = definitions.REGISTRY[a.instrument]
        try:
            items = scoring.check_items(definition, a.items)
            difficulty = scoring.check_extra(definition, "difficulty", a.difficulty)
        except scoring.AnswersError:
            raise SubmissionConflict({"client_id": [ANSWERS_CHANGED]}) from None
        first = by_instrument.get(a.instrument)
        if first is None or not same_content(
            first, instrument=a.instrument, items=items, difficulty=difficulty, administered_at=None
        ):
            raise SubmissionConflict({"client_id": [ANSWERS_CHANGED]})
    return sent


@transaction.atomic
def mark_assessment_entered_in_error(*, assessment: Assessment, by: Any, reason: object) -> Assessment:
    """Mark an assessment entered in error and re-evaluate its patient without it, after commit.

    Its suicide flag (if any) stays as it is: a clinician resolves it; the other checks no longer see the score.
    """
    marked = mark_entered_in_error(assessment=assessment, by=by, reason=reason)
    refresh_statuses(patient_ids=[marked.patient_id])  # the caseload's stored row, in the same transaction
    transaction.on_commit(lambda: enqueue_evaluation(marked.patient_id))
    return marked


@transaction.atomic
def change_phase(
    *,
    patient: Patient,
    by: Any,
    modality: str,
    stage: str,
    started_on: date,
    therapy: str = "",
    notes: str = "",
    from_flag: Flag | None = None,
) -> TreatmentPhase:
    """Start a new treatment phase (ending the active one) and re-evaluate the patient after commit.

    `from_flag`: the phase follows that flag's recommendation ("Start a combined phase..."); the flag, open or
    acknowledged, is resolved in the same transaction with a note naming the new phase (DESIGN §2).
    """
    if from_flag is not None and from_flag.patient_id != patient.id:
        raise ValidationError({"from_flag": ["This flag is not this patient's."]})
    phase = start_phase(
        patient=patient, by=by, modality=modality, stage=stage, started_on=started_on, therapy=therapy, notes=notes
    )
    refresh_statuses(patient_ids=[patient.id])
    if from_flag is not None:
        note = f"{phase.get_modality_display()} phase started on {phase.started_on.isoformat()} (phase #{phase.id})."
        _resolve(flag=from_flag, by=by, note=note, quiet=True)
    transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return phase


@transaction.atomic
def change_patient(*, patient: Patient, by: Any, changes: dict[str, Any]) -> Patient:
    """Change a patient's record fields; the checks re-run for the patient (DESIGN §3: PATCH /patients/{id}/)."""
    patient = update_patient(patient=patient, by=by, changes=changes)
    # A new diagnosis (bipolar) or episode count changes the medication checks: run them now, like a medication save.
    course_medication_flags(patient=patient, today=timezone.localdate())
    refresh_statuses(patient_ids=[patient.id])
    transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return patient


def _active_phase_id(patient: Patient) -> int | None:
    return TreatmentPhase.objects.filter(patient=patient, ended_on__isnull=True).values_list("id", flat=True).first()


def _active_serotonergic(patient_ids: Iterable[int] | None, day: date) -> Iterable[engine.MedicationFacts]:
    """Serotonergic medications that may be in effect on `day`: started by then, stopped at most the longest
    washout before it (the engine decides per pair)."""
    current = rules()
    longest = timedelta(days=max(current.fluoxetine_washout_days, current.mao_washout_days))
    meds = Medication.objects.filter(serotonergic=True, started_on__lte=day, patient__active=True).filter(
        Q(stopped_on__isnull=True) | Q(stopped_on__gte=day - longest)
    )
    wanted = set(patient_ids) if patient_ids is not None else None
    if wanted is not None:
        meds = meds.filter(selectors.among("patient_id", wanted))
    rows = meds.order_by("patient_id", "id").values_list(
        "id", "patient_id", "started_on", "stopped_on", "name", "drug_class"
    )
    for mid, pid, started_on, stopped_on, name, drug_class in rows.iterator(chunk_size=5000):
        if wanted is not None and pid not in wanted:
            continue
        yield engine.MedicationFacts(
            medication_id=mid,
            patient_id=pid,
            serotonergic=True,
            started_on=started_on,
            stopped_on=stopped_on,
            name=name,
            drug_class=drug_class,
        )


def check_bipolar(*, day: date, patient_ids: Iterable[int]) -> Counts:
    """DESIGN §2b bipolar_antidepressant for the given patients on `day`: two queries whatever their number."""
    bipolar = Patient.objects.filter(pk__in=list(patient_ids), diagnosis__startswith="F31")
    ids = list(bipolar.values_list("id", "diagnosis"))
    if not ids:
        return Counts()
    medications = course_medications((pid for pid, _ in ids), taken_on=day)
    findings = [
        finding
        for pid, diagnosis in ids
        for finding in engine.bipolar_findings(
            patient_id=pid, diagnosis=diagnosis, medications=medications.get(pid, []), day=day
        )
    ]
    return _persist(findings, now=timezone.now())


def check_serotonergic(*, day: date, patient_ids: Iterable[int] | None = None) -> Counts:
    """Raise serotonergic_combination flags for every pair in effect on `day` (all patients when None)."""
    counts = Counts()
    current = rules()
    batch: list[engine.Finding] = []
    group: list[engine.MedicationFacts] = []
    for med in _active_serotonergic(patient_ids, day):
        if group and group[0].patient_id != med.patient_id:
            batch.extend(engine.serotonergic_findings(group, day, current))
            group = []
        group.append(med)
        if len(batch) >= 1000:
            counts.add(_persist(batch, now=timezone.now()))
            batch = []
    batch.extend(engine.serotonergic_findings(group, day, current))
    counts.add(_persist(batch, now=timezone.now()))
    return counts


@transaction.atomic
def record_medication(
    *,
    patient: Patient,
    by: Any,
    name: str,
    drug_class: str,
    started_on: date,
    serotonergic: bool | None = None,
    dose: str = "",
    stopped_on: date | None = None,
    today: date | None = None,
) -> tuple[Medication, list[Flag]]:
    """Record a medication and check, synchronously for today, for two serotonergic drugs at once."""
    medication = add_medication(
        patient=patient,
        by=by,
        name=name,
        drug_class=drug_class,
        started_on=started_on,
        serotonergic=serotonergic,
        dose=dose,
        stopped_on=stopped_on,
    )
    today = today or timezone.localdate()
    # An antidepressant start changes the interval in force (DESIGN §2): re-evaluate after commit.
    transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return medication, check_medications(patient=patient, today=today)


@transaction.atomic
def change_medication(
    *,
    medication: Medication,
    by: Any,
    stopped_on: date | None = None,
    dose: str | None = None,
    today: date | None = None,
) -> tuple[Medication, list[Flag]]:
    """Stop a medication and/or correct its dose; the medication checks re-run synchronously for today."""
    today = today or timezone.localdate()
    medication = update_medication(medication=medication, by=by, stopped_on=stopped_on, dose=dose, today=today)
    patient = medication.patient
    transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return medication, check_medications(patient=patient, today=today)


@transaction.atomic
def change_dose(
    *, medication: Medication, by: Any, dose: str, on: date, today: date | None = None
) -> tuple[Medication, list[Flag]]:
    """A dose change (a new row of the same drug from `on`); the medication checks re-run synchronously for today,
    and the patient is re-evaluated after commit (a new antidepressant row restarts weekly monitoring under 25)."""
    today = today or timezone.localdate()
    new = change_medication_dose(medication=medication, by=by, dose=dose, on=on, today=today)
    patient = new.patient
    transaction.on_commit(lambda: enqueue_evaluation(patient.id))
    return new, check_medications(patient=patient, today=today)


def check_medications(*, patient: Patient, today: date) -> list[Flag]:
    """The medication checks of one patient for today, synchronously (a medication saved, stopped or changed);
    then the patient's stored status (a medication can change the interval in force and the open flags)."""
    findings = engine.serotonergic_findings(list(_active_serotonergic([patient.id], today)), today, rules())
    flags = [raise_flag(f)[0] for f in findings]
    flags.extend(course_medication_flags(patient=patient, today=today))
    refresh_statuses(patient_ids=[patient.id])
    return flags


def course_medication_flags(*, patient: Patient, today: date) -> list[Flag]:
    """DESIGN §2b checks a medication change calls for, synchronously for today: an antidepressant in bipolar
    disorder, and the course flags that read medications (early discontinuation, treatment resistance)."""
    current = rules()
    medications = course_medications([patient.id]).get(patient.id, [])
    findings = engine.bipolar_findings(
        patient_id=patient.id, diagnosis=patient.diagnosis, medications=medications, day=today
    )
    facts = active_phase_facts(active_phases().filter(patient_id=patient.id), today)
    points = score_points(facts)
    for f in facts:
        scores = points.get(f.patient_id, [])
        course = tuple(s for s in engine.course_scores(f, scores, current) if s.day <= today)
        findings.extend(engine.early_discontinuation(f, course, medications, today, current))
        findings.extend(
            engine.treatment_resistant(
                f, course, engine.course_baseline(f, course, current), medications, today, current
            )
        )
    return [raise_flag(finding)[0] for finding in findings]


_FLAG_COLUMNS = ("patient", "phase", "assessment", "kind", "severity", "recommendation", "evidence", "dedupe_key")


def insert_flags(findings: Sequence[engine.Finding], *, now: datetime) -> list[notifications.NewFlag]:
    """THE one way a flag row is written (raise_flag, the on-submit check, the sweep, and every new kind use it).

    One INSERT ... SELECT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING on PostgreSQL and SQLite alike, reading
    the rows from one JSON document (_select_json_rows): no read before the write, no model instance per flag (the
    first sweep of a large caseload inserts tens of thousands), and what it returns is what the database inserted,
    so two sweeps racing never report (or notify) a flag twice. In the same transaction it queues the notification
    emails of the flags inserted (urgent: the whole care team; high: those who asked), so no path can forget them.
    Returns the flags inserted.
    """
    if not findings:
        return []
    meta = Flag._meta
    q = connection.ops.quote_name
    columns = [q(meta.get_field(name).column) for name in (*_FLAG_COLUMNS, "status", "note", "created_at")]
    returning = [q(meta.get_field(name).column) for name in ("id", "patient", "severity", "kind")]
    source = _select_json_rows(Flag, _FLAG_COLUMNS, "%s", "''", "%s")  # status, note, created_at
    query = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({q(meta.get_field('dedupe_key').column)}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    rows = [
        dict(zip(_FLAG_COLUMNS, (f.patient_id, f.phase_id, f.assessment_id, f.kind, f.severity, f.recommendation,
                                 dict(f.evidence), f.dedupe_key), strict=True))
        for f in findings
    ]
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(query, [FlagStatus.OPEN.value, connection.ops.adapt_datetimefield_value(now),
                                   _json_rows(Flag, _FLAG_COLUMNS, rows)])
            created = [notifications.NewFlag(*row) for row in cursor.fetchall()]
        notifications.queue_flag_alerts(created)
    return created


def _select_json_rows(model: Any, names: Sequence[str], *extra: str) -> str:
    """`SELECT <the named fields' columns>, <extra> FROM <one JSON document of rows>`: the document is the statement's
    last parameter (built by _json_rows), after any the `extra` expressions take. jsonb_to_recordset on PostgreSQL,
    json_each on SQLite: one statement however many rows, where Django's bulk writes send one text array per column
    on PostgreSQL (escaping every quote of a JSON column's values: 20 s per 100,000 status rows) and one statement
    per 999 parameters on SQLite. Only the model's own column names and types are formatted in."""
    q = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    tail = "".join(f", {e}" for e in extra)
    if connection.vendor == "postgresql":
        columns = ", ".join(q(f.column) for f in fields)
        record = ", ".join(f"{q(f.column)} {f.db_type(connection)}" for f in fields)
        return f"SELECT {columns}{tail} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"  # noqa: S608
    # SQLite keeps dates as ISO text, booleans as 0/1 and JSON as text: what json_extract returns. WHERE true:
    # SQLite's rule for an upsert after a SELECT.
    values = ", ".join(f"json_extract(value, '$.{f.column}')" for f in fields)
    return f"SELECT {values}{tail} FROM json_each(%s) WHERE true"  # noqa: S608


def _json_rows(model: Any, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The JSON document _select_json_rows reads: each row's values (by field name or attname) under their columns."""
    columns = [(name, model._meta.get_field(name).column) for name in names]
    return json.dumps([{column: row[name] for name, column in columns} for row in rows], default=str)


def _new_flag_findings(findings: Sequence[engine.Finding]) -> list[engine.Finding]:
    """The findings whose flag does not exist yet: one read of the dedupe keys of these patients' flags.

    The steady state (tomorrow's sweep, with nothing new) then writes nothing instead of re-sending every flag to the
    database. The read is an optimisation, not the guard: the insert still skips a key raised in between (a race
    with another sweep or an on-submit check), since the unique dedupe_key decides.
    """
    if not findings:
        return []
    existing = set(  # keys of other patients in the range are harmless: they match none of these findings
        Flag.objects.filter(selectors.among("patient_id", (f.patient_id for f in findings)))
        .order_by()
        .values_list("dedupe_key", flat=True)
    )
    new: dict[str, engine.Finding] = {}
    for f in findings:
        if f.dedupe_key not in existing:
            new.setdefault(f.dedupe_key, f)
    return list(new.values())


def _persist(
    findings: Sequence[engine.Finding],
    *,
    active: Mapping[int, engine.PhaseSummary | None] | None = None,
    now: datetime,
) -> Counts:
    """Insert new flags and reminders (ignore_conflicts on dedupe_key) and resolve overdue flags whose gap closed.

    `active` maps each patient fully evaluated here to their active phase's summary today (None without one):
    their open overdue flags resolve as the engine says (a score after the anchor, or the phase ended).
    A bounded number of queries whatever the number of findings.
    """
    counts = Counts()
    flag_findings = _new_flag_findings([f for f in findings if not f.is_reminder])
    reminder_findings = [f for f in findings if f.is_reminder]
    for flag in insert_flags(flag_findings, now=now):
        counts.flags[flag.kind] += 1
    if reminder_findings:
        # At most one reminder per patient in any 7 days, whatever the key says (a phase change moves the key).
        gap = timedelta(days=rules().reminder_gap_days)
        recent = set(
            Reminder.objects.filter(
                patient_id__in=[f.patient_id for f in reminder_findings], created_at__gt=now - gap
            ).values_list("patient_id", flat=True)
        )
        fresh = [f for f in reminder_findings if f.patient_id not in recent]
        if fresh:
            known = set(
                Reminder.objects.filter(dedupe_key__in=[f.dedupe_key for f in fresh]).values_list(
                    "dedupe_key", flat=True
                )
            )
            fresh = [f for f in fresh if f.dedupe_key not in known]
        if fresh:
            Reminder.objects.bulk_create(
                [
                    Reminder(
                        patient_id=f.patient_id,
                        phase_id=f.phase_id,
                        due_on=date.fromisoformat(str(f.evidence["next_due_on"])),
                        dedupe_key=f.dedupe_key,
                    )
                    for f in fresh
                ],
                ignore_conflicts=True,
            )
            counts.reminders += len(fresh)
    if active:
        counts.resolved += _resolve_overdue(active, now)
    return counts


def _resolve_overdue(active: Mapping[int, engine.PhaseSummary | None], now: datetime) -> int:
    """Resolve the open overdue flags of these patients that the engine says are over: one read, one update."""
    open_flags = Flag.objects.filter(
        selectors.among("patient_id", active),
        kind=FlagKind.REASSESSMENT_OVERDUE,
        status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED],
    ).values_list("id", "patient_id", "phase_id", "evidence")
    over = [
        flag_id
        for flag_id, patient_id, phase_id, evidence in open_flags
        if patient_id in active
        and engine.overdue_resolved(
            flag_phase_id=phase_id,
            flag_anchor_on=date.fromisoformat(evidence["anchor_date"]),
            active=active[patient_id],
        )
    ]
    if not over:
        return 0
    return Flag.objects.filter(
        pk__in=over, status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]
    ).update(status=FlagStatus.RESOLVED, resolved_at=now)


def evaluate_facts(
    facts: Sequence[engine.PhaseFacts],
    today: date,
    *,
    now: datetime | None = None,
    summaries: dict[int, Summary] | None = None,
) -> Counts:
    """Run the engine over loaded phase facts and persist what it finds (the shared core of task and sweep).

    With `summaries`, also fills it with each patient's summary read from the same facts and scores, for
    refresh_statuses (so the sweep reads every score once).
    """
    now = now or timezone.now()
    points = score_points(facts)
    current = rules()
    findings: list[engine.Finding] = []
    active: dict[int, engine.PhaseSummary | None] = {}
    medications = course_medications(f.patient_id for f in facts)  # DESIGN §2b: one query per batch
    for f in facts:
        scores = points.get(f.patient_id, [])
        evaluation = engine.evaluate_phase(f, scores, today, current)
        findings.extend(evaluation.findings)
        findings.extend(engine.course_findings(f, scores, medications.get(f.patient_id, []), today, current))
        active[f.patient_id] = evaluation.summary
        if summaries is not None:
            summaries[f.patient_id] = summary_of_facts(f, scores, today, current, result=evaluation.summary)
    counts = _persist(findings, active=active, now=now)
    counts.phases += len(facts)
    return counts


_STATUS_FIELDS = (
    "computed_on", "instrument", "phase_id", "modality", "stage", "phase_started_on", "category", "latest_total",
    "improvement_pct", "next_due_on", "overdue_on", "due", "overdue", "open_flags", "top_severity", "suicide_risk",
    "summary",
)


def _status_digest(summary: Summary, flags: list[tuple[str, str, int]]) -> str:
    """MD5 of everything a status row is computed from but its day: equal digests, equal rows but for computed_on.
    What moves with the date (week, due, overdue, the interval in force) is in the engine's result, so it is in the
    digest. The repr of the engine's frozen dataclasses is their field values, in order: five times cheaper than
    encoding the row, which only a changed row needs."""
    phase = summary.phase
    where = (phase.id, phase.modality, phase.stage, phase.started_on) if phase is not None else None
    key = repr((summary.instrument, where, summary.result, summary.recommended, summary.course_baseline,
                sorted(flags)))
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def _status_values(patient_id: int, summary: Summary, flags: list[tuple[str, str, int]], today: date) -> dict[str, Any]:
    """A PatientStatus row's values, by field attname."""
    r = summary.result
    phase = summary.phase if r is not None else None
    point = (r.latest or r.baseline) if r is not None else None
    return {
        "patient_id": patient_id,
        "computed_on": today,
        "instrument": summary.instrument,
        "phase_id": phase.id if phase is not None else None,
        "modality": phase.modality if phase is not None else "",
        "stage": phase.stage if phase is not None else "",
        "phase_started_on": phase.started_on if phase is not None else None,
        "category": r.category if r is not None else "no_phase",
        "latest_total": point.total if point is not None else None,
        "improvement_pct": r.improvement_pct if r is not None else None,
        "next_due_on": r.next_due_on if r is not None else None,
        "overdue_on": r.next_due_on + timedelta(days=r.interval_days) if r is not None else None,
        "due": bool(r and r.due),
        "overdue": bool(r and r.overdue),
        "open_flags": sum(n for _, _, n in flags),
        "top_severity": min((SEVERITY_RANK[sev] for _, sev, _ in flags), default=len(SEVERITY_RANK)),
        "suicide_risk": any(kind == FlagKind.SUICIDE_RISK for kind, _, _ in flags),
        "summary": encode_summary(
            {"result": r, "recommended": summary.recommended, "course_baseline": summary.course_baseline}
        ),
    }


def refresh_statuses(
    *, patient_ids: Iterable[int], computed: Mapping[int, Summary] | None = None, computed_on: date | None = None
) -> int:
    """Store where each patient stands today (PatientStatus): the one writer, called by every path that changes it.

    Always as of the clinic's real today: a check run for another day (run_reassessment --today, seed_demo's
    history) never stores a view of the past. `computed`: summaries the caller already read from the same data for
    `computed_on` (the sweep), used when that is today; the others are read here with the selector the patient page
    uses. Open flags are counted in one query; only rows whose digest changed are written (one upsert), so a
    steady-state sweep reads 32 characters a patient and writes nothing. Returns the number of rows written
    (changed, or only moved on to today).
    """
    today = timezone.localdate()
    ids = sorted(set(patient_ids))
    if not ids:
        return 0
    if computed_on != today:
        computed = None
    computed = dict(computed or {})
    missing = [pid for pid in ids if pid not in computed]
    if missing:
        computed.update(summaries(list(Patient.objects.filter(id__in=missing)), today))
    which = selectors.among("patient_id", ids)
    wanted = set(ids)
    flags: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    open_rows = (
        Flag.objects.filter(which, status=FlagStatus.OPEN)
        .order_by()
        .values_list("patient_id", "kind", "severity")
        .annotate(n=Count("id"))
    )
    for pid, kind, severity, n in open_rows:
        if pid in wanted:
            flags[pid].append((kind, severity, n))
    stored = {  # other patients of the range are never looked up
        pid: (digest, on) for pid, digest, on in PatientStatus.objects.filter(which).values_list(
            "patient_id", "digest", "computed_on"
        )
    }
    changed, confirmed = [], []
    for pid in ids:
        if pid not in computed:
            continue  # no such patient
        digest = _status_digest(computed[pid], flags.get(pid, []))
        was, on = stored.get(pid, ("", None))
        if was != digest:
            changed.append({**_status_values(pid, computed[pid], flags.get(pid, []), today), "digest": digest})
        elif on is not None and on < today:
            confirmed.append(pid)
    if changed:
        _write_statuses(changed)
    if confirmed:
        # The same answer as the day it was stored: only the day it holds for moves on (the date-derived fields,
        # week, due and overdue, are in the digest, so an unchanged row is today's answer).
        _confirm_statuses(confirmed, today)
    return len(changed) + len(confirmed)


def _confirm_statuses(patient_ids: list[int], today: date) -> None:
    if connection.vendor != "postgresql":
        PatientStatus.objects.filter(patient_id__in=patient_ids).update(computed_on=today)
        return
    meta = PatientStatus._meta
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # one array parameter, not one parameter per patient
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {q('computed_on')} = %s "  # noqa: S608 -- names from the model
            f"WHERE {q(meta.get_field('patient').column)} = ANY(%s)",
            [today, patient_ids],
        )


def _write_statuses(rows: Sequence[dict[str, Any]]) -> None:
    """Upsert status rows (values by attname) in one statement that reads them from one JSON document."""
    names = ["patient_id", *_STATUS_FIELDS, "digest"]
    meta = PatientStatus._meta
    q = connection.ops.quote_name
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(q(f.column) for f in fields)
    updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in [*(f.column for f in fields[1:]), "updated_at"])
    source = _select_json_rows(PatientStatus, names, "%s")  # updated_at
    query = (
        f"INSERT INTO {q(meta.db_table)} ({columns}, {q('updated_at')}) {source} "
        f"ON CONFLICT ({q(fields[0].column)}) DO UPDATE SET {updates}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(query, [now, _json_rows(PatientStatus, names, rows)])


def active_phases() -> Any:
    return TreatmentPhase.objects.in_effect().filter(ended_on__isnull=True, patient__active=True)


@transaction.atomic
def evaluate_patient(patient_id: int, *, today: date | None = None) -> Counts:
    """The on-submit check of one patient (the Celery task calls this); then its stored status."""
    today = today or timezone.localdate()
    facts = active_phase_facts(active_phases().filter(patient_id=patient_id), today)
    computed: dict[int, Summary] = {}
    counts = evaluate_facts(facts, today, summaries=computed)
    refresh_statuses(patient_ids=[patient_id], computed=computed, computed_on=today)
    return counts


def check_patients(
    *, first_patient_id: int, last_patient_id: int, today: date, batch_size: int = 2000
) -> Counts:
    """Every check of the sweep for the active patients whose ids lie in a range: the one evaluation path.

    The active phases in keyset batches (flat memory, a fixed number of queries per batch) through evaluate_facts,
    the same code the on-submit check runs, then the medication checks of the same patients.
    """
    counts = Counts()
    last_phase_id = 0
    in_range = {"patient_id__gte": first_patient_id, "patient_id__lte": last_patient_id}
    computed: dict[int, Summary] = {}
    while True:
        facts = active_phase_facts(
            active_phases().filter(id__gt=last_phase_id, **in_range).order_by("id")[:batch_size], today
        )
        if not facts:
            break
        counts.add(evaluate_facts(facts, today, summaries=computed))
        last_phase_id = facts[-1].phase_id
    patient_ids = list(
        Patient.objects.filter(active=True, id__gte=first_patient_id, id__lte=last_patient_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if patient_ids:
        counts.add(check_serotonergic(day=today, patient_ids=patient_ids))
        counts.add(check_bipolar(day=today, patient_ids=patient_ids))
        # The date moving on: every patient's stored status is refreshed daily (only changed rows are written).
        refresh_statuses(patient_ids=patient_ids, computed=computed, computed_on=today)
    return counts


def plan_sweep(*, today: date, chunk_patients: int | None = None) -> SweepRun:
    """A sweep run and its chunks: contiguous ranges of `chunk_patients` active patients' ids (three queries).

    The default chunk (settings.MBC_SWEEP_CHUNK_PATIENTS, 2,000 patients) is about a second of work: a chunk lost
    with its worker is redone quickly, and several workers on several machines share one sweep evenly.
    """
    ranges = sweep_ranges(chunk_patients or settings.MBC_SWEEP_CHUNK_PATIENTS)
    with transaction.atomic():
        run = SweepRun.objects.create(today=today, chunks=len(ranges))
        SweepChunk.objects.bulk_create(
            [SweepChunk(run=run, first_patient_id=lo, last_patient_id=hi) for lo, hi in ranges]
        )
    if not ranges:
        SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    return run


def sweep_chunk(*, chunk_id: int, batch_size: int = 2000) -> Counts:
    """Run one chunk of a sweep; then, if it was the last one pending, mark the run finished.

    Safe to run twice or on two workers at once (a redelivered task): the flags' and reminders' keys are unique,
    and the chunk is marked done by a conditional update, so its counts are recorded once.
    """
    chunk = SweepChunk.objects.select_related("run").get(pk=chunk_id)
    with transaction.atomic():
        counts = check_patients(
            first_patient_id=chunk.first_patient_id,
            last_patient_id=chunk.last_patient_id,
            today=chunk.run.today,
            batch_size=batch_size,
        )
        SweepChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
            done_at=timezone.now(), counts=counts.as_dict()
        )
    pending = SweepChunk.objects.filter(run=OuterRef("pk"), done_at__isnull=True)
    SweepRun.objects.filter(pk=chunk.run_id, finished_at__isnull=True).exclude(Exists(pending)).update(
        finished_at=timezone.now()
    )
    return counts


def sweep(*, today: date | None = None, batch_size: int = 2000, chunk_patients: int | None = None) -> Counts:
    """The daily sweep, synchronously, chunk after chunk: the same chunks the Celery group runs on workers.

    Re-derives everything from the database, so a lost task or a missed day delays a flag but never loses it, and
    running it twice (or on two workers at once) creates nothing twice: the dedupe keys are unique.
    """
    run = plan_sweep(today=today or timezone.localdate(), chunk_patients=chunk_patients)
    counts = Counts()
    for chunk_id in run.chunk_set.order_by("first_patient_id").values_list("id", flat=True):
        counts.add(sweep_chunk(chunk_id=chunk_id, batch_size=batch_size))
    return counts


@transaction.atomic
def acknowledge_flag(*, flag: Flag, by: Any, note: str = "") -> Flag:
    """open -> acknowledged, by a clinician with an optional note; a claim by conditional update."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": ["Keep the note under 2000 characters."]})
    changed = Flag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
        status=FlagStatus.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=timezone.now(), note=note
    )
    if not changed:
        raise ValidationError({"status": [f"This flag is already {Flag.objects.get(pk=flag.pk).status}."]})
    record_audit(
        user=by, action=AuditEvent.Action.UPDATE, what="flag", patient_ids=[flag.patient_id], object_id=flag.pk
    )
    refresh_statuses(patient_ids=[flag.patient_id])
    flag.refresh_from_db()
    return flag


def _note(note: str | None, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": ["Say what worries you: a flag raised by hand needs a note."]})
    if len(note) > 2000:
        raise ValidationError({"note": ["Keep the note under 2000 characters."]})
    return note


def _resolve(*, flag: Flag, by: Any, note: str, quiet: bool = False) -> bool:
    """open or acknowledged -> resolved by a clinician, a claim by conditional update; False when already resolved
    (then `quiet` says nothing, else a 400)."""
    changed = Flag.objects.filter(pk=flag.pk, status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]).update(
        status=FlagStatus.RESOLVED,
        resolved_at=timezone.now(),
        resolved_by=by if getattr(by, "is_authenticated", False) else None,
        resolution_note=note,
    )
    if not changed and not quiet:
        raise ValidationError({"status": ["This flag is already resolved."]})
    if changed:
        record_audit(
            user=by, action=AuditEvent.Action.UPDATE, what="flag", patient_ids=[flag.patient_id], object_id=flag.pk
        )
        refresh_statuses(patient_ids=[flag.patient_id])
    return bool(changed)


@transaction.atomic
def resolve_flag(*, flag: Flag, by: Any, note: str = "") -> Flag:
    """open or acknowledged -> resolved, by a clinician with an optional note (DESIGN §2 flag lifecycle)."""
    _resolve(flag=flag, by=by, note=_note(note))
    flag.refresh_from_db()
    return flag


@transaction.atomic
def raise_concern(*, patient: Patient, by: Any, severity: str, note: str) -> Flag:
    """A flag raised by hand (`clinician_concern`): a worry no rule computes, with the severity the clinician chose
    and a note (DESIGN §2). Attached to the active phase when there is one."""
    errors: dict[str, list[str]] = {}
    if severity not in FlagSeverity.values:
        errors["severity"] = [f"Choose one of {', '.join(FlagSeverity.values)}."]
    try:
        text = _note(note, required=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    # Through the one flag writer, so an urgent or high concern alerts the care team like any other flag.
    flag, _ = raise_flag(
        engine.Finding(
            kind=FlagKind.CLINICIAN_CONCERN,
            severity=severity,
            recommendation=Recommendation.SEE_NOTE,
            dedupe_key=f"patient:{patient.id}:clinician_concern:{secrets.token_hex(8)}",
            patient_id=patient.id,
            phase_id=_active_phase_id(patient),
            evidence={"concern": text},  # kept here too: an acknowledgement's note replaces `note`
        )
    )
    Flag.objects.filter(pk=flag.pk).update(note=text, raised_by=by if getattr(by, "is_authenticated", False) else None)
    flag.refresh_from_db()
    record_audit(user=by, action=AuditEvent.Action.CREATE, what="flag", patient_ids=[patient.id], object_id=flag.id)
    refresh_statuses(patient_ids=[patient.id])
    return flag


def issue_link(
    *, patient: Patient, by: Any = None, reminder: Reminder | None = None, now: datetime | None = None
) -> tuple[SelfReportLink, str]:
    """A new self-report link; returns (link, token). The token is shown once and stored only as its hash."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)  # URL-safe base64 of 32 random bytes (256 bits)
    carried = [d.code for d in definitions.link_instruments(patient.primary_instrument, patient.link_instruments)]
    link = SelfReportLink.objects.create(
        patient=patient,
        instrument=carried[0],
        instruments=carried,
        token_hash=hash_token(token),
        expires_at=now + timedelta(days=settings.MBC_SELF_REPORT_LINK_DAYS),
        created_by=by if getattr(by, "is_authenticated", False) else None,
        reminder=reminder,
    )
    if by is not None:
        record_audit(
            user=by,
            action=AuditEvent.Action.CREATE,
            what="self_report_link",
            patient_ids=[patient.id],
            object_id=link.id,
        )
    return link, token


def link_url(token: str) -> str:
    return f"{settings.MBC_BASE_URL}/r/{token}/"


def reminder_email(token: str, expires_at: datetime) -> tuple[str, str]:
    """Subject and body; no name, score or diagnosis (an email can be read over a shoulder)."""
    subject = "Your check-in questionnaire"
    body = (
        "Hello,\n\nYour care team asks you to fill in a short questionnaire about how you have been feeling over "
        "the last two weeks. It takes about two minutes:\n\n"
        f"{link_url(token)}\n\n"
        f"The link works until {timezone.localtime(expires_at):%d %B %Y}. If you did not expect this message, "
        "please contact the clinic.\n"
    )
    return subject, body


def send_pending_reminders(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The outbox loop: claim each unsent reminder by conditional update, make its link, send it, mark it."""
    now = now or timezone.now()
    sent = skipped = failed = 0
    pending = Q(sent_at__isnull=True, outcome=Reminder.Outcome.PENDING, attempts__lt=MAX_SEND_ATTEMPTS)
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    ids = list(Reminder.objects.filter(pending & claimable).order_by("id").values_list("id", flat=True)[:limit])
    for reminder_id in ids:
        if not Reminder.objects.filter(pending & claimable, pk=reminder_id).update(
            claimed_at=now, attempts=F("attempts") + 1
        ):
            continue  # another sender claimed it first
        reminder = Reminder.objects.select_related("patient").get(pk=reminder_id)
        patient = reminder.patient
        if not patient.email or not patient.active:
            Reminder.objects.filter(pk=reminder_id).update(outcome=Reminder.Outcome.NO_EMAIL, sent_at=now)
            skipped += 1
            continue
        with transaction.atomic():
            link, token = issue_link(patient=patient, reminder=reminder, now=now)
            subject, body = reminder_email(token, link.expires_at)
        try:
            send_mail(subject, body, None, [patient.email])
        except Exception as exc:  # SMTP errors are many; the row stays pending and is retried, up to 5 attempts
            log.warning("reminder %s not sent (%s)", reminder_id, type(exc).__name__)
            if reminder.attempts >= MAX_SEND_ATTEMPTS:  # `reminder` was read after the claim counted this try
                Reminder.objects.filter(pk=reminder_id).update(outcome=Reminder.Outcome.FAILED)
            failed += 1
            continue
        Reminder.objects.filter(pk=reminder_id).update(outcome=Reminder.Outcome.SENT, sent_at=timezone.now())
        sent += 1
    return {"sent": sent, "no_email": skipped, "failed": failed}


# ---------------------------------------------------------------------------------------------------------------
# A clinician's "send self-report link" (the patient page)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRequest:
    """What "send self-report link" did: queued an email, or made a link whose token is shown once to copy."""

    emailed: bool
    already_requested: bool = False  # an email was already queued today: nothing new was sent
    token: str | None = None
    expires_at: datetime | None = None


def enqueue_reminder_sending() -> None:
    enqueue("send_reminders", recovery="the beat schedule will send it")


@transaction.atomic
def request_self_report_link(*, patient: Patient, by: Any, now: datetime | None = None) -> LinkRequest:
    """A clinician sends the patient a self-report link.

    With an email address: an outbox row (one per patient per day) that the reminder loop sends with a fresh link.
    Without one: a new link now; its token is returned to be shown once, for the clinician to pass on.
    """
    now = now or timezone.now()
    if not patient.active:  # link_for_token refuses an inactive patient's link: it would never open
        raise ValidationError(
            {"patient": ["This patient is inactive, so a link would not open. Reactivate them first."]}
        )
    if not patient.email:
        link, token = issue_link(patient=patient, by=by, now=now)
        return LinkRequest(emailed=False, token=token, expires_at=link.expires_at)
    today = timezone.localdate(now)
    reminder, created = Reminder.objects.get_or_create(
        dedupe_key=f"patient:{patient.id}:clinician_request:{today.isoformat()}",
        defaults={"patient": patient, "kind": "clinician_request", "due_on": today},
    )
    if created:
        record_audit(
            user=by,
            action=AuditEvent.Action.CREATE,
            what="self_report_request",
            patient_ids=[patient.id],
            object_id=reminder.id,
        )
        transaction.on_commit(enqueue_reminder_sending)
    return LinkRequest(emailed=True, already_requested=not created)
