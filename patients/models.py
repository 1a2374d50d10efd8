"""Models of the clinical record: Patient, care team, TreatmentPhase, Medication, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from instruments.definitions import instrument_choices
from patients.drug_classes import DRUG_CLASSES
from patients.validators import EARLIEST_DATE

# A callable: the registry decides, and a new instrument needs no migration.
INSTRUMENT_CHOICES = instrument_choices
# ICD-10 code, e.g. F33.1 or F41.0 (WHO ICD-10 format: letter, two digits, optional dot and 1-4 characters).
icd10_validator = RegexValidator(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$", "Enter an ICD-10 code such as F33.1.")


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    CARE_MANAGER = "care_manager", "Care manager"


class Clinician(models.Model):
    """A Django user who treats patients, with their usual role on a care team."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    # Urgent flags always email the care team; high ones (worsening, relapse, ...) only those who ask (issue 14).
    email_high_flags = models.BooleanField(
        default=False, help_text="Email me when a high-severity flag is raised (urgent flags always email)."
    )

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


def default_language() -> str:
    """The clinic's language (LANGUAGE_CODE "en-gb" -> "en") where the patients' pages speak it, else blank."""
    base = settings.LANGUAGE_CODE.split("-")[0].lower()
    return base if base in dict(settings.LANGUAGES) else ""


class Preference(models.TextChoices):
    """What the patient wants (DESIGN §2b): shown beside the recommended start, never overriding it."""

    NONE = "none", "No preference"
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    MEDICATION = "medication", "Medication"
    COMBINED = "combined", "Both"


class Patient(models.Model):
    external_id = models.CharField(max_length=64, unique=True, help_text="The clinic's own record number.")
    display_name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    diagnosis = models.CharField(max_length=8, blank=True, validators=[icd10_validator], help_text="ICD-10 code")
    email = models.EmailField(blank=True)
    primary_instrument = models.CharField(max_length=16, choices=INSTRUMENT_CHOICES, default="phq9")
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=language_choices,
        default=default_language,
        help_text="The language of the patient's pages; blank: the browser's (Accept-Language).",
    )
    link_instruments = models.JSONField(
        default=list,
        blank=True,
        help_text="The self-rated instruments the patient's links carry, in order (e.g. phq9, gad7); empty: the "
        "primary instrument if self-rated, else the PHQ-9.",
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(7), MaxValueValidator(56)]
    )
    # DESIGN §2b, all optional: previous depressive episodes, when this one began, what the patient wants.
    prior_episodes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(99)],
        help_text="Previous depressive episodes; empty when unknown.",
    )
    episode_onset = models.DateField(null=True, blank=True, help_text="The day the current episode began.")
    preference = models.CharField(max_length=16, choices=Preference.choices, default=Preference.NONE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        # Admin and shells only: logs and URLs carry ids, never names.
        return f"Patient {self.external_id}"


class PreferenceStatement(models.Model):
    """What the patient said they would like to try, in their own words, from their decision-aid page (DESIGN 2b).

    A history: every statement is kept; the newest one also sets Patient.preference. Nothing here is ever deleted.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="preference_statements")
    preference = models.CharField(max_length=16, choices=Preference.choices)
    note = models.TextField(blank=True, max_length=500, help_text="The patient's own sentence (optional).")
    stated_at = models.DateTimeField()

    class Meta:
        ordering = ["-stated_at", "-id"]
        indexes = [models.Index(fields=["patient", "stated_at"])]

    def __str__(self) -> str:
        return f"preference #{self.id} of patient {self.patient_id}"


class CareTeamMember(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_teams")
    role = models.CharField(max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "user"], name="one_membership_per_clinician")]

    def __str__(self) -> str:
        return f"{self.user_id} on patient {self.patient_id} as {self.role}"


class Modality(models.TextChoices):
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    MEDICATION = "medication", "Medication"
    COMBINED = "combined", "Combined"


class Stage(models.TextChoices):
    ACUTE = "acute", "Acute"
    CONTINUATION = "continuation", "Continuation"
    MAINTENANCE = "maintenance", "Maintenance"


class Therapy(models.TextChoices):
    CBT = "cbt", "CBT"
    IPT = "ipt", "IPT"
    DBT = "dbt", "DBT"
    CBASP = "cbasp", "CBASP"
    ERP = "erp", "ERP"
    PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
    OTHER = "other", "Other"


class PhaseQuerySet(models.QuerySet["TreatmentPhase"]):
    # The phases the rules, the caseload and the outcomes compute with: those starting on or after 1900. An earlier
    # start is a typing slip from before the date check (patients.validators); computing its baseline window would
    # overflow the calendar, so it is left out rather than break everyone's sweep.
    IN_EFFECT = Q(started_on__gte=EARLIEST_DATE)

    def in_effect(self) -> PhaseQuerySet:
        return self.filter(self.IN_EFFECT)

    def with_in_effect(self) -> PhaseQuerySet:
        """Every row, each annotated `in_effect`."""
        return self.annotate(in_effect=models.ExpressionWrapper(self.IN_EFFECT, output_field=models.BooleanField()))


class TreatmentPhase(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="phases")
    modality = models.CharField(max_length=16, choices=Modality.choices)
    stage = models.CharField(max_length=16, choices=Stage.choices)
    therapy = models.CharField(max_length=16, choices=Therapy.choices, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PhaseQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_on__isnull=True), name="one_active_phase_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="phase_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["patient", "started_on"])]

    def __str__(self) -> str:
        return f"{self.modality}/{self.stage} from {self.started_on}"


DrugClass = models.TextChoices("DrugClass", [(code, (code, label)) for code, (label, _) in DRUG_CLASSES.items()])


class Medication(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    drug_class = models.CharField(max_length=32, choices=DrugClass.choices)
    serotonergic = models.BooleanField()
    dose = models.CharField(max_length=120, blank=True)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=models.F("started_on")),
                name="medication_stops_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.drug_class})"


class AuditEvent(models.Model):
    """Who viewed or changed which patient's data, and when. Ids only: no names or scores."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        SUBMIT = "submit", "Submitted by the patient"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, related_name="audit_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=40, help_text="The kind of record, e.g. assessment or summary.")
    object_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} user {self.user_id} {self.action} {self.what} of patient {self.patient_id}"
