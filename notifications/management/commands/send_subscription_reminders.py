from django.core.management.base import BaseCommand, CommandError

from notifications.services import DEFAULT_REMINDER_DAYS, subscription_reminders_send


def parse_days(value: str) -> list[int]:
    try:
        days = [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--days must be comma-separated whole numbers, got {value!r}") from exc
    if not days or any(d <= 0 for d in days):
        raise CommandError("--days needs at least one positive number of days, e.g. 7,3,1")
    return days


class Command(BaseCommand):
    help = (
        "Notify users whose subscription expires soon. Each reminder goes out once per "
        "expiry date; run it from cron at any frequency."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            default=",".join(str(d) for d in DEFAULT_REMINDER_DAYS),
            help="days before expiry to remind at, comma-separated (default 7,3,1)",
        )

    def handle(self, *args, **options):
        days = parse_days(options["days"])
        reminders = subscription_reminders_send(days=days)
        self.stdout.write(f"Sent {len(reminders)} subscription reminder(s).")
