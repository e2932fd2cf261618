from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        # Registers the tasks in every process: services and pulls queue them by name
        # (metrics.tasks imports them, not the other way round).
        from metrics import tasks  # noqa: F401
