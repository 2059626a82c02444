import time

from django.core.management.base import BaseCommand

from leaderboard.events import leaderboard_announce, wait_for_sends
from leaderboard.services import leaderboard_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every leaderboard row from the progress tables in a few bulk statements "
        "(after bulk imports, or to repair the table). Safe while the site runs."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = leaderboard_rebuild()
        elapsed = time.perf_counter() - started
        leaderboard_announce(result["boards"])
        # Let the scheduled `leaderboard.updated` broadcasts go out before the process exits.
        wait_for_sends(timeout=5)
        self.stdout.write(
            self.style.SUCCESS(
                f"Leaderboard rebuilt in {elapsed:.2f}s: {result['rows']} rows, "
                f"{result['written']} written, {result['deleted']} removed."
            )
        )
