"""The quiz API: a lesson's quiz without its answers, starting and submitting attempts.

Which choices are correct is sent only in the results of a submitted attempt, to its
owner. The course's instructor and staff get the same student view here; they read the
answers in the admin.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.catalog.models import Choice, Question
from lms.catalog.permissions import course_member_or_error
from lms.platform.schema import ErrorSerializer, api_errors, api_path_id
from progress import quizzes
from progress.api import LESSON_ID, lesson_or_404

ATTEMPT_ID = api_path_id("attempt_id", "My quiz attempt.")
INSTRUCTIONS = "Tick every right answer: a question may have one or several."


class QuizChoiceSerializer(serializers.ModelSerializer):
    """A choice as students see it: never whether it is correct."""

    class Meta:
        model = Choice
        fields = ["id", "text"]
        read_only_fields = fields


class QuizQuestionSerializer(serializers.ModelSerializer):
    choices = QuizChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "text", "choices"]
        read_only_fields = fields


class AttemptsSummarySerializer(serializers.Serializer):
    attempts = serializers.IntegerField(help_text="My submitted attempts.")
    best_score = serializers.IntegerField(allow_null=True, help_text="My best score, percent.")
    passed = serializers.BooleanField(help_text="Whether one of my attempts passed.")


class QuizSerializer(serializers.Serializer):
    """A lesson's quiz for the student: questions and choices, no answers."""

    id = serializers.IntegerField(source="quiz.id")
    lesson = serializers.IntegerField(source="quiz.lesson_id")
    pass_mark = serializers.IntegerField(source="quiz.pass_mark", help_text="Percent to pass.")
    pass_required = serializers.BooleanField(
        source="quiz.pass_required",
        help_text="Only a passing attempt completes the lesson; otherwise any submitted one.",
    )
    instructions = serializers.SerializerMethodField()
    questions = QuizQuestionSerializer(many=True)
    my_attempts = AttemptsSummarySerializer(source="summary")

    def get_instructions(self, lesson_quiz) -> str:
        return INSTRUCTIONS


class QuestionResultSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question.id")
    right = serializers.BooleanField(help_text="The ticked choices are exactly the correct ones.")
    chosen = serializers.ListField(child=serializers.IntegerField(), help_text="My choice ids.")
    correct_choices = serializers.ListField(
        source="correct", child=serializers.IntegerField(), help_text="The correct choice ids."
    )


class QuizAttemptSerializer(serializers.Serializer):
    """An attempt; `score`, `passed` and `results` are null until it is submitted."""

    id = serializers.IntegerField(source="attempt.id")
    quiz = serializers.IntegerField(source="attempt.quiz_id")
    lesson = serializers.IntegerField(source="attempt.quiz.lesson_id")
    number = serializers.IntegerField(
        source="attempt.number", help_text="1 for my first attempt at the quiz."
    )
    started_at = serializers.DateTimeField(source="attempt.started_at")
    submitted_at = serializers.DateTimeField(source="attempt.submitted_at", allow_null=True)
    score = serializers.IntegerField(source="attempt.score", allow_null=True)
    passed = serializers.BooleanField(source="attempt.passed", allow_null=True)
    pass_mark = serializers.IntegerField(source="attempt.quiz.pass_mark")
    questions = QuizQuestionSerializer(many=True)
    results = QuestionResultSerializer(many=True, allow_null=True)


class QuizSubmitSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=1)),
        help_text='Question id to the ids of the ticked choices: {"12": [40, 42]}. '
        "A question left out counts as answered with no choice.",
    )


def _lesson_for_member(request, lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    course_member_or_error(user=request.user, course_id=lesson.module.course_id)
    return lesson


@extend_schema(parameters=[LESSON_ID])
class LessonQuizView(APIView):
    """The lesson's quiz: questions and choices without answers, pass mark, and my
    submitted attempts. 404 when the lesson has no quiz."""

    @extend_schema(responses={200: QuizSerializer, **api_errors(401, 403, 404)})
    def get(self, request, lesson_id: int):
        lesson = _lesson_for_member(request, lesson_id)
        lesson_quiz = quizzes.lesson_quiz(user=request.user, lesson=lesson)
        if lesson_quiz is None:
            raise Http404(quizzes.NO_QUIZ)
        return Response(QuizSerializer(lesson_quiz).data)


@extend_schema(parameters=[LESSON_ID])
class QuizAttemptStartView(APIView):
    """Start my next attempt at the lesson's quiz: its number and the questions.

    403 when not enrolled in the course (the instructor and staff do not take quizzes).
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={201: QuizAttemptSerializer, **api_errors(401, 403, 404, 429)},
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson_for_member(request, lesson_id)
        attempt = quizzes.quiz_attempt_start(user=request.user, lesson=lesson)
        detail = quizzes.attempt_detail(attempt=attempt)
        return Response(QuizAttemptSerializer(detail).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[ATTEMPT_ID])
class QuizAttemptView(APIView):
    """My attempt; with its results (the correct choices) once submitted. Another user's
    attempt is a 404."""

    @extend_schema(responses={200: QuizAttemptSerializer, **api_errors(401, 404)})
    def get(self, request, attempt_id: int):
        attempt = quizzes.attempt_of_user_or_404(user=request.user, attempt_id=attempt_id)
        return Response(QuizAttemptSerializer(quizzes.attempt_detail(attempt=attempt)).data)


@extend_schema(parameters=[ATTEMPT_ID])
class QuizAttemptSubmitView(APIView):
    """Submit my answers, once: the score, whether it passed, and per question whether it
    was right with the correct choice ids.

    A passing attempt, or any attempt of a quiz that need not be passed, completes the
    lesson (the progress cascade) with my best score. 400 for ids not of this quiz (nothing
    is stored), 409 when the attempt was submitted already (nothing changes).
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(
        request=QuizSubmitSerializer,
        responses={
            200: QuizAttemptSerializer,
            **api_errors(400, 401, 403, 404, 415, 429),
            409: OpenApiResponse(ErrorSerializer, description="The attempt was submitted already."),
        },
    )
    def post(self, request, attempt_id: int):
        attempt = quizzes.attempt_of_user_or_404(user=request.user, attempt_id=attempt_id)
        params = QuizSubmitSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        attempt = quizzes.quiz_attempt_submit(
            user=request.user, attempt=attempt, answers=params.validated_data["answers"]
        )
        return Response(QuizAttemptSerializer(quizzes.attempt_detail(attempt=attempt)).data)
