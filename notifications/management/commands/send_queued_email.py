from django.core.management.base import BaseCommand

from notifications.outbox import email_send_due


class Command(BaseCommand):
    help = (
        "Send the queued emails that are due: new ones a process did not send, and retries "
        "of failed ones. Safe to run at any frequency, and several at once."
    )

    def handle(self, *args, **options):
        sent = email_send_due()
        self.stdout.write(f"Sent {sent} email(s).")
