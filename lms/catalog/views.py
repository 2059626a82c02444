"""Pages of users and the catalog: sign-in, sign-up, the catalog, enrolling and leaving."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.catalog import selectors, services
from lms.catalog.forms import SignupForm
from lms.catalog.permissions import course_is_visible
from lms.catalog.signin import SIGNIN_LOCKED, signin_retry_after
from lms.platform import metrics

CATALOG_PAGE_SIZE = 12


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


@login_required
@require_POST
def course_enroll(request, course_id: int):
    course = selectors.course_find(course_id=course_id)
    if course is None:
        raise Http404("No such course.")
    _, created = services.enrollment_create(user=request.user, course=course)
    if created:
        messages.success(request, f"You are enrolled in {course.title}.")
    else:
        messages.info(request, f"You are already enrolled in {course.title}.")
    return redirect(course)


@login_required
@require_http_methods(["GET", "POST"])
def course_leave(request, course_id: int):
    """Leave a course, after a confirmation: the course page's "Leave this course" button
    posts here without `confirm` and gets this page; its form posts `confirm=yes`."""
    course = selectors.course_find(course_id=course_id)
    if course is None or not course_is_visible(user=request.user, course=course):
        raise Http404("No such course.")
    enrollment = selectors.enrollment_for(user=request.user, course=course)
    if enrollment is None:
        messages.info(request, f"You are not enrolled in {course.title}.")
        return redirect(course)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.enrollment_leave(user=request.user, course_id=course.pk)
        messages.success(
            request,
            f"You left {course.title}. Your completed lessons are kept: "
            "enroll again to pick up where you left off.",
        )
        # An unpublished course is no longer visible to someone who left it.
        return redirect(course if course.is_published else "dashboard")
    return render(request, "lms/course_leave.html", {"course": course, "enrollment": enrollment})
