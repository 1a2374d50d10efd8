"""Admin of flags, reminders, links and flag notifications: patient data, so read-only for superusers and audited
(patients.admin.ClinicalRecordAdmin); nothing here is deletable: flags are history."""

from django.contrib import admin

from patients.admin import ClinicalRecordAdmin
from reassessment.models import Flag, Notification, Reminder, SelfReportLink


@admin.register(Flag)
class FlagAdmin(ClinicalRecordAdmin):
    list_display = [
        "id", "patient", "kind", "severity", "status", "created_at", "escalated_at", "escalation_recipients",
    ]
    list_filter = ["kind", "severity", "status", ("escalated_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["patient", "phase", "assessment", "acknowledged_by"]
    readonly_fields = ["dedupe_key", "evidence", "created_at"]


@admin.register(Reminder)
class ReminderAdmin(ClinicalRecordAdmin):
    list_display = ["id", "patient", "due_on", "created_at", "sent_at", "outcome", "attempts"]
    list_filter = ["outcome"]
    raw_id_fields = ["patient", "phase"]


@admin.register(SelfReportLink)
class SelfReportLinkAdmin(ClinicalRecordAdmin):
    list_display = ["id", "patient", "instrument", "created_at", "expires_at", "last_used_at"]
    raw_id_fields = ["patient", "created_by", "reminder"]
    readonly_fields = ["token_hash"]


@admin.register(Notification)
class NotificationAdmin(ClinicalRecordAdmin):
    """The flag-notification outbox: who was emailed about which flag, and what became of it."""

    patient_field = "flag__patient"

    # The flag by id only: its name says its kind, which staff who see no patient data must not read here either.
    list_display = ["id", "flag_id", "kind", "recipient", "address", "created_at", "sent_at", "outcome", "attempts"]
    list_filter = ["kind", "outcome"]
    fields = ["flag_id", "kind", "recipient", "address", "created_at", "claimed_at", "sent_at", "outcome", "attempts"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # rows come only with the flags they are about
