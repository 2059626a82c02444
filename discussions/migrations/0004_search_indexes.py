"""GIN indexes of the full-text search (discussions/search.py), on PostgreSQL only.

The indexed expressions are the ones the search filters on, so the planner
uses them. Other databases search with `icontains` and get no index; the
model state is left alone, so `makemigrations` sees no change anywhere.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations


class AddIndexOnPostgres(migrations.AddIndex):
    """An index that only PostgreSQL builds; a no-op elsewhere and in the model state."""

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{super().describe()} (PostgreSQL only)"


def _gin(field: str, name: str):
    return django.contrib.postgres.indexes.GinIndex(
        django.contrib.postgres.search.SearchVector(field, config="english"), name=name
    )


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0003_unread_follow_edit_react_moderate"),
    ]

    operations = [
        AddIndexOnPostgres("discussionthread", _gin("title", "discussionthread_title_fts")),
        AddIndexOnPostgres("threadmessage", _gin("content", "threadmessage_content_fts")),
        AddIndexOnPostgres("directmessage", _gin("content", "directmessage_content_fts")),
    ]
