from django import template

from lms.catalog.selectors import enrollment_progress
from progress.models import ACTIVITY_MAX_SECONDS, LessonCompletion
from progress.selectors import achievement_list, certificate_list

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_state(context, lesson) -> dict:
    """Whether the viewer may mark the lesson complete, and whether they already did."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"enrolled": False, "completed": False}
    enrolled = enrollment_progress(user=user, course_id=lesson.module.course_id) is not None
    completed = (
        context["is_completed"]
        if "is_completed" in context
        else LessonCompletion.objects.filter(user=user, lesson=lesson).exists()
    )
    return {
        "enrolled": enrolled,
        "completed": bool(completed),
        "activity_max_seconds": ACTIVITY_MAX_SECONDS,
    }


@register.simple_tag(takes_context=True)
def my_achievements(context, limit: int = 12) -> dict:
    user = context["request"].user
    if not user.is_authenticated:
        return {"achievements": [], "certificates": []}
    return {
        "achievements": list(achievement_list(user=user)[:limit]),
        "certificates": list(certificate_list(user=user)[:limit]),
    }


@register.filter
def hours_minutes(minutes) -> str:
    """Whole minutes as "2 h 5 min", "45 min" (static/js/my-progress.js writes the same)."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"
