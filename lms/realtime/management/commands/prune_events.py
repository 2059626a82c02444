from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from lms.realtime.models import Event


class Command(BaseCommand):
    help = "Delete stored realtime events older than the retention (default 7 days). Run daily."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.REALTIME_EVENT_RETENTION_DAYS,
            help="keep events newer than this many days (minimum 7)",
        )

    def handle(self, *args, days: int, **options):
        if days < 7:
            self.stderr.write("Retention must be at least 7 days: clients replay up to a week.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=days)
        deleted = 0
        # In batches, so a large backlog never holds one long transaction.
        while True:
            batch = list(
                Event.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:5000]
            )
            if not batch:
                break
            deleted += Event.objects.filter(pk__in=batch).delete()[0]
        self.stdout.write(f"Deleted {deleted} events older than {days} days.")
