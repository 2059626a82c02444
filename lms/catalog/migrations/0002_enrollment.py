"""Enrollment moves from the progress app to the catalog, keeping its table and rows.

Only Django's idea of which app owns the model changes: the table stays
`progress_enrollment`, so this migration runs no DDL. The content type moves too,
so permissions already granted on enrollments keep working.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="lms", model="enrollment").exists():
        ContentType.objects.filter(app_label="progress", model="enrollment").update(
            app_label="lms"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="progress", model="enrollment").exists():
        ContentType.objects.filter(app_label="lms", model="enrollment").update(
            app_label="progress"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0001_initial"),
        ("progress", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Enrollment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0)),
                        ("enrolled_at", models.DateTimeField(auto_now_add=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "course",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="enrollments",
                                to="lms.course",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="enrollments",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "progress_enrollment",
                        "ordering": ["-enrolled_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["course", "user"], name="progress_en_course__d0d489_idx"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "course"), name="enrollment_unique_user_course"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("progress__gte", 0), ("progress__lte", 100)),
                                name="enrollment_progress_0_100",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
