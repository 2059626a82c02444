from rest_framework import serializers

from lms.catalog.models import Course, Enrollment, Lesson, Module, User


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# A blank avatar is "", which a URL field's schema would refuse.
AVATAR_HELP = "Image URL; empty when the user has none."


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


# The fields every shape of a course has, in their order.
COURSE_FIELDS = [
    "id",
    "title",
    "description",
    "instructor",
    "instructor_detail",
    "is_published",
]


class CourseSerializer(serializers.ModelSerializer):
    """A catalog entry; `instructor` is the instructor's user id."""

    instructor_detail = InstructorSerializer(source="instructor", read_only=True)
    module_count = serializers.IntegerField(read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [*COURSE_FIELDS, "module_count", "lesson_count", "created_at", "updated_at"]
        read_only_fields = fields


class CourseDetailSerializer(serializers.ModelSerializer):
    """A course with its modules and their lessons, in order."""

    instructor_detail = InstructorSerializer(source="instructor", read_only=True)
    modules = ModuleSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [*COURSE_FIELDS, "created_at", "updated_at", "modules"]
        read_only_fields = fields


class EnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrollment
        fields = ["id", "course", "progress", "enrolled_at", "completed_at"]
        read_only_fields = fields
