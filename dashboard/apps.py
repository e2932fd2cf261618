from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The portfolio dashboard: reads every other app, and nothing imports it."""

    name = "dashboard"
