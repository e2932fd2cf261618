from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from gates import demo as gates_demo
from metrics import demo as metrics_demo
from portfolio import demo as portfolio_demo


class Command(BaseCommand):
    help = "Load demo users, pilots and their data. Safe to run again: it adds nothing twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--send-email",
            action="store_true",
            help="Notify about the demo's events (off: they are marked handled, nobody is told).",
        )

    def handle(self, *args, **options):
        if not settings.PILOTGATE_DEMO_PASSWORD:
            # Production publishes no demo password (config/secret_checks.py).
            raise CommandError(
                "Set PILOTGATE_DEMO_PASSWORD to a random value of 16+ characters first: "
                "the demo users' published password is refused in production."
            )
        # Without --send-email the demo's events are marked handled by the notify app
        # (NOTIFY_DISCARD) and nobody is emailed about the demo's history.
        quiet = {} if options["send_email"] else {"NOTIFY_DISCARD": True}
        with override_settings(**quiet):
            with transaction.atomic():
                context = portfolio_demo.seed()
                # Each app adds its data on top of the pilots, in dependency order.
                gates_demo.seed(context)
                metrics_demo.seed(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(context['users'])} users, {len(context['pilots'])} pilots."
            )
        )
