"""Admin of the clinical record (DESIGN 3b): superusers see it read-only and manage care teams, every view of it is
audited; staff who are not superusers (clinic IT: accounts, schedules, settings) see no patient data at all,
whatever model permissions they hold. Nothing clinical is deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from patients.models import AuditEvent, CareTeamMember, Clinician, Medication, Patient, TreatmentPhase
from patients.services import record_audit


def sees_patient_data(request: HttpRequest) -> bool:
    """Only an active superuser sees patient data in the admin (minimum necessary for clinic IT)."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


class ClinicalRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Patient data: superusers only, read-only (no add, change or delete, bulk delete included), audited."""

    patient_field = "patient"  # the path from a row to its patient's id, for the audit trail
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return sees_patient_data(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return sees_patient_data(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def _patients_of(self, pks: list[Any]) -> list[int | None]:
        ids = self.model._default_manager.filter(pk__in=pks).values_list(self.patient_field, flat=True)
        return sorted(set(ids), key=lambda i: (i is None, i or 0))

    def _audit(self, request: HttpRequest, action: str, pks: list[Any]) -> None:
        patient_ids = self._patients_of(pks) if pks else []
        record_audit(
            user=request.user,
            action=action,
            what=f"admin_{self.model._meta.model_name}"[:40],
            patient_ids=patient_ids or [None],
            object_id=int(pks[0]) if len(pks) == 1 and str(pks[0]).isdigit() else None,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None:
            self._audit(request, AuditEvent.Action.LIST, [row.pk for row in changelist.result_list])
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, unquote(object_id))  # None for an unknown or malformed id: nothing shown
        if obj is not None and response.status_code in (200, 302):
            self._audit(request, AuditEvent.Action.VIEW, [obj.pk])
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and response.status_code == 200:
            self._audit(request, AuditEvent.Action.VIEW, [obj.pk])
        return response


class CareTeamInline(admin.TabularInline):  # type: ignore[type-arg]
    """Superusers manage care teams (who may see a patient); memberships are access, not clinical record."""

    model = CareTeamMember
    extra = 0
    raw_id_fields = ["user"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return sees_patient_data(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    list_display = ["external_id", "primary_instrument", "active", "created_at"]
    search_fields = ["external_id"]
    list_filter = ["active", "primary_instrument"]
    inlines = [CareTeamInline]
    patient_field = "pk"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # The patient's own fields are read-only; the page saves only its care team.
        return [f.name for f in Patient._meta.concrete_fields]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return sees_patient_data(request)  # to save the care team inline; every field above is read-only

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        """Nothing of the patient changes here (read-only fields)."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            record_audit(
                user=request.user, action=AuditEvent.Action.UPDATE, what="admin_care_team",
                patient_ids=[form.instance.pk],
            )


@admin.register(TreatmentPhase)
class TreatmentPhaseAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "modality", "stage", "started_on", "ended_on"]
    list_filter = ["modality", "stage"]


@admin.register(Medication)
class MedicationAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "name", "drug_class", "serotonergic", "started_on", "stopped_on"]
    list_filter = ["drug_class", "serotonergic"]


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicalRecordAdmin):
    """The audit trail names patients (by id): patient data, superusers only, read-only."""

    list_display = ["at", "user", "action", "what", "patient", "object_id"]
    list_filter = ["action", "what"]
    date_hierarchy = "at"


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An account's clinician profile: clinic IT's to manage (no patient data)."""

    list_display = ["user", "role"]

