"""Course authoring at /teach/admin/: a second admin site where instructors edit their own
courses (modules, lessons, quizzes, questions and choices) and staff edit every course.

Instructors are not staff: this site lets in the active instructors and staff, and every
question of who may see or change a row goes through `course_teaching_access` (the course's
instructor, staff). Lists show the courses taught only, foreign key choices offer them only
(content cannot be moved into another instructor's course), and another instructor's
object reads as one that does not exist. Saves fire the catalog's post-save receivers as
in the staff admin, so students see the changes live.
"""

from __future__ import annotations

from operator import attrgetter

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from lms.catalog.admin import ChoiceInlineFormSet
from lms.catalog.models import Choice, Course, Lesson, Module, Question, Quiz, User
from lms.catalog.permissions import course_teaching_access, courses_taught


def may_author(user) -> bool:
    """Active instructors (not deleted) and active staff use the authoring site."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff:
        return True
    return user.role == User.Role.INSTRUCTOR and user.deleted_at is None


class CourseAuthoringSite(admin.AdminSite):
    site_header = "Course authoring"
    site_title = "Course authoring"
    index_title = "Your courses and their content"
    site_url = "/teach/"
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        return may_author(request.user)

    def login(self, request, extra_context=None):
        """Everyone signs in on the site's own login page; a signed-in user who may not
        author courses is refused here (sending them to log in again would loop)."""
        if self.has_permission(request):
            return redirect(f"{self.name}:index")
        if request.user.is_authenticated:
            raise PermissionDenied("Only instructors and staff author courses.")
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse(f"{self.name}:index")
        return redirect_to_login(target)


course_authoring = CourseAuthoringSite(name="course_authoring")


def teaches(request, course_id: int | None) -> bool:
    """Whether the user teaches this course: `course_teaching_access`, asked once per
    course and request (an admin page asks for every inline and button)."""
    if course_id is None:
        return False
    asked = request.__dict__.setdefault("_courses_taught_asked", {})
    if course_id not in asked:
        asked[course_id] = (
            course_teaching_access(user=request.user, course_id=course_id) is not None
        )
    return asked[course_id]


def taught_modules(request):
    return Module.objects.filter(course__in=courses_taught(user=request.user)).select_related(
        "course"
    )


def taught_lessons(request):
    return Lesson.objects.filter(
        module__course__in=courses_taught(user=request.user)
    ).select_related("module__course")


def taught_quizzes(request):
    return Quiz.objects.filter(
        lesson__module__course__in=courses_taught(user=request.user)
    ).select_related("lesson")


class TaughtContent:
    """What every model admin and inline of the site shares.

    `course_lookup` leads from the model to its course in a query, `course_id_of` from a
    row to its course's id; for an inline, `obj` is the row of the page (the parent).
    """

    course_lookup: str
    course_id_path: str

    def course_id_of(self, obj) -> int | None:
        return attrgetter(self.course_id_path)(obj)

    def _may(self, request, obj=None) -> bool:
        if not self.admin_site.has_permission(request):
            return False
        return obj is None or teaches(request, self.course_id_of(obj))

    def has_module_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Content goes only into courses the user teaches."""
        choices = {
            "course": lambda: courses_taught(user=request.user),
            "module": lambda: taught_modules(request),
            "lesson": lambda: taught_lessons(request),
            "quiz": lambda: taught_quizzes(request),
        }
        if db_field.name in choices:
            kwargs["queryset"] = choices[db_field.name]()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TaughtModelAdmin(TaughtContent, admin.ModelAdmin):
    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(**{f"{self.course_lookup}__in": courses_taught(user=request.user)})
        )

    def has_add_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)


class TaughtInline(TaughtContent):
    def has_add_permission(self, request, obj=None) -> bool:
        return self._may(request, obj)


# Inlines: a row of the page's course (obj is the parent row).


class ModuleInline(TaughtInline, admin.TabularInline):
    model = Module
    course_id_path = "pk"
    fields = ("title", "order", "description")
    extra = 0
    show_change_link = True


class LessonInline(TaughtInline, admin.StackedInline):
    model = Lesson
    course_id_path = "course_id"
    fields = (("title", "order", "duration_minutes"), "content")
    extra = 0
    show_change_link = True


class QuizInline(TaughtInline, admin.StackedInline):
    """The lesson's quiz: its pass rule here, its questions on the quiz's own page."""

    model = Quiz
    course_id_path = "module.course_id"
    fields = (("pass_mark", "pass_required"),)
    extra = 0
    max_num = 1
    show_change_link = True


class QuestionInline(TaughtInline, admin.TabularInline):
    model = Question
    course_id_path = "lesson.module.course_id"
    fields = ("text", "order")
    extra = 0
    show_change_link = True


class ChoiceInline(TaughtInline, admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    course_id_path = "quiz.lesson.module.course_id"
    fields = ("text", "is_correct", "order")
    extra = 2


# The pages.


@admin.register(Course, site=course_authoring)
class CourseAuthoringAdmin(TaughtModelAdmin):
    course_lookup = "pk"
    course_id_path = "pk"
    list_display = ("title", "is_published", "module_count", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("title", "description")
    inlines = (ModuleInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(module_total=Count("modules"))

    def get_fields(self, request, obj=None):
        # Staff give a course to an instructor; an instructor's courses are their own.
        if request.user.is_staff:
            return ("title", "description", "instructor", "is_published")
        return ("title", "description", "is_published")

    def get_list_display(self, request):
        if request.user.is_staff:
            return ("title", "instructor", "is_published", "module_count", "updated_at")
        return self.list_display

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "instructor":
            kwargs["queryset"] = User.objects.filter(
                role=User.Role.INSTRUCTOR, is_active=True, deleted_at__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_staff:
            obj.instructor = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Modules", ordering="module_total")
    def module_count(self, course: Course) -> int:
        return course.module_total


@admin.register(Module, site=course_authoring)
class ModuleAuthoringAdmin(TaughtModelAdmin):
    course_lookup = "course"
    course_id_path = "course_id"
    list_display = ("title", "course", "order")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("course",)
    search_fields = ("title", "description", "course__title")
    fields = ("course", "title", "description", "order")
    inlines = (LessonInline,)


@admin.register(Lesson, site=course_authoring)
class LessonAuthoringAdmin(TaughtModelAdmin):
    course_lookup = "module__course"
    course_id_path = "module.course_id"
    list_display = ("title", "module", "course", "order", "duration_minutes")
    list_filter = (("module__course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("module__course",)
    search_fields = ("title", "content", "module__title")
    fields = ("module", "title", "content", ("order", "duration_minutes"))
    inlines = (QuizInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("module__course")

    @admin.display(description="Course", ordering="module__course__title")
    def course(self, lesson: Lesson) -> Course:
        return lesson.module.course


@admin.register(Quiz, site=course_authoring)
class QuizAuthoringAdmin(TaughtModelAdmin):
    course_lookup = "lesson__module__course"
    course_id_path = "lesson.module.course_id"
    list_display = ("__str__", "pass_mark", "pass_required")
    list_select_related = ("lesson__module",)
    search_fields = ("lesson__title",)
    fields = ("lesson", ("pass_mark", "pass_required"))
    inlines = (QuestionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lesson__module")


@admin.register(Question, site=course_authoring)
class QuestionAuthoringAdmin(TaughtModelAdmin):
    course_lookup = "quiz__lesson__module__course"
    course_id_path = "quiz.lesson.module.course_id"
    list_display = ("__str__", "quiz", "order")
    list_select_related = ("quiz__lesson__module",)
    search_fields = ("text", "quiz__lesson__title")
    fields = ("quiz", "text", "order")
    inlines = (ChoiceInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("quiz__lesson__module")
