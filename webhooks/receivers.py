"""Hears `outbox.services.published` (after the publisher's commit) and fans out."""

import logging

logger = logging.getLogger(__name__)


def fan_out_on_publish(sender, event, **kwargs) -> None:
    from webhooks.services import events_fan_out

    try:
        events_fan_out([event])
    except Exception as exc:  # noqa: BLE001 - the event is stored; the sweeper finds it
        # Handled and retried: a warning naming the error, not a crash report.
        logger.warning("webhook fan-out of %s failed (%r); the sweeper will retry", event.pk, exc)
