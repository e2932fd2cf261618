from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"

    def ready(self) -> None:
        from gates.selectors import pilots_with_pending_review
        from gates.services import pilot_transition
        from metrics import signal_refresh
        from portfolio import demo

        if pilots_with_pending_review not in signal_refresh.PENDING_REVIEW_FINDERS:
            signal_refresh.PENDING_REVIEW_FINDERS.append(pilots_with_pending_review)
        if pilot_transition not in demo.PILOT_MOVERS:
            demo.PILOT_MOVERS.append(pilot_transition)
