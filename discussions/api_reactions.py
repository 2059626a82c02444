"""REST API of reactions (docs/discussions.md, "Reactions").

`PUT` adds and `DELETE` removes my reaction
`/api/threads/{id}/messages/{mid}/reactions/{emoji}/`, where `emoji` is the
emoji's name (`thumbs_up`) or the emoji itself, URL-encoded. Both answer the
message's reactions as they are now. Throttled by the "writes" scope.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from discussions import reacting, selectors
from discussions.api import MESSAGE_ID, THREAD_ID
from discussions.models import ThreadMessage
from discussions.permissions import thread_member_or_error
from discussions.reactions import EMOJI_BY_NAME
from discussions.serializers import ReactionSerializer
from lms.platform.schema import api_errors
from lms.realtime.registry import Role

EMOJI = OpenApiParameter(
    "emoji",
    str,
    OpenApiParameter.PATH,
    description=f"One of {', '.join(EMOJI_BY_NAME)}, or the emoji itself (URL-encoded).",
)

MessageReactions = inline_serializer(
    "MessageReactions",
    {"id": serializers.IntegerField(), "reactions": ReactionSerializer(many=True)},
)


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID, EMOJI])
class ReactionView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    def _react(self, request, thread_id: int, message_id: int, emoji: str, *, on: bool):
        thread = selectors.thread_find(thread_id=thread_id)
        grant = thread_member_or_error(request.user, thread, write=True)
        message = ThreadMessage.objects.filter(pk=message_id, thread=thread).first()
        hidden = message is not None and message.hidden_at is not None
        if message is None or (hidden and grant.role == Role.STUDENT):
            raise Http404("No such message.")
        reactions = reacting.reaction_set(message=message, user=request.user, emoji=emoji, on=on)
        return Response({"id": message.pk, "reactions": reactions})

    @extend_schema(
        request=None, responses={200: MessageReactions, **api_errors(400, 401, 403, 404, 429)}
    )
    def put(self, request, thread_id: int, message_id: int, emoji: str):
        """React with `emoji` (again: no change). Members who may post in the thread;
        muted students, a closed thread (students) and a hidden message: 403."""
        return self._react(request, thread_id, message_id, emoji, on=True)

    @extend_schema(
        request=None, responses={200: MessageReactions, **api_errors(400, 401, 403, 404, 429)}
    )
    def delete(self, request, thread_id: int, message_id: int, emoji: str):
        """Take my `emoji` reaction back (none: no change)."""
        return self._react(request, thread_id, message_id, emoji, on=False)
