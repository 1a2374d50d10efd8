"""Beat schedule for the flag notifications: the outbox and the escalation check, every 5 minutes (admin-editable)."""

from django.db import migrations

TASKS = {
    "mbc: send flag notifications": (
        "reassessment.send_notifications",
        "The flag-notification outbox: emails the care team about new urgent (and opted-in high) flags.",
    ),
    "mbc: escalate unacknowledged urgent flags": (
        "reassessment.escalate_flags",
        "Urgent flags still open after MBC_ESCALATE_AFTER_MINUTES: email the care manager(s), else MBC_ONCALL_EMAIL.",
    ),
}


def create_schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five, _ = interval_model.objects.get_or_create(every=5, period="minutes")
    for name, (task, description) in TASKS.items():
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "interval": every_five, "description": description}
        )


def remove_schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(TASKS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reassessment", "0004_flag_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
