"""Shapes of the teaching API: taught courses, roster rows, a student's detail."""

from rest_framework import serializers

from teaching.selectors import ROSTER_PAGE_SIZE, ROSTER_PAGE_SIZE_MAX, SORTS, STATUSES


class TaughtCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    is_published = serializers.BooleanField()
    instructor = serializers.IntegerField(source="instructor_id")
    enrolled_count = serializers.IntegerField()
    completed_count = serializers.IntegerField()
    average_progress = serializers.IntegerField(help_text="Rounded mean progress, 0-100.")
    online_count = serializers.IntegerField(help_text="Students online now (docs/teaching.md).")


class RosterRowSerializer(serializers.Serializer):
    """A student in a course's roster (also the data of `roster.updated`, without `online`)."""

    user_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    progress = serializers.IntegerField()
    status = serializers.ChoiceField(choices=STATUSES)
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_active = serializers.DateField(
        help_text="The last day with activity in the course, else the day of enrollment."
    )
    modules_completed = serializers.IntegerField()
    modules_total = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="Mean lesson score in the course.")
    online = serializers.BooleanField(required=False)


class OnlineStudentSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()


class RosterPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = RosterRowSerializer(many=True)
    online_now = OnlineStudentSerializer(many=True)


class RosterQuerySerializer(serializers.Serializer):
    """The roster's filters, sort and page (query parameters)."""

    status = serializers.ChoiceField(choices=STATUSES, required=False)
    inactive_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    online = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="name")
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=ROSTER_PAGE_SIZE_MAX, required=False, default=ROSTER_PAGE_SIZE
    )


class LessonProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class ModuleProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    lessons = LessonProgressSerializer(many=True)


class QuizAttemptRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lesson_id = serializers.IntegerField()
    lesson_title = serializers.CharField()
    number = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    started_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class ActivityDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    seconds = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()


class StudentDetailSerializer(serializers.Serializer):
    student = RosterRowSerializer(source="row")
    modules = ModuleProgressSerializer(many=True)
    quiz_attempts = QuizAttemptRowSerializer(many=True)
    activity = ActivityDaySerializer(many=True, help_text="Newest day first, up to 60 days.")
    seconds_total = serializers.IntegerField(help_text="Active seconds in the course, all days.")
