"""REST API of search: a course's discussions, and my direct messages (docs/discussions.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.throttling import UserRateThrottle

from discussions import search
from discussions.models import DirectMessage
from discussions.serializers import UserBriefSerializer
from lms.catalog.permissions import course_member_or_error
from lms.platform.schema import api_errors, api_path_id

COURSE_ID = api_path_id("course_id", "The course whose discussions to search.")
SEARCH_RATE = "60/min"


class SearchThrottle(UserRateThrottle):
    """Searches of one user, over the API and the pages alike."""

    scope = "search"
    rate = SEARCH_RATE


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"What to look for, 1 to {search.QUERY_MAX_LENGTH} characters after trimming. "
        'PostgreSQL reads it as a web search: words, "a phrase", -excluded, or.',
    )

    def validate_q(self, value: str) -> str:
        try:
            return search.clean_query(value)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict["q"]) from error


class SearchResultSerializer(serializers.Serializer):
    """A thread, a thread message or a direct message that matches."""

    type = serializers.ChoiceField(
        choices=[search.THREAD, search.MESSAGE, search.DIRECT_MESSAGE], read_only=True
    )
    id = serializers.IntegerField(read_only=True, help_text="The thread's or the message's id.")
    thread = serializers.IntegerField(read_only=True, allow_null=True)
    course = serializers.IntegerField(read_only=True, allow_null=True)
    title = serializers.CharField(
        read_only=True,
        help_text="The thread's title; for a direct message, the other person's name.",
    )
    snippet = serializers.CharField(
        read_only=True,
        help_text="HTML: the matching text, escaped, with each match in <mark>...</mark>.",
    )
    sender = UserBriefSerializer(read_only=True)
    partner = UserBriefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The page that shows it.")


class _SearchView(generics.ListAPIView):
    serializer_class = SearchResultSerializer
    throttle_classes = [SearchThrottle]

    def authorize(self) -> None:
        """Refuse (403/404) before reading the query, as the pages do."""

    def hits(self, text: str):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema
            return DirectMessage.objects.none()
        self.authorize()
        query = SearchQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        self.text = query.validated_data["q"]
        return self.hits(self.text)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        results = search.search_results(page, user=request.user, text=self.text)
        return self.get_paginated_response(SearchResultSerializer(results, many=True).data)


@extend_schema(parameters=[COURSE_ID])
@extend_schema_view(
    get=extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultSerializer, **api_errors(400, 401, 403, 404, 429)},
    )
)
class CourseSearchView(_SearchView):
    """Search the course's threads (titles) and their messages: the best matches first.

    What the course's discussion pages show me, and only that: students search the
    open threads, the instructor and staff every thread; never a hidden message.
    An unknown or unpublished course: 404; one I take no part in: 403."""

    def authorize(self) -> None:
        course_member_or_error(user=self.request.user, course_id=self.kwargs["course_id"])

    def hits(self, text: str):
        return search.course_search(
            user=self.request.user, course_id=self.kwargs["course_id"], text=text
        )


@extend_schema_view(
    get=extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultSerializer, **api_errors(400, 401, 404, 429)},
    )
)
class DirectMessageSearchView(_SearchView):
    """Search the direct messages I sent or received: the best matches first."""

    def hits(self, text: str):
        return search.direct_message_search(user=self.request.user, text=text)
