"""REST API of discussions and direct messages (docs/discussions.md).

Views parse, look the object up, call the one permission function or a
service, and serialize. A thread the user may not see is a 404; a thread they
see but may not change is a 403.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from discussions import permissions, reading, selectors, services
from discussions.mentions import attach_mentions
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.pagination import HistoryPagination
from discussions.reactions import attach_reactions
from discussions.serializers import (
    ContentSerializer,
    ConversationReadSerializer,
    ConversationSerializer,
    DirectMessageCreateSerializer,
    DirectMessageSerializer,
    ThreadCreateSerializer,
    ThreadMemberQuerySerializer,
    ThreadMemberSerializer,
    ThreadMessageSerializer,
    ThreadReadingSerializer,
    ThreadSerializer,
    ThreadUpdateSerializer,
)
from lms.catalog.models import Course, User
from lms.platform.schema import api_errors, api_path_id

THREAD_ID = api_path_id("thread_id", "The thread.")
MESSAGE_ID = api_path_id("message_id", "The message in that thread.")
MEMBER_SUGGESTIONS = 8


MAX_ID = 2**63 - 1


def _query_int(request, name: str, *, required: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if required:
            raise exceptions.ValidationError({name: ["This query parameter is required."]})
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    # An id past 64 bits names no row, and some databases cannot even compare it.
    if value is None or abs(value) > MAX_ID:
        raise exceptions.ValidationError({name: ["A valid integer is required."]})
    return value


def _visible_thread(request, thread_id) -> DiscussionThread:
    """The thread if the user may see it; a 404 otherwise, whether it exists or not."""
    thread = selectors.thread_find(thread_id=thread_id)
    if thread is None or permissions.thread_access(request.user, thread) is None:
        raise Http404("No such thread.")
    return thread


def _user_or_400(user_id: int, field: str) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise exceptions.ValidationError({field: ["Unknown user."]})
    return user


class ThreadListView(generics.ListAPIView):
    """Threads I may see (`?course=` to narrow to one course), most recently active first."""

    serializer_class = ThreadReadingSerializer

    def get_queryset(self):
        course_id = _query_int(self.request, "course")
        threads = selectors.threads_list(user=self.request.user, course_id=course_id)
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return threads
        return reading.threads_with_reading(threads, user=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("course", int, description="Only this course's threads.")],
        responses={200: ThreadReadingSerializer, **api_errors(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ThreadCreateSerializer,
        responses={201: ThreadSerializer, **api_errors(400, 401, 403, 415)},
    )
    def post(self, request):
        """Open a thread. An unknown course is a 400; a course I am not part of is a 403."""
        body = ThreadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        course = Course.objects.filter(pk=body.validated_data["course"]).first()
        if course is None:
            raise exceptions.ValidationError({"course": ["Unknown course."]})
        thread = services.thread_create(
            course=course, created_by=request.user, title=body.validated_data["title"]
        )
        return Response(ThreadSerializer(thread).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[THREAD_ID])
class ThreadDetailView(APIView):
    serializer_class = ThreadSerializer

    @extend_schema(responses={200: ThreadSerializer, **api_errors(401, 404)})
    def get(self, request, thread_id: int):
        return Response(ThreadSerializer(_visible_thread(request, thread_id)).data)

    @extend_schema(
        request=ThreadUpdateSerializer,
        responses={200: ThreadSerializer, **api_errors(400, 401, 403, 404, 415)},
    )
    def patch(self, request, thread_id: int):
        """Rename, close (`is_active: false`) or reopen: the creator, the instructor, staff."""
        thread = _visible_thread(request, thread_id)
        if not permissions.thread_can_moderate(request.user, thread):
            raise exceptions.PermissionDenied(
                "Only the thread's creator, the instructor and staff may change it."
            )
        body = ThreadUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        thread = services.thread_update(thread=thread, actor=request.user, **body.validated_data)
        return Response(ThreadSerializer(thread).data)


@extend_schema(parameters=[THREAD_ID])
@extend_schema_view(
    get=extend_schema(responses={200: ThreadMessageSerializer, **api_errors(400, 401, 404)})
)
class ThreadMessagesView(generics.ListAPIView):
    """A thread's messages: newest page first, oldest to newest within it; `next` is older."""

    serializer_class = ThreadMessageSerializer
    pagination_class = HistoryPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return ThreadMessage.objects.none()
        self.thread = _visible_thread(self.request, self.kwargs["thread_id"])
        return selectors.thread_messages(thread=self.thread)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        attach_mentions(page, thread=self.thread)  # one query for the page's mentions
        attach_reactions(page, viewer=request.user)  # and one for their reactions
        return self.get_paginated_response(ThreadMessageSerializer(page, many=True).data)

    @extend_schema(
        request=ContentSerializer,
        responses={201: ThreadMessageSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def post(self, request, thread_id: int):
        """Post `{"content"}`. Students may not post in a closed thread (403)."""
        # A closed thread is hidden from its students, but posting there is refused
        # as such (403), so a client holding a stale page learns why.
        # A muted student is refused by the service (403), which checks that for every post.
        thread = selectors.thread_find(thread_id=thread_id)
        grant = permissions.thread_member_or_error(request.user, thread)
        body = ContentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.thread_message_post(
            thread=thread, sender=request.user, content=body.validated_data["content"], grant=grant
        )
        return Response(ThreadMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class MemberSearchThrottle(UserRateThrottle):
    """Suggestions follow typing: generous, but bounded per user."""

    scope = "member-search"
    rate = "120/min"


@extend_schema(parameters=[THREAD_ID])
class ThreadMembersView(APIView):
    throttle_classes = [MemberSearchThrottle]

    @extend_schema(
        parameters=[ThreadMemberQuerySerializer],
        responses={200: ThreadMemberSerializer(many=True), **api_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, thread_id: int):
        """Up to 8 people who may read the thread whose username, first or last name starts
        with `q`: the suggestions of an @mention. Myself excluded. A member of the course
        asking for a closed thread: 403; a thread I may not see: 404."""
        thread = selectors.thread_find(thread_id=thread_id)
        permissions.thread_member_or_error(request.user, thread)
        query = ThreadMemberQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prefix = query.validated_data.get("q", "").strip().lstrip("@")
        members = selectors.thread_members_search(
            thread=thread, prefix=prefix, exclude_user_id=request.user.pk, limit=MEMBER_SUGGESTIONS
        )
        return Response(ThreadMemberSerializer(members, many=True).data)


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID])
class ThreadMessageDetailView(APIView):
    @extend_schema(request=None, responses={204: None, **api_errors(401, 403, 404)})
    def delete(self, request, thread_id: int, message_id: int):
        """Delete a message: staff, the instructor, or its author within the delete window."""
        thread = _visible_thread(request, thread_id)
        message = ThreadMessage.objects.filter(pk=message_id, thread=thread).first()
        if message is None:
            raise Http404("No such message.")
        message.thread = thread
        services.thread_message_delete(message=message, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(responses={200: ConversationSerializer, **api_errors(401, 404)})
)
class ConversationListView(generics.ListAPIView):
    """My conversations, the most recent first, with the last message and my unread count."""

    serializer_class = ConversationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return DirectMessage.objects.none()
        return selectors.conversations(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = selectors.conversations_hydrate(page)
        return self.get_paginated_response(ConversationSerializer(rows, many=True).data)


class DirectMessagesView(generics.ListAPIView):
    """`?with=<user id>`: our conversation, newest page first, oldest to newest within it."""

    serializer_class = DirectMessageSerializer
    pagination_class = HistoryPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return DirectMessage.objects.none()
        partner_id = _query_int(self.request, "with", required=True)
        return selectors.conversation_messages(user=self.request.user, partner_id=partner_id)

    @extend_schema(
        parameters=[OpenApiParameter("with", int, required=True, description="The other user.")],
        responses={200: DirectMessageSerializer, **api_errors(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DirectMessageCreateSerializer,
        responses={201: DirectMessageSerializer, **api_errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        """Send `{"recipient", "content"}`. Unknown recipient: 400; not allowed: 403."""
        body = DirectMessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        recipient = _user_or_400(body.validated_data["recipient"], "recipient")
        message = services.direct_message_send(
            sender=request.user, recipient=recipient, content=body.validated_data["content"]
        )
        return Response(DirectMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ConversationReadView(APIView):
    @extend_schema(
        request=ConversationReadSerializer,
        responses={
            200: inline_serializer(
                "ConversationRead",
                {
                    "with": serializers.IntegerField(),
                    "ids": serializers.ListField(child=serializers.IntegerField()),
                    "unread_count": serializers.IntegerField(),
                },
            ),
            **api_errors(400, 401, 415),
        },
    )
    def post(self, request):
        """`{"with": user_id}`: mark what that user sent me read; returns the ids and my count."""
        body = ConversationReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        partner = User.objects.filter(pk=body.validated_data["with"]).first()
        if partner is None or partner.pk == request.user.pk:
            raise exceptions.ValidationError({"with": ["Unknown user."]})
        return Response(services.conversation_mark_read(user=request.user, partner=partner))


class UnreadCountView(APIView):
    @extend_schema(
        responses={
            200: inline_serializer("DmUnreadCount", {"count": serializers.IntegerField()}),
            **api_errors(401),
        }
    )
    def get(self, request):
        """How many direct messages sent to me I have not read."""
        return Response({"count": selectors.dm_unread_count(user=request.user)})
