from rest_framework import serializers

from notifications.models import Notification


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
