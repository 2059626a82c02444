"""REST API of moderation: reports, hiding, mutes, pins, accepted answers, blocks
(docs/discussions.md, "Moderation").

A course or thread the user may not see is a 404; one they see but may not
moderate is a 403. Writes are throttled by the "writes" scope.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from discussions import moderation, permissions, selectors
from discussions.models import (
    REPORT_REASON_MAX_LENGTH,
    CourseMute,
    DiscussionThread,
    MessageReport,
    ThreadMessage,
    UserBlock,
)
from discussions.serializers import TextInputField, ThreadSerializer, UserBriefSerializer
from lms.catalog.models import Course, User
from lms.catalog.permissions import course_member_or_error
from lms.platform.schema import api_errors, api_path_id

THREAD_ID = api_path_id("thread_id", "The thread.")
MESSAGE_ID = api_path_id("message_id", "The message in that thread.")
COURSE_ID = api_path_id("course_id", "The course.")
REPORT_ID = api_path_id("report_id", "The report.")
USER_ID = api_path_id("user_id", "The other user.")


class WriteThrottled:
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    def get_throttles(self):
        # Reads of a view that also writes are not counted against the write rate.
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return []
        return super().get_throttles()


# ----------------------------------------------------------------------- serializers


class ReportCreateSerializer(serializers.Serializer):
    reason = TextInputField(help_text=f"Why: 1 to {REPORT_REASON_MAX_LENGTH} characters.")


class ReportSerializer(serializers.ModelSerializer):
    """A report as its reporter sees it."""

    class Meta:
        model = MessageReport
        fields = ["id", "message", "reason", "status", "created_at"]
        read_only_fields = fields


class ReportedMessageBriefSerializer(serializers.ModelSerializer):
    sender = UserBriefSerializer(read_only=True)
    url = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField()

    class Meta:
        model = ThreadMessage
        fields = ["id", "thread", "sender", "content", "created_at", "hidden", "url"]
        read_only_fields = fields

    def get_url(self, message: ThreadMessage) -> str:
        return moderation.message_url(message)

    def get_hidden(self, message: ThreadMessage) -> bool:
        return message.hidden_at is not None


class ModeratorReportSerializer(serializers.ModelSerializer):
    """A report as the course's moderators see it: with the message (even hidden)."""

    reporter = UserBriefSerializer(read_only=True)
    message = ReportedMessageBriefSerializer(read_only=True)

    class Meta:
        model = MessageReport
        fields = [
            "id",
            "message",
            "reporter",
            "reason",
            "status",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class ResolvedSerializer(serializers.Serializer):
    message = serializers.IntegerField(help_text="The reported message.")
    status = serializers.ChoiceField(choices=MessageReport.Status.choices)
    resolved = serializers.IntegerField(help_text="How many open reports this resolved.")


class ModerationCountsSerializer(serializers.Serializer):
    open_reports = serializers.IntegerField()
    reported_messages = serializers.IntegerField()
    muted_students = serializers.IntegerField()


class HiddenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField()
    hidden = serializers.BooleanField()


class MuteCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The student to mute.")
    minutes = serializers.IntegerField(required=False, help_text="How long, from now.")
    until = serializers.DateTimeField(required=False, help_text="Or: until when.")
    reason = TextInputField(required=False, help_text="Shown to the student.")

    def validate(self, attrs):
        if ("minutes" in attrs) == ("until" in attrs):
            raise serializers.ValidationError("Give either `minutes` or `until`.")
        return attrs


class MuteSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = CourseMute
        fields = ["course", "user", "until", "reason", "created_by", "created_at"]
        read_only_fields = fields


class AcceptSerializer(serializers.Serializer):
    message = serializers.IntegerField(help_text="A message of the thread.")


class BlockCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The user to block.")


class BlockSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(source="blocked", read_only=True)

    class Meta:
        model = UserBlock
        fields = ["user", "created_at"]
        read_only_fields = fields


# --------------------------------------------------------------------------- lookups


def _thread(request, thread_id, *, write: bool = False) -> DiscussionThread:
    """The thread as the API answers it: 404 unless seen, 403 once closed to me."""
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread, write=write)
    return thread


def _message(request, thread: DiscussionThread, message_id) -> ThreadMessage:
    """A message of the thread; a hidden one only for the course's moderators."""
    message = (
        ThreadMessage.objects.select_related("sender").filter(pk=message_id, thread=thread).first()
    )
    if message is None or (
        message.hidden_at is not None and not permissions.can_moderate(request.user, thread.course)
    ):
        raise Http404("No such message.")
    message.thread = thread
    return message


def _moderated_course(request, course_id) -> Course:
    """The course if I moderate it: 404 unknown (or not mine to see), 403 otherwise."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    if not permissions.can_moderate(request.user, course):
        course_member_or_error(user=request.user, course_id=course.pk)
        raise exceptions.PermissionDenied(moderation.NOT_A_MODERATOR)
    return course


def _user_or_400(user_id: int, field: str) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise exceptions.ValidationError({field: ["Unknown user."]})
    return user


# ----------------------------------------------------------------------------- views


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID])
class MessageReportView(WriteThrottled, APIView):
    @extend_schema(
        request=ReportCreateSerializer,
        responses={
            201: ReportSerializer,
            200: ReportSerializer,
            **api_errors(400, 401, 403, 404, 415, 429),
        },
    )
    def post(self, request, thread_id: int, message_id: int):
        """Report a message I may read (not mine) to the course's moderators; its author is
        not told. Reporting the same message again answers 200 with my first report."""
        thread = _thread(request, thread_id)
        message = _message(request, thread, message_id)
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report, created = moderation.message_report(
            message=message, reporter=request.user, reason=body.validated_data["reason"]
        )
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(parameters=[COURSE_ID])
@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[choice for choice, _label in MessageReport.Status.choices],
                description="Only reports with this status.",
            )
        ],
        responses={200: ModeratorReportSerializer, **api_errors(400, 401, 403, 404)},
    )
)
class CourseReportsView(generics.ListAPIView):
    """The reports of the course's messages, oldest first: its moderators only."""

    serializer_class = ModeratorReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return MessageReport.objects.none()
        course = _moderated_course(self.request, self.kwargs["course_id"])
        wanted = self.request.query_params.get("status") or None
        if wanted is not None and wanted not in MessageReport.Status.values:
            raise exceptions.ValidationError({"status": ["Unknown status."]})
        return moderation.reports_of_course(course=course, status=wanted)


@extend_schema(parameters=[COURSE_ID])
class CourseModerationView(APIView):
    @extend_schema(responses={200: ModerationCountsSerializer, **api_errors(401, 403, 404)})
    def get(self, request, course_id: int):
        """The queue's counts: open reports, reported messages, students muted now."""
        course = _moderated_course(request, course_id)
        return Response(moderation.moderation_counts(course=course))


@extend_schema(parameters=[REPORT_ID])
class ReportDismissView(WriteThrottled, APIView):
    @extend_schema(request=None, responses={200: ResolvedSerializer, **api_errors(401, 404, 429)})
    def post(self, request, report_id: int):
        """Dismiss the report, with every other open report of the same message (the message
        stays). A report of a course I do not moderate: 404."""
        report = MessageReport.objects.select_related("message__thread__course").filter(
            pk=report_id
        )
        report = report.first()
        if report is None or not permissions.can_moderate(
            request.user, report.message.thread.course
        ):
            raise Http404("No such report.")
        resolved = moderation.reports_dismiss(message=report.message, actor=request.user)
        return Response(
            {
                "message": report.message_id,
                "status": MessageReport.Status.DISMISSED,
                "resolved": resolved,
            }
        )


@extend_schema(parameters=[THREAD_ID, MESSAGE_ID])
class MessageHideView(WriteThrottled, APIView):
    hide = True

    @extend_schema(
        request=None, responses={200: HiddenSerializer, **api_errors(401, 403, 404, 429)}
    )
    def post(self, request, thread_id: int, message_id: int):
        """Hide the message from everyone (`hide/`), or show it again (`unhide/`): the
        course's moderators. Hiding resolves its open reports as `hidden`."""
        thread = _thread(request, thread_id)
        message = _message(request, thread, message_id)
        service = moderation.message_hide if self.hide else moderation.message_unhide
        message = service(message=message, actor=request.user)
        return Response(
            {"id": message.pk, "thread": thread.pk, "hidden": message.hidden_at is not None}
        )


@extend_schema(parameters=[COURSE_ID])
class CourseMutesView(WriteThrottled, APIView):
    @extend_schema(responses={200: MuteSerializer(many=True), **api_errors(401, 403, 404)})
    def get(self, request, course_id: int):
        """The students muted in the course now: its moderators only."""
        course = _moderated_course(request, course_id)
        return Response(
            MuteSerializer(moderation.course_mutes_active(course=course), many=True).data
        )

    @extend_schema(
        request=MuteCreateSerializer,
        responses={201: MuteSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def post(self, request, course_id: int):
        """Mute a student of the course for `minutes` or `until` a time: they still read, but
        post, open threads, edit and react nowhere in the course until then."""
        course = _moderated_course(request, course_id)
        body = MuteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        mute = moderation.course_mute(
            course=course,
            user=_user_or_400(data["user"], "user"),
            actor=request.user,
            minutes=data.get("minutes"),
            until=data.get("until"),
            reason=data.get("reason", ""),
        )
        return Response(MuteSerializer(mute).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[COURSE_ID, USER_ID])
class CourseMuteDetailView(WriteThrottled, APIView):
    @extend_schema(request=None, responses={204: None, **api_errors(401, 403, 404, 429)})
    def delete(self, request, course_id: int, user_id: int):
        """Lift the student's mute (204 whether or not there was one)."""
        course = _moderated_course(request, course_id)
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise Http404("No such user.")
        moderation.course_unmute(course=course, user=user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[THREAD_ID])
class ThreadPinView(WriteThrottled, APIView):
    @extend_schema(
        request=None, responses={200: ThreadSerializer, **api_errors(401, 403, 404, 429)}
    )
    def post(self, request, thread_id: int):
        """Pin the thread at the top of its course's list: the course's moderators."""
        return self._pin(request, thread_id, True)

    @extend_schema(
        request=None, responses={200: ThreadSerializer, **api_errors(401, 403, 404, 429)}
    )
    def delete(self, request, thread_id: int):
        """Unpin the thread."""
        return self._pin(request, thread_id, False)

    def _pin(self, request, thread_id: int, pinned: bool) -> Response:
        thread = _thread(request, thread_id)
        thread = moderation.thread_pin(thread=thread, actor=request.user, pinned=pinned)
        return Response(ThreadSerializer(thread).data)


@extend_schema(parameters=[THREAD_ID])
class ThreadAcceptView(WriteThrottled, APIView):
    @extend_schema(
        request=AcceptSerializer,
        responses={200: ThreadSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def post(self, request, thread_id: int):
        """Mark `{"message"}` the accepted answer: the thread's creator or a moderator. A
        hidden, deleted or other thread's message: 400."""
        thread = _thread(request, thread_id, write=True)
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = ThreadMessage.objects.filter(
            pk=body.validated_data["message"], thread=thread, hidden_at__isnull=True
        ).first()
        if message is None:
            raise exceptions.ValidationError({"message": ["No such message in this thread."]})
        thread = moderation.thread_accept(thread=thread, actor=request.user, message=message)
        return Response(ThreadSerializer(thread).data)

    @extend_schema(
        request=None, responses={200: ThreadSerializer, **api_errors(401, 403, 404, 429)}
    )
    def delete(self, request, thread_id: int):
        """Clear the accepted answer."""
        thread = _thread(request, thread_id, write=True)
        thread = moderation.thread_accept(thread=thread, actor=request.user, message=None)
        return Response(ThreadSerializer(thread).data)


@extend_schema_view(get=extend_schema(responses={200: BlockSerializer, **api_errors(401, 404)}))
class BlocksView(WriteThrottled, generics.ListAPIView):
    """The users I blocked, the most recent first."""

    serializer_class = BlockSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return UserBlock.objects.none()
        return moderation.blocks_of(user=self.request.user)

    @extend_schema(
        request=BlockCreateSerializer,
        responses={
            201: BlockSerializer,
            200: BlockSerializer,
            **api_errors(400, 401, 415, 429),
        },
    )
    def post(self, request):
        """Block `{"user"}`: from then on neither of us can message the other; they are not
        told. Blocking again answers 200."""
        body = BlockCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        blocked = _user_or_400(body.validated_data["user"], "user")
        block, created = moderation.user_block(blocker=request.user, blocked=blocked)
        return Response(
            BlockSerializer(block).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(parameters=[USER_ID])
class BlockDetailView(WriteThrottled, APIView):
    @extend_schema(request=None, responses={204: None, **api_errors(401, 404, 429)})
    def delete(self, request, user_id: int):
        """Unblock the user: 404 if I had not blocked them."""
        blocked = User.objects.filter(pk=user_id).first()
        if blocked is None or not moderation.user_unblock(blocker=request.user, blocked=blocked):
            raise Http404("You have not blocked this user.")
        return Response(status=status.HTTP_204_NO_CONTENT)
