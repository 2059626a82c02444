from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from lms.catalog.models import Choice, Course, Enrollment, Lesson, Module, Question, Quiz, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Learning platform", {"fields": ("role", "avatar")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Learning platform", {"fields": ("role", "first_name", "last_name", "email")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ("title", "order", "description")
    extra = 0
    show_change_link = True


class LessonInline(admin.StackedInline):
    model = Lesson
    fields = (("title", "order", "duration_minutes"), "content")
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "instructor",
        "is_published",
        "module_count",
        "lesson_count",
        "updated_at",
    )
    list_filter = ("is_published", "instructor")
    list_select_related = ("instructor",)
    search_fields = ("title", "description", "instructor__username")
    autocomplete_fields = ("instructor",)
    readonly_fields = ("outline", "created_at", "updated_at")
    fields = ("title", "description", "instructor", "is_published", "outline")
    inlines = (ModuleInline,)
    actions = ("publish", "unpublish")  # notifications/admin.py adds "announce"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                module_total=Count("modules", distinct=True),
                lesson_total=Count("modules__lessons", distinct=True),
            )
        )

    @admin.display(description="Modules", ordering="module_total")
    def module_count(self, course: Course) -> int:
        return course.module_total

    @admin.display(description="Lessons", ordering="lesson_total")
    def lesson_count(self, course: Course) -> int:
        return course.lesson_total

    @admin.display(description="Modules and lessons")
    def outline(self, course: Course) -> str:
        """Links to every module and lesson of the course, in order."""
        if course.pk is None:
            return "Save the course to add modules."
        modules = course.modules.order_by("order", "id").prefetch_related("lessons")
        if not modules:
            return "No modules yet."
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a><ol>{}</ol></li>',
                (
                    (
                        reverse("admin:lms_module_change", args=[module.pk]),
                        module.title,
                        format_html_join(
                            "",
                            '<li><a href="{}">{}</a></li>',
                            (
                                (reverse("admin:lms_lesson_change", args=[lesson.pk]), lesson.title)
                                for lesson in module.lessons.all()
                            ),
                        ),
                    )
                    for module in modules
                ),
            ),
        )

    @admin.action(description="Publish the selected courses")
    def publish(self, request, queryset):
        # Saved one by one so that live course updates go out for each.
        courses = list(queryset.filter(is_published=False))
        for course in courses:
            course.is_published = True
            course.save(update_fields=["is_published", "updated_at"])
        self.message_user(request, f"{len(courses)} course(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected courses")
    def unpublish(self, request, queryset):
        courses = list(queryset.filter(is_published=True))
        for course in courses:
            course.is_published = False
            course.save(update_fields=["is_published", "updated_at"])
        self.message_user(request, f"{len(courses)} course(s) unpublished.", messages.SUCCESS)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "order", "lesson_count")
    list_filter = ("course",)
    list_select_related = ("course",)
    search_fields = ("title", "description", "course__title")
    autocomplete_fields = ("course",)
    inlines = (LessonInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    @admin.display(description="Lessons", ordering="lesson_total")
    def lesson_count(self, module: Module) -> int:
        return module.lesson_total


class QuizInline(admin.StackedInline):
    """The lesson's quiz: its pass rule here, its questions on the quiz's own page."""

    model = Quiz
    fields = (("pass_mark", "pass_required"),)
    extra = 0
    max_num = 1
    show_change_link = True


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "course", "order", "duration_minutes")
    list_filter = ("module__course",)
    list_select_related = ("module", "module__course")
    search_fields = ("title", "content", "module__title", "module__course__title")
    autocomplete_fields = ("module",)
    inlines = (QuizInline,)

    @admin.display(description="Course", ordering="module__course__title")
    def course(self, lesson: Lesson) -> Course:
        return lesson.module.course


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "progress", "enrolled_at", "completed_at")
    list_filter = ("course", "completed_at")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "user__email", "course__title")
    autocomplete_fields = ("user", "course")
    readonly_fields = ("enrolled_at",)
    date_hierarchy = "enrolled_at"


# Quizzes: students never see which choices are correct before they submit; staff do here.


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("text", "order", "choice_summary")
    readonly_fields = ("choice_summary",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                choice_total=Count("choices"),
                correct_total=Count("choices", filter=Q(choices__is_correct=True)),
            )
        )

    @admin.display(description="Choices")
    def choice_summary(self, question: Question) -> str:
        if question.pk is None:
            return "Save, then add its choices on the question's page."
        total = getattr(question, "choice_total", 0)
        correct = getattr(question, "correct_total", 0)
        if total < 2 or correct < 1:
            return f"{total} choice(s), {correct} correct: needs two choices, one correct."
        return f"{total} choices, {correct} correct"


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("__str__", "course", "pass_mark", "pass_required", "question_count")
    list_filter = ("pass_required", "lesson__module__course")
    list_select_related = ("lesson", "lesson__module__course")
    search_fields = ("lesson__title", "lesson__module__course__title")
    autocomplete_fields = ("lesson",)
    fields = ("lesson", ("pass_mark", "pass_required"))
    inlines = (QuestionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description="Course", ordering="lesson__module__course__title")
    def course(self, quiz: Quiz) -> Course:
        return quiz.lesson.module.course

    @admin.display(description="Questions", ordering="question_total")
    def question_count(self, quiz: Quiz) -> int:
        return quiz.question_total


class ChoiceInlineFormSet(BaseInlineFormSet):
    """A question needs at least two choices, and at least one of them correct."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(kept) < 2:
            raise ValidationError("A question needs at least two choices.")
        if not any(choice.get("is_correct") for choice in kept):
            raise ValidationError("Mark at least one choice as correct.")


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    fields = ("text", "is_correct", "order")
    extra = 2


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quiz", "order")
    list_select_related = ("quiz__lesson",)
    search_fields = ("text", "quiz__lesson__title")
    autocomplete_fields = ("quiz",)
    fields = ("quiz", "text", "order")
    inlines = (ChoiceInline,)
