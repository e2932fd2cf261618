from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"

    def ready(self) -> None:
        from gates.selectors import pilots_with_pending_review
        from metrics import signals

        if pilots_with_pending_review not in signals.PENDING_REVIEW_FINDERS:
            signals.PENDING_REVIEW_FINDERS.append(pilots_with_pending_review)
