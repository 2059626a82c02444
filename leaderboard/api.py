from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from leaderboard.serializers import LeaderboardQuerySerializer, LeaderboardSerializer
from leaderboard.services import leaderboard_viewer_board
from leaderboard.topics import leaderboard_course_authorize
from lms.models import Course
from lms.serializers import ErrorSerializer, api_errors


def course_board_or_error(*, user, course_id: int) -> None:
    """404 for a course that does not exist or that the user cannot see at all (an
    unpublished one), 403 for a published course whose board is not theirs."""
    if leaderboard_course_authorize(user, course_id=course_id) is not None:
        return
    published = Course.objects.filter(pk=course_id).values_list("is_published", flat=True).first()
    if not published:
        raise NotFound("No such course.")
    raise PermissionDenied(
        "Only the course's students, its instructor and staff see its leaderboard."
    )


class LeaderboardView(APIView):
    """The global board, or a course's board with `?course=`.

    `entries` are the top `limit` (default LEADERBOARD_DEFAULT_LIMIT, at most
    100) active students, by points then user id; `me` is the caller's own
    entry wherever they rank, or null when they are not on the board (staff,
    instructors, inactive accounts, not enrolled in the course). Not paginated:
    ranks are positions, and `limit` is the page size. 400 on a bad parameter.
    """

    @extend_schema(
        parameters=[LeaderboardQuerySerializer],
        responses={
            200: LeaderboardSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="A parameter is not valid."),
            403: OpenApiResponse(ErrorSerializer, description="Not a member of that course."),
            404: OpenApiResponse(ErrorSerializer, description="No such (visible) course."),
            **api_errors(401),
        },
    )
    def get(self, request):
        params = LeaderboardQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        course_id = params.validated_data.get("course")
        if course_id is not None:
            course_board_or_error(user=request.user, course_id=course_id)
        board = leaderboard_viewer_board(
            user=request.user, course_id=course_id, limit=params.validated_data["limit"]
        )
        return Response({"course": course_id, **board})
