"""The beat schedule production needs: the daily sweep and the reminder outbox, editable in the admin."""

from django.conf import settings
from django.db import migrations


def create_schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    # 05:30 clinic-local: flags are on the caseload before the first appointment of the day.
    daily, _ = crontab_model.objects.get_or_create(
        minute="30", hour="5", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    every_five, _ = interval_model.objects.get_or_create(every=5, period="minutes")
    task_model.objects.get_or_create(
        name="mbc: daily reassessment sweep",
        defaults={"task": "reassessment.sweep", "crontab": daily, "description": "DESIGN §1 data flow step 4."},
    )
    task_model.objects.get_or_create(
        name="mbc: send pending reminders",
        defaults={"task": "reassessment.send_reminders", "interval": every_five,
                  "description": "The reminder outbox: emails rows written by the sweep."},
    )


def remove_schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=["mbc: daily reassessment sweep", "mbc: send pending reminders"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reassessment", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
