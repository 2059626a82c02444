from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.models import Course, Lesson, Module, User
from progress.selectors import stats_for
from progress.serializers import LearningStatsSerializer


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
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
