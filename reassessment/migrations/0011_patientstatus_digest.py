from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reassessment", "0010_course_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientstatus",
            name="digest",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
    ]
