"""Enrollment now belongs to the catalog (lms 0002): the table stays, only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0001_initial"),
        ("lms", "0002_enrollment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Enrollment")],
            database_operations=[],
        ),
    ]
