"""REST API of editing messages (docs/discussions.md, "Editing").

`PATCH /api/threads/{id}/messages/{mid}/` and `PATCH /api/messages/{id}/` take
`{"content"}`; the revisions of a thread message are for the course's moderators.
Edits count toward the message rate limit, as posts do (429).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from discussions import editing, permissions, selectors
from discussions.api import MESSAGE_ID, THREAD_ID, ThreadMessageDetailView
from discussions.models import DirectMessage, MessageRevision, ThreadMessage
from discussions.serializers import (
    ContentSerializer,
    DirectMessageSerializer,
    ThreadMessageSerializer,
)
from lms.platform.schema import api_errors, api_path_id

DIRECT_MESSAGE_ID = api_path_id("message_id", "The direct message.")


class MessageRevisionSerializer(serializers.ModelSerializer):
    """A message's text before an edit, and when it was replaced."""

    class Meta:
        model = MessageRevision
        fields = ["id", "content", "replaced_at"]
        read_only_fields = fields


def _thread_message(request, thread_id: int, message_id: int, *, write: bool) -> ThreadMessage:
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread, write=write)
    message = ThreadMessage.objects.filter(pk=message_id, thread=thread).first()
    if message is None:
        raise Http404("No such message.")
    message.thread = thread
    return message


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID])
class ThreadMessageEditView(ThreadMessageDetailView):
    @extend_schema(
        request=ContentSerializer,
        responses={200: ThreadMessageSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def patch(self, request, thread_id: int, message_id: int):
        """Edit `{"content"}` of my own message within the edit window. Others' messages,
        hidden ones, a closed thread (students) and a mute: 403."""
        message = _thread_message(request, thread_id, message_id, write=True)
        body = ContentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = editing.thread_message_edit(
            message=message, editor=request.user, content=body.validated_data["content"]
        )
        return Response(ThreadMessageSerializer(message).data)


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID])
class ThreadMessageRevisionsView(APIView):
    @extend_schema(
        responses={200: MessageRevisionSerializer(many=True), **api_errors(401, 403, 404)}
    )
    def get(self, request, thread_id: int, message_id: int):
        """The earlier texts of a message, oldest first: the course's instructor and staff."""
        message = _thread_message(request, thread_id, message_id, write=False)
        if not permissions.can_moderate(request.user, message.thread.course):
            raise PermissionDenied(
                "Only the course's instructor and staff see earlier versions of a message."
            )
        revisions = editing.thread_message_revisions(message=message)
        return Response(MessageRevisionSerializer(revisions, many=True).data)


@extend_schema(parameters=[DIRECT_MESSAGE_ID])
class DirectMessageDetailView(APIView):
    @extend_schema(
        request=ContentSerializer,
        responses={200: DirectMessageSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def patch(self, request, message_id: int):
        """Edit `{"content"}` of a direct message I sent, within the edit window. A message
        I received: 403; one of another conversation: 404."""
        message = DirectMessage.objects.filter(
            Q(sender=request.user) | Q(recipient=request.user), pk=message_id
        ).first()
        if message is None:
            raise Http404("No such message.")
        body = ContentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = editing.direct_message_edit(
            message=message, editor=request.user, content=body.validated_data["content"]
        )
        return Response(DirectMessageSerializer(message).data)
