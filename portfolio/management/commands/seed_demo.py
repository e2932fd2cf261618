from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that has demo data exposes demo.seed(context) -> None, run in this order.
EXTENSIONS = ("gates.demo", "metrics.demo")


class Command(BaseCommand):
    help = "Load demo users, pilots and their data. Safe to run again: it adds nothing twice."

    def handle(self, *args, **options):
        from portfolio import demo

        with transaction.atomic():
            context = demo.seed()
            for dotted in EXTENSIONS:
                try:
                    module = import_module(dotted)
                except ModuleNotFoundError as exc:
                    if exc.name != dotted:
                        raise
                    continue
                module.seed(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(context['users'])} users, {len(context['pilots'])} pilots."
            )
        )
