import time

from django.core.management.base import BaseCommand, CommandError

from teaching.analytics import ROLLUP_DAYS_DEFAULT, course_days_rollup, course_snapshots_refresh


class Command(BaseCommand):
    help = (
        "Recompute the stored engagement figures of every course: its days before today "
        "(teaching.CourseDay) and its totals, funnel and retention (teaching.CourseSnapshot). "
        "Idempotent: run it from cron every 10 minutes; --days 365 fills a year after an import."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=ROLLUP_DAYS_DEFAULT,
            metavar="N",
            help=f"How many days before today to recompute (default {ROLLUP_DAYS_DEFAULT}).",
        )
        parser.add_argument(
            "--course", type=int, action="append", metavar="ID", help="Only this course."
        )

    def handle(self, *args, days: int, course: list[int] | None, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        started = time.perf_counter()
        rows = course_days_rollup(days=days, course_ids=course)
        snapshots = course_snapshots_refresh(course_ids=course)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Engagement rolled up in {elapsed:.2f}s: {rows} course days, "
                f"{snapshots} course snapshots."
            )
        )
