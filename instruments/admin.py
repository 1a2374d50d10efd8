"""Admin of assessments (staff only)."""

from django.contrib import admin

from instruments.models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "instrument", "total", "severity", "administered_at", "source"]
    list_filter = ["instrument", "source"]
    raw_id_fields = ["patient", "entered_by"]
    readonly_fields = ["total", "severity", "instrument_version", "administered_on"]
