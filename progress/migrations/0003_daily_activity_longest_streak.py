"""Activity per day, and the longest streak.

The longest streak starts as the current one. Lessons completed per day are
rebuilt from the completions (their dates in TIME_ZONE); seconds per day were
never recorded before, so past days start at 0 seconds.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, F
from django.db.models.functions import TruncDate

BATCH = 5000


def backfill(apps, schema_editor):
    LearningStats = apps.get_model("progress", "LearningStats")
    LessonCompletion = apps.get_model("progress", "LessonCompletion")
    DailyActivity = apps.get_model("progress", "DailyActivity")
    LearningStats.objects.update(longest_streak=F("current_streak"))
    days = (
        LessonCompletion.objects.annotate(day=TruncDate("completed_at"))
        .values("user_id", "day")
        .annotate(lessons=Count("id"))
        .order_by("user_id", "day")
    )
    rows = []
    for row in days.iterator(chunk_size=BATCH):
        rows.append(
            DailyActivity(user_id=row["user_id"], day=row["day"], lessons_completed=row["lessons"])
        )
        if len(rows) >= BATCH:
            DailyActivity.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    DailyActivity.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0002_enrollment_moved_to_catalog"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="learningstats",
            name="longest_streak",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="DailyActivity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("seconds", models.PositiveIntegerField(default=0)),
                ("lessons_completed", models.PositiveIntegerField(default=0)),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="daily_activity",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "daily activity",
                "constraints": [
                    models.UniqueConstraint(fields=("user", "day"), name="dailyactivity_user_day")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
