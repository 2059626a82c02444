"""Demo data: `python manage.py seed_demo [--students N]`. Safe to run any number of times."""

from __future__ import annotations

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from discussions.models import DiscussionThread, ThreadMessage
from lms.catalog.models import Choice, Course, Enrollment, Lesson, Module, Question, Quiz, User
from lms.catalog.services import enrollment_create
from lms.demo.demo_content import COURSES, QUIZ, WELCOME_THREAD
from lms.platform.hashers import demo_password_marker

ACCOUNTS = [
    # username, role, first name, last name, staff
    ("admin", User.Role.ADMIN, "Ada", "Admin", True),
    ("teacher", User.Role.INSTRUCTOR, "Grace", "Teacher", False),
    ("alice", User.Role.STUDENT, "Alice", "Anderson", False),
    ("bob", User.Role.STUDENT, "Bob", "Brown", False),
    ("carol", User.Role.STUDENT, "Carol", "Clark", False),
]
ENROLLED_IN_FIRST_COURSE = ["alice", "bob"]
BATCH_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Create the demo accounts (password = username), two published courses, "
        "enrollments and a discussion thread. Running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--students",
            type=int,
            default=0,
            metavar="N",
            help="Also create student1..studentN, enrolled in the first course.",
        )

    def handle(self, *args, students: int, **options):
        if students < 0:
            raise CommandError("--students must be 0 or more.")
        started = time.perf_counter()
        with transaction.atomic():
            users = {name: self._account(name, *rest) for name, *rest in ACCOUNTS}
            courses = [self._course(spec, instructor=users["teacher"]) for spec in COURSES]
            first_course = courses[0]
            for name in ENROLLED_IN_FIRST_COURSE:
                enrollment_create(user=users[name], course=first_course)
            self._welcome_thread(first_course, author=users["teacher"])
            self._quiz(QUIZ, course=first_course)

        self.stdout.write("Demo accounts (password = username):")
        for name, role, *_ in ACCOUNTS:
            self.stdout.write(f"  {name:<8} {role.label.lower():<10} password: {name}")
        for course in courses:
            self.stdout.write(f"Course {course.pk}: {course.title}")

        if students:
            self._bulk_students(students, course=first_course)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.perf_counter() - started:.1f} s.")
        )

    def _account(self, username, role, first_name, last_name, staff) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        user = User(
            username=username,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.com",
            is_staff=staff,
            is_superuser=staff,
        )
        user.set_password(username)
        user.save()
        return user

    def _course(self, spec: dict, *, instructor: User) -> Course:
        course, _ = Course.objects.get_or_create(
            title=spec["title"],
            instructor=instructor,
            defaults={"description": spec["description"], "is_published": True},
        )
        for module_order, module_spec in enumerate(spec["modules"]):
            module, _ = Module.objects.get_or_create(
                course=course,
                title=module_spec["title"],
                defaults={"description": module_spec["description"], "order": module_order},
            )
            for lesson_order, (title, minutes, content) in enumerate(module_spec["lessons"]):
                Lesson.objects.get_or_create(
                    module=module,
                    title=title,
                    defaults={
                        "content": content,
                        "duration_minutes": minutes,
                        "order": lesson_order,
                    },
                )
        return course

    def _quiz(self, spec: dict, *, course: Course) -> None:
        """The lesson's quiz, with its questions, once: a quiz already there is left as is."""
        lesson = Lesson.objects.get(module__course=course, title=spec["lesson"])
        quiz, created = Quiz.objects.get_or_create(
            lesson=lesson,
            defaults={"pass_mark": spec["pass_mark"], "pass_required": spec["pass_required"]},
        )
        if not created:
            return
        for question_order, (text, choices) in enumerate(spec["questions"]):
            question = Question.objects.create(quiz=quiz, text=text, order=question_order)
            Choice.objects.bulk_create(
                Choice(question=question, text=choice, is_correct=correct, order=order)
                for order, (choice, correct) in enumerate(choices)
            )

    def _welcome_thread(self, course: Course, *, author: User) -> None:
        thread, _ = DiscussionThread.objects.get_or_create(
            course=course,
            title=WELCOME_THREAD["title"],
            defaults={"created_by": author, "is_active": True},
        )
        if not thread.messages.exists():
            ThreadMessage.objects.create(
                thread=thread, sender=author, content=WELCOME_THREAD["message"]
            )

    def _bulk_students(self, count: int, *, course: Course) -> None:
        """student1..studentN in batches; their password marker is hashed at first login."""
        started = time.perf_counter()
        created_users = created_enrollments = 0
        for first in range(1, count + 1, BATCH_SIZE):
            usernames = [f"student{i}" for i in range(first, min(first + BATCH_SIZE, count + 1))]
            with transaction.atomic():
                existing = set(
                    User.objects.filter(username__in=usernames).values_list("username", flat=True)
                )
                new_users = [
                    User(
                        username=name,
                        password=demo_password_marker(name),
                        role=User.Role.STUDENT,
                        first_name="Student",
                        last_name=name.removeprefix("student"),
                        email=f"{name}@example.com",
                    )
                    for name in usernames
                    if name not in existing
                ]
                User.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
                created_users += len(new_users)
                user_ids = set(
                    User.objects.filter(username__in=usernames).values_list("id", flat=True)
                )
                enrolled = set(
                    Enrollment.objects.filter(course=course, user_id__in=user_ids).values_list(
                        "user_id", flat=True
                    )
                )
                new_enrollments = [
                    Enrollment(user_id=user_id, course=course)
                    for user_id in sorted(user_ids - enrolled)
                ]
                Enrollment.objects.bulk_create(
                    new_enrollments, batch_size=BATCH_SIZE, ignore_conflicts=True
                )
                created_enrollments += len(new_enrollments)
        # Bulk inserts send no signals: bring the leaderboards up to date in bulk too.
        call_command("rebuild_leaderboard", stdout=io.StringIO())
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Students student1..student{count} (password = username): {created_users} created, "
            f"{created_enrollments} enrolled in {course.title}, leaderboards rebuilt, "
            f"in {elapsed:.1f} s."
        )
