from rest_framework import serializers

from notifications.models import MESSAGE_MAX, TITLE_MAX, Announcement, Channel, Kind, Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "title",
            "message",
            "type",
            "is_read",
            "related_entity_type",
            "related_entity_id",
            "kind",
            "url",
            "created_at",
        ]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField())
    unread_count = serializers.IntegerField()


class NotificationPreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    label = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    default = serializers.ChoiceField(choices=Channel.choices)


class NotificationPreferencesSerializer(serializers.Serializer):
    preferences = NotificationPreferenceSerializer(many=True)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))


class NotificationPreferencesUpdateSerializer(serializers.Serializer):
    preferences = serializers.DictField(
        child=serializers.CharField(),
        help_text="kind: channel, for the kinds to change; other kinds keep their channel.",
    )


class AnnouncementAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class AnnouncementSerializer(serializers.ModelSerializer):
    """An announcement, in the API and in its `announcement` event on `course:{id}`."""

    author = AnnouncementAuthorSerializer(
        read_only=True, allow_null=True, help_text="null once the author's account is gone."
    )

    class Meta:
        model = Announcement
        fields = ["id", "course", "title", "message", "author", "created_at"]
        read_only_fields = fields


class AnnouncementCreateSerializer(serializers.Serializer):
    """The body of POST /api/courses/{id}/announcements/ (both trimmed, then required)."""

    title = serializers.CharField(max_length=TITLE_MAX)
    message = serializers.CharField(max_length=MESSAGE_MAX)
