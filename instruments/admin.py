"""Admin of assessments: read-only for superusers, audited (patients.admin.ClinicalRecordAdmin). Items are never
edited here: a total always comes from its items, scored by the server."""

from django.contrib import admin

from instruments.models import Assessment
from patients.admin import ClinicalRecordAdmin


@admin.register(Assessment)
class AssessmentAdmin(ClinicalRecordAdmin):
    list_display = ["id", "patient", "instrument", "total", "severity", "administered_at", "source",
                    "entered_in_error_at"]
    list_filter = ["instrument", "source"]
