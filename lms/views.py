import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms import selectors, services
from lms.forms import SignupForm
from lms.realtime import metrics
from lms.signin import SIGNIN_LOCKED, signin_retry_after
from progress.selectors import course_access
from progress.services import enrollment_create

CATALOG_PAGE_SIZE = 12
logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """Liveness of the database and the channel layer, and which backends are in use."""
    status = {"database": {"engine": connection.vendor}, "channel_layer": {}}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"]["ok"] = True
    except Exception:  # report, never raise: this is what a load balancer reads
        # The error names hosts, ports and roles: the log gets it, the public answer not.
        logger.warning("healthz: the database check failed", exc_info=True)
        healthy = False
        status["database"]["ok"] = False
    layer = get_channel_layer()
    status["channel_layer"]["backend"] = type(layer).__name__
    status["channel_layer"]["redis"] = bool(settings.REDIS_URL)
    status["ok"] = healthy
    return JsonResponse(status, status=200 if healthy else 503)


class LoginView(auth_views.LoginView):
    template_name = "lms/login.html"
    redirect_authenticated_user = True


def signin_locked_out(request, response=None, credentials=None):
    """What django-axes answers a locked-out sign-in (AXES_LOCKOUT_CALLABLE): 429, never a 500.

    The arguments after `request` are whatever axes passes; the answer needs none of them.
    """
    metrics.RATE_LIMITED.labels(scope="login").inc()
    if request.path_info.startswith("/api/"):
        locked = JsonResponse({"detail": SIGNIN_LOCKED}, status=429)
    else:
        locked = render(request, "lms/signin_locked.html", {"message": SIGNIN_LOCKED}, status=429)
    locked["Retry-After"] = str(signin_retry_after())
    return locked


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link or an image tag cannot sign anyone out."""


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.display_name}! Pick a course to get started.")
        # The dashboard is home: its empty state leads a new student to the catalog.
        return redirect("dashboard")
    return render(request, "lms/signup.html", {"form": form})


@login_required
@require_GET
def dashboard(request):
    enrollments = list(selectors.dashboard_enrollments(user=request.user))
    taught = (
        list(selectors.courses_taught(user=request.user))
        if request.user.role == request.user.Role.INSTRUCTOR
        else []
    )
    return render(
        request, "lms/dashboard.html", {"enrollments": enrollments, "courses_taught": taught}
    )


@require_GET
def catalog(request):
    search = request.GET.get("q", "")[:100]
    page = Paginator(selectors.course_catalog(search=search), CATALOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "lms/catalog.html",
        {
            "page": page,
            "courses": page.object_list,
            "search": search,
            "enrolled_ids": selectors.enrolled_course_ids(user=request.user),
        },
    )


def _visible_course(request, course_id: int):
    course = selectors.course_with_content(course_id=course_id)
    if course is None or not selectors.course_is_visible(user=request.user, course=course):
        raise Http404("No such course.")
    return course


@require_GET
def course_detail(request, course_id: int):
    course = _visible_course(request, course_id)
    enrollment = selectors.enrollment_for(user=request.user, course=course)
    grant = course_access(user=request.user, course_id=course.pk)
    completed_ids = selectors.completed_lesson_ids(user=request.user, course=course)
    modules = list(course.modules.all())
    lessons = [lesson for module in modules for lesson in module.lessons.all()]
    # "Continue" opens the first lesson not completed yet.
    first_lesson = next((x for x in lessons if x.pk not in completed_ids), None) or (
        lessons[0] if lessons else None
    )
    return render(
        request,
        "lms/course_detail.html",
        {
            "course": course,
            "modules": modules,
            "enrollment": enrollment,
            "can_open_lessons": grant is not None,
            "completed_ids": completed_ids,
            "first_lesson": first_lesson,
            "lesson_count": len(lessons),
            "total_minutes": sum(lesson.duration_minutes for lesson in lessons),
        },
    )


@login_required
@require_POST
def course_enroll(request, course_id: int):
    course = selectors.course_with_content(course_id=course_id)
    if course is None or not course.is_published:
        raise Http404("No such course.")
    _, created = enrollment_create(user=request.user, course=course)
    if created:
        messages.success(request, f"You are enrolled in {course.title}.")
    else:
        messages.info(request, f"You are already enrolled in {course.title}.")
    return redirect(course)


@login_required
@require_GET
def lesson_detail(request, lesson_id: int):
    lesson = selectors.lesson_with_course(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    course = lesson.module.course
    if course_access(user=request.user, course_id=course.pk) is None:
        if not course.is_published:
            raise Http404("No such lesson.")
        messages.warning(request, "Enroll in this course to open its lessons.")
        return redirect(course)
    previous, following = selectors.lesson_neighbours(lesson=lesson)
    return render(
        request,
        "lms/lesson_detail.html",
        {
            "lesson": lesson,
            "module": lesson.module,
            "course": course,
            "previous_lesson": previous,
            "next_lesson": following,
            "is_completed": lesson.pk
            in selectors.completed_lesson_ids(user=request.user, course=course),
        },
    )


@csrf_exempt  # changes nothing; any method gets the same JSON 404
def api_not_found(request, *args, **kwargs):
    """An /api/ path that no endpoint answers."""
    return JsonResponse({"detail": "Not found."}, status=404)
