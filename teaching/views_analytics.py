"""The analytics page of a course: /teach/courses/<id>/analytics/."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lms.catalog.models import Course
from lms.catalog.permissions import course_teacher_or_error
from teaching.analytics import ANALYTICS_DAYS_DEFAULT, course_analytics
from teaching.charts import analytics_charts, duration_text

DAYS_CHOICES = (7, 14, 30, 56, 90)


@login_required
@require_GET
def course_analytics_page(request, course_id: int):
    """Charts of a course's engagement (the figures of GET /api/courses/{id}/analytics/)."""
    course_teacher_or_error(user=request.user, course_id=course_id)
    course = Course.objects.only("id", "title").get(pk=course_id)
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in DAYS_CHOICES else ANALYTICS_DAYS_DEFAULT
    analytics = course_analytics(course=course, days=days)
    return render(
        request,
        "teaching/analytics.html",
        {
            "course": course,
            "analytics": analytics,
            "charts": analytics_charts(analytics),
            "average_completion": duration_text(analytics["average_completion_seconds"]),
            "days_choices": DAYS_CHOICES,
            "nav_section": "teach",
        },
    )
