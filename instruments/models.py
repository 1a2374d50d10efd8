"""The Assessment: one administration of an instrument, with server-computed total and severity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import INSTRUMENT_CHOICES, Patient
from patients.validators import EARLIEST_DATE


class Source(models.TextChoices):
    SELF_REPORT = "self_report", "Self-report"
    CLINICIAN = "clinician", "Clinician"
    IMPORT = "import", "Import"


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    # The assessments that count: what the rules, charts, summaries, outcomes and the caseload read. Left out: one
    # marked entered in error (kept in the record, shown struck through), and one dated before 1900 (a typing slip
    # from before the date check; its date arithmetic overflows).
    IN_EFFECT = Q(entered_in_error_at__isnull=True, administered_on__gte=EARLIEST_DATE)

    def in_effect(self) -> AssessmentQuerySet:
        return self.filter(self.IN_EFFECT)

    def with_in_effect(self) -> AssessmentQuerySet:
        """Every row, each annotated `in_effect` (for a list that shows them all and charts only those that count)."""
        return self.annotate(in_effect=models.ExpressionWrapper(self.IN_EFFECT, output_field=models.BooleanField()))


class Assessment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=16, choices=INSTRUMENT_CHOICES)
    instrument_version = models.CharField(max_length=16)
    items = models.JSONField(help_text="Item answers in item order.")
    difficulty = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="PHQ-9's functional question (LOINC 69722-7); never part of the total."
    )
    total = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=24)
    administered_at = models.DateTimeField()
    administered_on = models.DateField(help_text="The clinic-local date of administered_at.")
    source = models.CharField(max_length=16, choices=Source.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    client_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Entered by mistake (DESIGN 3b): marked by a clinician on the care team, never deleted.
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_reason = models.TextField(blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["administered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "client_id"], condition=Q(client_id__isnull=False), name="one_client_id_per_patient"
            )
        ]
        indexes = [models.Index(fields=["patient", "instrument", "administered_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} #{self.id}"
