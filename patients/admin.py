"""Admin of the clinical record (staff only). The audit trail is read-only."""

from django.contrib import admin

from patients.models import AuditEvent, CareTeamMember, Clinician, Medication, Patient, TreatmentPhase


class CareTeamInline(admin.TabularInline):
    model = CareTeamMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["external_id", "primary_instrument", "active", "created_at"]
    search_fields = ["external_id"]
    list_filter = ["active", "primary_instrument"]
    inlines = [CareTeamInline]


@admin.register(TreatmentPhase)
class TreatmentPhaseAdmin(admin.ModelAdmin):
    list_display = ["patient", "modality", "stage", "started_on", "ended_on"]
    list_filter = ["modality", "stage"]
    raw_id_fields = ["patient", "created_by"]


@admin.register(Medication)
class MedicationAdmin(admin.ModelAdmin):
    list_display = ["patient", "name", "drug_class", "serotonergic", "started_on", "stopped_on"]
    list_filter = ["drug_class", "serotonergic"]
    raw_id_fields = ["patient", "created_by"]


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "what", "patient", "object_id"]
    list_filter = ["action", "what"]
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
