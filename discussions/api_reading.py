"""The REST API of read positions, follows and conversation presence (docs/discussions.md).

POST   /api/threads/{id}/read/       {"last_read_id": n}: my position moves forward
POST   /api/threads/{id}/follow/     follow (204)
DELETE /api/threads/{id}/follow/     unfollow (204)
GET    /api/discussions/unread/      per course I take part in: unread threads and messages
GET    /api/messages/presence/?with= whether my conversation partner is online
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from discussions import permissions, reading, selectors
from discussions.models import DiscussionThread
from lms.catalog.models import User
from lms.platform.schema import api_errors, api_path_id
from lms.realtime.presence import user_is_online

THREAD_ID = api_path_id("thread_id", "The thread.")
MAX_ID = 2**63 - 1


class ThreadReadSerializer(serializers.Serializer):
    last_read_id = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        help_text="The highest message id I saw; clamped to the thread's last message.",
    )


class ThreadReadResultSerializer(serializers.Serializer):
    thread = serializers.IntegerField()
    course = serializers.IntegerField()
    last_read_id = serializers.IntegerField(help_text="My position now (it never moves back).")
    unread = serializers.IntegerField(help_text="Messages still new for me in the thread.")
    first_unread_id = serializers.IntegerField(allow_null=True)


class CourseUnreadSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    unread_threads = serializers.IntegerField()
    unread_messages = serializers.IntegerField()


class PartnerPresenceSerializer(serializers.Serializer):
    def get_fields(self):
        # "with" is a Python keyword, so the field cannot be a class attribute.
        return {
            "with": serializers.IntegerField(help_text="The other user's id."),
            "online": serializers.BooleanField(help_text="Whether they have the site open."),
        }


def _member_thread(request, thread_id: int) -> DiscussionThread:
    """The thread as its page answers: 404 unless I may see it, 403 once closed to me."""
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread)
    return thread


@extend_schema(parameters=[THREAD_ID])
class ThreadReadView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(
        request=ThreadReadSerializer,
        responses={200: ThreadReadResultSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def post(self, request, thread_id: int):
        """I read the thread up to `last_read_id`: my position moves forward only, and my
        other tabs and devices hear `thread.read`. A closed thread (to a student): 403."""
        thread = _member_thread(request, thread_id)
        body = ThreadReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        position = reading.thread_read_mark(
            user=request.user, thread=thread, last_read_id=body.validated_data["last_read_id"]
        )
        unread = reading.thread_unread(user=request.user, thread=thread)
        return Response(
            {
                "thread": thread.pk,
                "course": thread.course_id,
                "last_read_id": position,
                "unread": unread.unread,
                "first_unread_id": unread.first_unread_id,
            }
        )


@extend_schema(parameters=[THREAD_ID])
class ThreadFollowView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(request=None, responses={204: None, **api_errors(401, 403, 404, 429)})
    def post(self, request, thread_id: int):
        """Follow the thread: its replies notify me. Idempotent."""
        reading.thread_follow(user=request.user, thread=_member_thread(request, thread_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None, **api_errors(401, 403, 404, 429)})
    def delete(self, request, thread_id: int):
        """Unfollow: no reply notifications any more (a mention still reaches me; posting in
        the thread follows it again). Idempotent."""
        reading.thread_unfollow(user=request.user, thread=_member_thread(request, thread_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DiscussionsUnreadView(APIView):
    @extend_schema(responses={200: CourseUnreadSerializer(many=True), **api_errors(401)})
    def get(self, request):
        """Every course I am enrolled in or teach, by id, with how many of its threads have
        messages new for me and how many messages those are (zeros included)."""
        return Response(reading.discussions_unread(user=request.user))


class PartnerPresenceView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("with", int, required=True, description="The other user.")],
        responses={200: PartnerPresenceSerializer, **api_errors(400, 401, 404)},
    )
    def get(self, request):
        """Whether the person I am in a conversation with has the site open: for anyone I
        may message or have messages with; 404 otherwise."""
        raw = request.query_params.get("with", "")
        try:
            partner_id = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"with": ["A valid integer is required."]}) from None
        if abs(partner_id) > MAX_ID:
            raise exceptions.ValidationError({"with": ["A valid integer is required."]})
        partner = User.objects.filter(pk=partner_id).first()
        if partner is None or not (
            permissions.dm_can_message(request.user, partner)
            or selectors.conversation_messages(user=request.user, partner_id=partner.pk).exists()
        ):
            raise exceptions.NotFound("No such conversation.")
        return Response({"with": partner.pk, "online": user_is_online(partner.pk)})
