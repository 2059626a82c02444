from dataclasses import asdict

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.platform.schema import api_errors
from notifications import services
from notifications.models import Channel, Notification
from notifications.selectors import (
    notification_list,
    notification_preference_rows,
    notification_unread_count,
)
from notifications.serializers import (
    MarkedReadSerializer,
    NotificationPreferencesSerializer,
    NotificationPreferencesUpdateSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no", ""}


def unread_param(request) -> bool:
    value = request.query_params.get("unread", "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValidationError({"unread": "Use true or false."})


@extend_schema_view(
    retrieve=extend_schema(responses={200: NotificationSerializer, **api_errors(401, 404)}),
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """My notifications, newest first; another user's id is a 404."""

    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Notification.objects.none()
        unread = unread_param(self.request) if self.action == "list" else False
        return notification_list(user=self.request.user, unread=unread)

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="only unread notifications"),
        ],
        responses={200: NotificationSerializer, **api_errors(400, 401, 404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: UnreadCountSerializer, **api_errors(401)})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"count": notification_unread_count(user=request.user)})

    @extend_schema(request=None, responses={200: NotificationSerializer, **api_errors(401, 404)})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            notification_id = int(pk)
        except (TypeError, ValueError) as exc:
            raise NotFound() from exc
        try:
            notification = services.notification_mark_read(
                user=request.user, notification_id=notification_id
            )
        except Notification.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedReadSerializer, **api_errors(401)})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        ids = services.notification_mark_all_read(user=request.user)
        return Response({"ids": ids, "unread_count": notification_unread_count(user=request.user)})


class NotificationPreferencesView(APIView):
    """My channel for every kind of notification: `site` (in the site only), `email` (and
    an email at once), `digest` (and in the email digest) or `off`; `default` is what a
    kind I never chose gets."""

    throttle_scope = "writes"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method in ("PUT", "PATCH") else []

    def _answer(self, request) -> Response:
        rows = notification_preference_rows(user=request.user)
        return Response(
            NotificationPreferencesSerializer(
                {"preferences": [asdict(row) for row in rows], "channels": Channel.values}
            ).data
        )

    @extend_schema(responses={200: NotificationPreferencesSerializer, **api_errors(401)})
    def get(self, request):
        return self._answer(request)

    @extend_schema(
        request=NotificationPreferencesUpdateSerializer,
        responses={
            200: NotificationPreferencesSerializer,
            **api_errors(400, 401, 415, 429),
        },
        examples=[
            OpenApiExample(
                "Replies in the digest, no lesson notifications",
                value={"preferences": {"thread_reply": "digest", "lesson_completed": "off"}},
                request_only=True,
            )
        ],
        description="Set my channel for the kinds given; the other kinds keep theirs. "
        "An unknown kind or channel is a 400 and changes nothing. PUT and PATCH do the same.",
    )
    def patch(self, request):
        params = NotificationPreferencesUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.notification_preferences_set(
            user=request.user, preferences=params.validated_data["preferences"]
        )
        return self._answer(request)

    @extend_schema(
        request=NotificationPreferencesUpdateSerializer,
        responses={
            200: NotificationPreferencesSerializer,
            **api_errors(400, 401, 415, 429),
        },
        description="The same as PATCH: set my channel for the kinds given.",
    )
    def put(self, request):
        return self.patch(request)
