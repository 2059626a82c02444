from rest_framework import serializers

from notifications.models import Channel, Kind, Notification


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
