"""The learner's pages: the dashboard, "My progress", a course with my progress in it, a
lesson, and the forms that complete lessons; the public certificate check."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lms.catalog import selectors as catalog
from lms.catalog.models import Lesson
from lms.catalog.permissions import course_access, course_is_visible, course_member_or_error
from lms.realtime.registry import Role
from notifications.forms import AnnouncementForm
from notifications.selectors import announcement_list
from progress import quizzes, selectors, services
from progress.models import Achievement

# The activity chart: a calendar heat map, one column per week (Monday first), one cell per
# day. Sizes are SVG user units; the stylesheet scales the whole picture.
CELL, GAP = 12, 3
STEP = CELL + GAP
CHART_LEFT, CHART_TOP = 30, 18  # room for weekday and month labels
# Minutes from which a day gets the next shade (a day with any activity is at least 1).
ACTIVITY_LEVELS = (15, 30, 60)
WEEKDAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri"}
# Announcements listed on the course page; the rest on the course's announcements page.
COURSE_PAGE_ANNOUNCEMENTS = 10
TEACHING_ROLES = (Role.INSTRUCTOR, Role.STAFF)


def activity_level(*, seconds: int, lessons_completed: int) -> int:
    """0 for a day without activity, else 1-4 by minutes (ACTIVITY_LEVELS)."""
    if not seconds and not lessons_completed:
        return 0
    minutes = seconds // 60
    return 1 + sum(minutes >= threshold for threshold in ACTIVITY_LEVELS)


def activity_chart(activity: list[dict]) -> dict:
    """The heat map's geometry and figures: cells, week columns, month labels, totals."""
    first: date = activity[0]["date"]
    offset = first.weekday()
    cells, weeks = [], []
    for index, day in enumerate(activity):
        column, row = divmod(offset + index, 7)
        if column == len(weeks):
            weeks.append({"start": day["date"], "seconds": 0, "lessons_completed": 0})
        week = weeks[column]
        week["seconds"] += day["seconds"]
        week["lessons_completed"] += day["lessons_completed"]
        cells.append(
            {
                **day,
                "minutes": day["seconds"] // 60,
                "week": column,
                "x": CHART_LEFT + column * STEP,
                "y": CHART_TOP + row * STEP,
                "level": activity_level(
                    seconds=day["seconds"], lessons_completed=day["lessons_completed"]
                ),
            }
        )
    for week in weeks:
        week["minutes"] = week["seconds"] // 60
    months = [
        {"x": CHART_LEFT + column * STEP, "label": week["start"].strftime("%b")}
        for column, week in enumerate(weeks)
        if column == 0 or week["start"].day <= 7  # the week holding a month's first Monday
    ]
    if len(months) > 1 and months[1]["x"] - months[0]["x"] < 3 * STEP:
        months.pop(0)  # a partial first month would overlap the next label
    seconds = sum(day["seconds"] for day in activity)
    return {
        "cells": cells,
        "weeks": weeks,
        "months": months,
        "weekdays": [
            {"y": CHART_TOP + row * STEP + CELL - 2, "label": label}
            for row, label in WEEKDAY_LABELS.items()
        ],
        "width": CHART_LEFT + len(weeks) * STEP,
        "height": CHART_TOP + 7 * STEP,
        "cell": CELL,
        "levels": ",".join(map(str, ACTIVITY_LEVELS)),
        "days": len(activity),
        "minutes": seconds // 60,
        "active_days": sum(1 for cell in cells if cell["level"]),
        "lessons_completed": sum(day["lessons_completed"] for day in activity),
        "first": first,
        "last": activity[-1]["date"],
    }


def _enroll_first(request, course, message: str):
    """A published course the user is not part of: back to its page, told why.

    Any other refusal (an unknown or unpublished course) is the 404 it raises.
    """
    try:
        course_member_or_error(user=request.user, course_id=course.pk)
    except PermissionDenied:
        messages.warning(request, message)
        return redirect(course)
    return None


@login_required
@require_GET
def dashboard(request):
    enrollments = list(catalog.dashboard_enrollments(user=request.user))
    taught = (
        list(catalog.courses_taught(user=request.user))
        if request.user.role == request.user.Role.INSTRUCTOR
        else []
    )
    return render(
        request, "progress/dashboard.html", {"enrollments": enrollments, "courses_taught": taught}
    )


@login_required
@require_GET
def my_progress(request):
    """My learning at a glance: time, streaks, scores, courses, certificates, achievements,
    and the activity of the last twelve weeks."""
    progress = selectors.my_progress(user=request.user)
    stats = progress["stats"]
    held = {achievement.kind for achievement in progress["achievements"]}
    return render(
        request,
        "progress/my_progress.html",
        {
            **progress,
            "current_streak": selectors.streak_current(stats=stats),
            "chart": activity_chart(progress["activity"]),
            "quiz_results": quizzes.quiz_results(user=request.user),
            "locked_achievements": [
                {"kind": kind, "title": title}
                for kind, title in Achievement.Kind.choices
                if kind not in held
            ],
            "nav_section": "progress",
        },
    )


@require_GET
def course_detail(request, course_id: int):
    course = catalog.course_with_content(course_id=course_id)
    if course is None or not course_is_visible(user=request.user, course=course):
        raise Http404("No such course.")
    enrollment = catalog.enrollment_for(user=request.user, course=course)
    grant = course_access(user=request.user, course_id=course.pk)
    completed_ids = selectors.completed_lesson_ids(user=request.user, course=course)
    modules = list(course.modules.all())
    lessons = [lesson for module in modules for lesson in module.lessons.all()]
    # "Continue" opens the first lesson not completed yet.
    first_lesson = next((x for x in lessons if x.pk not in completed_ids), None) or (
        lessons[0] if lessons else None
    )
    # Announcements are for the course's members, like its lessons; the latest few here.
    announcements = (
        list(announcement_list(course=course)[: COURSE_PAGE_ANNOUNCEMENTS + 1])
        if grant is not None
        else []
    )
    # course_teaching_access's rule, read from the grant already at hand (no second query).
    teaches = grant is not None and grant.role in TEACHING_ROLES
    return render(
        request,
        "progress/course_detail.html",
        {
            "course": course,
            "modules": modules,
            "enrollment": enrollment,
            "announcements": announcements[:COURSE_PAGE_ANNOUNCEMENTS],
            "more_announcements": len(announcements) > COURSE_PAGE_ANNOUNCEMENTS,
            "can_announce": bool(teaches),
            "announcement_form": AnnouncementForm() if teaches else None,
            "can_open_lessons": grant is not None,
            "completed_ids": completed_ids,
            "first_lesson": first_lesson,
            "lesson_count": len(lessons),
            "total_minutes": sum(lesson.duration_minutes for lesson in lessons),
        },
    )


@login_required
@require_GET
def lesson_detail(request, lesson_id: int):
    lesson = catalog.lesson_with_course(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    course = lesson.module.course
    refused = _enroll_first(request, course, "Enroll in this course to open its lessons.")
    if refused:
        return refused
    previous, following = catalog.lesson_neighbours(lesson=lesson)
    attempt_id = request.GET.get("attempt", "")
    lesson_quiz = quizzes.lesson_quiz(
        user=request.user,
        lesson=lesson,
        attempt_id=int(attempt_id) if attempt_id.isascii() and attempt_id.isdigit() else None,
    )
    return render(
        request,
        "progress/lesson_detail.html",
        {
            "lesson_quiz": lesson_quiz,
            "quiz_blocks_completion": lesson_quiz is not None and lesson_quiz.blocks_completion,
            "lesson": lesson,
            "module": lesson.module,
            "course": course,
            "previous_lesson": previous,
            "next_lesson": following,
            "is_completed": lesson.pk
            in selectors.completed_lesson_ids(user=request.user, course=course),
        },
    )


@login_required
@require_POST
def lesson_complete(request, lesson_id: int):
    """The lesson page's "Mark complete" form: works without JavaScript."""
    lesson = get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)
    try:
        enrollment, created = services.lesson_complete(user=request.user, lesson=lesson)
    except services.NotEnrolled:
        course = lesson.module.course
        if not course_is_visible(user=request.user, course=course):
            # As for a lesson that does not exist: a redirect would name the hidden course.
            raise Http404("No such lesson.") from None
        messages.warning(request, "Enroll in this course to complete its lessons.")
        return redirect(course)
    except services.QuizNotPassed as refusal:
        messages.warning(request, refusal.args[0])
        return redirect(lesson)
    if enrollment.completed_at and created and enrollment.progress == 100:
        messages.success(request, f"You completed {lesson.module.course.title}. Well done!")
    elif created:
        messages.success(request, f"Lesson completed. Course progress: {enrollment.progress}%.")
    else:
        messages.info(request, "You had already completed this lesson.")
    return redirect(lesson)


@require_GET
def certificate_verify(request, code: str):
    """Public: anyone holding the code can check who earned the certificate, and for what."""
    certificate = selectors.certificate_by_code(code=code)
    if certificate is None:
        raise Http404("No certificate has this verification code.")
    return render(request, "progress/certificate_verify.html", {"certificate": certificate})
