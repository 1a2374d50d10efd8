"""Flags for clinicians, reminders to patients (an outbox), and self-report links."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models

from instruments.models import Assessment
from patients.models import Patient, TreatmentPhase


class FlagKind(models.TextChoices):
    SUICIDE_RISK = "suicide_risk", "Suicide risk"
    PARTIAL_RESPONSE = "partial_response", "Partial response"
    WORSENING = "worsening", "Worsening"
    RELAPSE = "relapse", "Relapse"
    SEROTONERGIC_COMBINATION = "serotonergic_combination", "Serotonergic combination"
    REASSESSMENT_OVERDUE = "reassessment_overdue", "Reassessment overdue"
    CLINICIAN_CONCERN = "clinician_concern", "Clinician's concern"
    # DESIGN §2b: the treatment course
    CONSIDER_COMBINED = "consider_combined", "Consider combined treatment"
    CONTINUE_TREATMENT = "continue_treatment", "Continue treatment"
    EARLY_DISCONTINUATION = "early_discontinuation", "Early discontinuation"
    BIPOLAR_ANTIDEPRESSANT = "bipolar_antidepressant", "Antidepressant in bipolar disorder"
    TREATMENT_RESISTANT = "treatment_resistant", "Treatment resistant"


class FlagSeverity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


SEVERITY_RANK = {"urgent": 0, "high": 1, "medium": 2, "low": 3}


class Recommendation(models.TextChoices):
    ADD_PSYCHOTHERAPY = "add_psychotherapy", "Add psychotherapy"
    ADD_MEDICATION = "add_medication", "Add medication"
    REVIEW_TREATMENT = "review_treatment", "Review treatment"
    SAFETY_ASSESSMENT = "safety_assessment", "Safety assessment now"
    REVIEW_MEDICATIONS = "review_medications", "Review medications"
    CONTACT_PATIENT = "contact_patient", "Contact the patient"
    STOP_COMBINATION = "stop_combination", "Stop the combination"
    SEE_NOTE = "see_note", "See the clinician's note"
    START_CONTINUATION = "start_continuation", "Start a continuation phase"
    ADD_PSYCHOTHERAPY_FOR_RELAPSE_PREVENTION = (
        "add_psychotherapy_for_relapse_prevention",
        "Add psychotherapy to prevent relapse",
    )


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Flag(models.Model):
    """A finding a clinician must see. Never deleted; unique on dedupe_key so no check raises it twice."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    phase = models.ForeignKey(TreatmentPhase, on_delete=models.PROTECT, null=True, blank=True, related_name="flags")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="flags")
    kind = models.CharField(max_length=32, choices=FlagKind.choices)
    severity = models.CharField(max_length=8, choices=FlagSeverity.choices)
    recommendation = models.CharField(max_length=48, choices=Recommendation.choices)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    evidence = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # DESIGN §2 flag lifecycle: who resolved it and why (empty with resolved_at set: resolved by a rule); who
    # raised a clinician_concern by hand (empty for the rules' flags).
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True, default="", db_default="")  # raw sweep INSERTs omit it
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An urgent flag still open after MBC_ESCALATE_AFTER_MINUTES is escalated once (claimed by setting this).
    escalated_at = models.DateTimeField(null=True, blank=True)
    # How many escalation emails were queued; 0 with escalated_at set: nobody to escalate to (no care manager on
    # the care team and no MBC_ONCALL_EMAIL). The patient page and the admin show it.
    escalation_recipients = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"]), models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} flag #{self.id} ({self.status})"

    @property
    def escalated_to_nobody(self) -> bool:
        return self.escalated_at is not None and not self.escalation_recipients


class Reminder(models.Model):
    """An outbox row: a reassessment reminder to send. Written with the finding; a periodic task sends it."""

    class Outcome(models.TextChoices):
        PENDING = "", "Pending"
        SENT = "sent", "Sent"
        NO_EMAIL = "no_email", "No email address"
        FAILED = "failed", "Failed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="reminders")
    phase = models.ForeignKey(TreatmentPhase, on_delete=models.PROTECT, null=True, related_name="reminders")
    kind = models.CharField(max_length=32, default="reassessment_due")
    due_on = models.DateField()
    dedupe_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"reminder #{self.id} for patient {self.patient_id}"


class Notification(models.Model):
    """An outbox row: one email about one flag to one clinician (or the on-call address). Written in the
    transaction that raises (or escalates) the flag; sent right after commit, and by beat for anything left over.

    The email names no patient: it says a flag needs a clinician and links to the flag behind the sign-in.
    """

    class Kind(models.TextChoices):
        ALERT = "alert", "New flag"
        ESCALATION = "escalation", "Escalation"

    class Outcome(models.TextChoices):
        PENDING = "", "Pending"
        SENT = "sent", "Sent"
        NO_EMAIL = "no_email", "No email address"
        NOT_NEEDED = "not_needed", "Flag already acknowledged"
        FAILED = "failed", "Failed"

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.EmailField(blank=True, help_text="Only for the on-call address; a clinician's is read at send.")
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.id} about flag {self.flag_id}"


class SelfReportLink(models.Model):
    """A patient's no-login link. Only the SHA-256 of the 256-bit token is stored; the token itself is in the email.

    It takes one submission (of all the instruments it carries, DESIGN §2): `submitted_at` is claimed by a
    conditional update, and the submission's assessments and client_id are kept to answer a retry.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="self_report_links")
    instrument = models.CharField(max_length=16, help_text="The first of `instruments`.")
    instruments = models.JSONField(
        default=list, help_text="The self-rated instruments the link asks, in order (Patient.link_instruments)."
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminder = models.ForeignKey(Reminder, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    last_used_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    client_id = models.CharField(max_length=64, blank=True, help_text="The submission's client_id, if it sent one.")
    assessments = models.ManyToManyField(Assessment, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"link #{self.id} for patient {self.patient_id}"


class SweepRun(models.Model):
    """One daily sweep: its chunks (patient-id ranges) may run on several workers; finished when all are done."""

    today = models.DateField()
    chunks = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"sweep #{self.id} of {self.today}"


class SweepChunk(models.Model):
    """A contiguous range of active patients' ids: one short task. Done once, however often it is delivered."""

    run = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="chunk_set")
    first_patient_id = models.BigIntegerField()
    last_patient_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "first_patient_id"], name="sweep_chunk_once_per_run"),
        ]
        indexes = [models.Index(fields=["run", "done_at"])]

    def __str__(self) -> str:
        return f"sweep chunk #{self.id} (patients {self.first_patient_id}-{self.last_patient_id})"


class PatientStatus(models.Model):
    """Where a patient stands, stored: the caseload reads pages of these instead of running the engine per view.

    Written only by services.refresh_statuses, which every path that changes a patient's standing calls (submission,
    phase, medication, flag raised/acknowledged/resolved, patient record change, the daily sweep). What moves with
    the date alone (phase week, due, overdue) is derived at read time from the stored dates, and the daily sweep
    refreshes every row, so a row is never more than a day behind the engine and exact once the sweep has run.
    """

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, primary_key=True, related_name="status_row")
    computed_on = models.DateField()  # the clinic-local day the engine was asked about
    instrument = models.CharField(max_length=16)
    phase = models.ForeignKey(TreatmentPhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    modality = models.CharField(max_length=16, blank=True)
    stage = models.CharField(max_length=16, blank=True)
    phase_started_on = models.DateField(null=True, blank=True)
    category = models.CharField(max_length=24, default="no_phase")
    latest_total = models.SmallIntegerField(null=True, blank=True)  # the latest score, else the baseline
    improvement_pct = models.FloatField(null=True, blank=True)
    next_due_on = models.DateField(null=True, blank=True)
    overdue_on = models.DateField(null=True, blank=True)  # next_due_on + the interval in force
    due = models.BooleanField(default=False)  # the engine's answer on computed_on
    overdue = models.BooleanField(default=False)
    open_flags = models.PositiveIntegerField(default=0)
    top_severity = models.PositiveSmallIntegerField(default=len(SEVERITY_RANK))  # SEVERITY_RANK; 4 = no open flag
    suicide_risk = models.BooleanField(default=False)  # an open suicide_risk flag
    summary = models.JSONField(default=dict)  # the engine's summary and recommended start, as the page shows them
    # MD5 of what the fields above but computed_on are computed from: a refresh compares digests, not rows, and
    # writes only changed rows (an unchanged one only moves its computed_on on).
    digest = models.CharField(max_length=32, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["category"]),
            models.Index(fields=["suicide_risk", "top_severity"]),
            models.Index(fields=["next_due_on"]),
        ]

    def __str__(self) -> str:
        return f"status of patient {self.patient_id}"


_Encoder = Callable[[Any], object]
_ENCODERS: dict[type, _Encoder] = {}
_AS_IS = (str, int, float, bool, type(None))


def encode_summary(value: object) -> object:
    """JSON of the engine's frozen dataclasses (tagged with their class name), dates as ISO strings.

    One encoder per type, chosen once (the sweep encodes a summary of some 40 values for every patient, daily)."""
    kind = type(value)
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        encoder = _ENCODERS[kind] = _encoder_for(kind)
    return encoder(value)


def _encoder_for(kind: type) -> _Encoder:
    if issubclass(kind, _AS_IS):
        return _as_is
    if issubclass(kind, datetime):
        return lambda v: {"__type__": "datetime", "value": v.isoformat()}
    if issubclass(kind, date):
        return lambda v: {"__type__": "date", "value": v.isoformat()}
    if issubclass(kind, (list, tuple)):
        return lambda v: [encode_summary(item) for item in v]
    if issubclass(kind, dict):
        return lambda v: {str(k): encode_summary(item) for k, item in v.items()}
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        tag = kind.__name__

        def encode_dataclass(v: Any) -> object:
            encoded: dict[str, object] = {"__type__": tag}
            for name in names:
                encoded[name] = encode_summary(getattr(v, name))
            return encoded

        return encode_dataclass
    return _as_is


def _as_is(value: object) -> object:
    return value


def decode_summary(value: object) -> object:
    """The inverse of encode_summary: the engine's dataclasses again (tuples where the engine keeps tuples)."""
    from reassessment import engine

    if isinstance(value, list):
        return tuple(decode_summary(v) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get("__type__")
    if kind == "date":
        return date.fromisoformat(value["value"])
    if kind == "datetime":
        return datetime.fromisoformat(value["value"])
    fields = {k: decode_summary(v) for k, v in value.items() if k != "__type__"}
    return getattr(engine, str(kind))(**fields) if kind else fields
