from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The portfolio dashboard: reads every other app, and nothing imports it."""

    name = "dashboard"

    def ready(self) -> None:
        from dashboard import rebuilds
        from portfolio import events

        events.pilot_grouping_changed.connect(
            rebuilds.on_pilot_grouping_changed, dispatch_uid="dashboard.pilot_grouping"
        )
        events.aggregates_stale.connect(
            rebuilds.on_aggregates_stale, dispatch_uid="dashboard.aggregates_stale"
        )
