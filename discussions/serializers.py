"""The JSON shapes of threads, thread messages and direct messages (see /api/schema/).

Realtime events carry exactly these shapes as their `data`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from discussions import services
from discussions.mentions import message_mentions
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.reactions import reactions_of
from lms.catalog.models import User


class UserBriefSerializer(serializers.Serializer):
    """A person as messages show them: {id, name, avatar}."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    avatar = serializers.CharField(read_only=True)


def user_brief(user: User) -> dict[str, Any]:
    return UserBriefSerializer(user).data


class TextInputField(serializers.CharField):
    """Text exactly as sent: no coercion of numbers, trimmed and checked by the service."""

    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class ThreadSerializer(serializers.ModelSerializer):
    creator = UserBriefSerializer(source="created_by", read_only=True)

    class Meta:
        model = DiscussionThread
        fields = [
            "id",
            "course",
            "title",
            "created_by",
            "creator",
            "is_active",
            "is_pinned",
            "accepted_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ThreadReadingSerializer(ThreadSerializer):
    """A thread in my list: with what is new for me in it and whether I follow it."""

    unread_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Messages others posted since I last read it."
    )
    first_unread_id = serializers.IntegerField(
        read_only=True, allow_null=True, default=None, help_text="Open the thread here."
    )
    is_following = serializers.BooleanField(
        read_only=True, default=False, help_text="Whether replies notify me."
    )

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "unread_count", "first_unread_id", "is_following"]
        read_only_fields = fields


class ThreadCreateSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    title = TextInputField()

    def validate_title(self, value: str) -> str:
        return services.clean_title(value)


class ThreadUpdateSerializer(serializers.Serializer):
    title = TextInputField(required=False)
    is_active = serializers.BooleanField(required=False)

    def validate_title(self, value: str) -> str:
        return services.clean_title(value)


class MentionSerializer(serializers.Serializer):
    """A user a message mentions: {id, username}."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class ReactionSerializer(serializers.Serializer):
    """One emoji's reactions to a message (docs/discussions.md, "Reactions")."""

    emoji = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="The emoji's name in URLs: thumbs_up.")
    label = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    me = serializers.BooleanField(
        read_only=True, required=False, help_text="Whether I reacted so (not in events)."
    )
    users = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The first 10 names."
    )
    user_ids = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="The first 100 user ids."
    )


class ThreadMessageSerializer(serializers.ModelSerializer):
    sender = UserBriefSerializer(read_only=True)
    mentions = serializers.SerializerMethodField(
        help_text="The readers of the thread the message mentions as @username, in order."
    )
    reactions = serializers.SerializerMethodField(
        help_text="Reactions by emoji, in the fixed order of the emoji; none: []."
    )

    class Meta:
        model = ThreadMessage
        fields = [
            "id",
            "thread",
            "sender",
            "content",
            "mentions",
            "created_at",
            "edited_at",
            "reactions",
        ]
        read_only_fields = fields

    @extend_schema_field(MentionSerializer(many=True))
    def get_mentions(self, message: ThreadMessage) -> list[dict[str, Any]]:
        return MentionSerializer(message_mentions(message), many=True).data

    @extend_schema_field(ReactionSerializer(many=True))
    def get_reactions(self, message: ThreadMessage) -> list[dict[str, Any]]:
        return reactions_of(message)


class ThreadMemberSerializer(serializers.Serializer):
    """Someone who may read a thread, as the @mention suggestions show them."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    avatar = serializers.CharField(read_only=True)


class ThreadMemberQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="The start of a username, first or last name (case-insensitive); "
        "a leading @ is ignored.",
    )


class ContentSerializer(serializers.Serializer):
    content = TextInputField()

    def validate_content(self, value: str) -> str:
        return services.clean_content(value)


class DirectMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DirectMessage
        fields = ["id", "sender", "recipient", "content", "is_read", "created_at", "edited_at"]
        read_only_fields = fields


class DirectMessageCreateSerializer(ContentSerializer):
    recipient = serializers.IntegerField()


class ConversationReadSerializer(serializers.Serializer):
    def get_fields(self):
        # "with" is a Python keyword, so the field cannot be a class attribute.
        return {"with": serializers.IntegerField(help_text="The other user's id.")}


class ConversationSerializer(serializers.Serializer):
    """One of my conversations: the other user, the last message, my unread count."""

    user = UserBriefSerializer(source="partner")
    last_message = DirectMessageSerializer()
    unread_count = serializers.IntegerField()
