from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from leaderboard.selectors import leaderboard_board
from leaderboard.serializers import LeaderboardQuerySerializer, LeaderboardSerializer
from lms.catalog.permissions import course_member_or_error
from lms.platform.schema import ErrorSerializer, api_errors

NOT_YOURS = "Only the course's students, its instructor and staff see its leaderboard."


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
            course_member_or_error(user=request.user, course_id=course_id, denied=NOT_YOURS)
        board = leaderboard_board(
            user=request.user, course=course_id, limit=params.validated_data["limit"]
        )
        return Response({"course": course_id, **board})
