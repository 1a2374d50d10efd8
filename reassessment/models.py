"""Flags for clinicians, reminders to patients (an outbox), and self-report links."""

from __future__ import annotations

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
    recommendation = models.CharField(max_length=24, choices=Recommendation.choices)
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
    instrument = models.CharField(max_length=16)
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
