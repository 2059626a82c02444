from django.conf import settings
from rest_framework import serializers

MAX_LIMIT = 100


class LeaderboardQuerySerializer(serializers.Serializer):
    """Query parameters of GET /api/leaderboard/."""

    course = serializers.IntegerField(
        required=False, min_value=1, help_text="A course id for its board; omit for the global one."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Entries from the top (default LEADERBOARD_DEFAULT_LIMIT, max {MAX_LIMIT}).",
    )

    def to_internal_value(self, data):
        # `?course=` from an empty form field means the global board.
        present = {key: data[key] for key in self.fields if key in data and data[key] != ""}
        values = super().to_internal_value(present)
        values.setdefault("limit", settings.LEADERBOARD_DEFAULT_LIMIT)
        return values


class LeaderboardEntrySerializer(serializers.Serializer):
    """One row of a board (documentation of the shape built by leaderboard.selectors)."""

    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    avatar = serializers.CharField(allow_blank=True)
    points = serializers.FloatField()
    courses_completed = serializers.IntegerField()
    certificates_earned = serializers.IntegerField()
    time_spent = serializers.IntegerField(help_text="minutes")


class LeaderboardSerializer(serializers.Serializer):
    course = serializers.IntegerField(allow_null=True)
    entries = LeaderboardEntrySerializer(many=True)
    me = LeaderboardEntrySerializer(allow_null=True)
