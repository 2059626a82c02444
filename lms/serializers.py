from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from lms.models import Course, Lesson, Module, User
from progress.selectors import stats_for
from progress.serializers import LearningStatsSerializer


class ErrorSerializer(serializers.Serializer):
    """An API error: `detail` says what went wrong."""

    detail = serializers.CharField()


API_ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Invalid input: a list of messages per field, or a `detail`.",
    ),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in, or an unknown token."),
    403: OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this."),
    404: OpenApiResponse(
        ErrorSerializer, description="No such object (or not yours), or no such page."
    ),
    415: OpenApiResponse(
        ErrorSerializer, description="The body is not JSON, form data or multipart data."
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many requests: try again after `Retry-After` seconds."
    ),
}


def api_errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, for `extend_schema(responses=...)`."""
    return {code: API_ERRORS[code] for code in codes}


def api_path_id(name: str, description: str) -> OpenApiParameter:
    """An id in a route's `<int:...>` segment: the route only matches digits, so the schema
    says so too (a client sending -1 would otherwise be promised a JSON answer)."""
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description=description
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# A blank avatar is "", which a URL field's schema would refuse.
AVATAR_HELP = "Image URL; empty when the user has none."


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    avatar = serializers.CharField(read_only=True, help_text=AVATAR_HELP)
    stats = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "name",
            "email",
            "role",
            "avatar",
            "is_staff",
            "stats",
        ]
        read_only_fields = fields

    @extend_schema_field(LearningStatsSerializer)
    def get_stats(self, user: User) -> dict:
        return LearningStatsSerializer(stats_for(user=user)).data


class InstructorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    avatar = serializers.CharField(read_only=True, help_text=AVATAR_HELP)

    class Meta:
        model = User
        fields = ["id", "username", "name", "avatar"]
        read_only_fields = fields


class LessonSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "title", "order", "duration_minutes"]
        read_only_fields = fields


class ModuleSerializer(serializers.ModelSerializer):
    lessons = LessonSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Module
        fields = ["id", "title", "description", "order", "lessons"]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    """A catalog entry; `instructor` is the instructor's user id."""

    instructor_detail = InstructorSerializer(source="instructor", read_only=True)
    module_count = serializers.IntegerField(read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "description",
            "instructor",
            "instructor_detail",
            "is_published",
            "module_count",
            "lesson_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CourseDetailSerializer(serializers.ModelSerializer):
    """A course with its modules and their lessons, in order."""

    instructor_detail = InstructorSerializer(source="instructor", read_only=True)
    modules = ModuleSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "description",
            "instructor",
            "instructor_detail",
            "is_published",
            "created_at",
            "updated_at",
            "modules",
        ]
        read_only_fields = fields
