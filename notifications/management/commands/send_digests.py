from django.core.management.base import BaseCommand

from notifications.models import DigestRun
from notifications.services import digests_send


class Command(BaseCommand):
    help = (
        "Email each user one digest of their unread notifications of the kinds they get in "
        "the digest. Once per user and period: running it again in the same period, or "
        "twice at once, sends nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--period",
            choices=DigestRun.Period.values,
            default=DigestRun.Period.DAILY,
            help="daily (default): since the previous digest, at most the last day for a "
            "user's first one; weekly: the same by week",
        )

    def handle(self, *args, **options):
        queued = digests_send(period=options["period"])
        self.stdout.write(f"Queued {queued} {options['period']} digest(s).")
