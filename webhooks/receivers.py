"""Hears `outbox.services.published` (after the publisher's commit) and fans out."""

import logging

logger = logging.getLogger(__name__)


def fan_out_on_publish(sender, event, **kwargs) -> None:
    from webhooks.services import events_fan_out

    try:
        events_fan_out([event])
    except Exception:
        # The sweeper (webhooks.sweep) fans out whatever this missed.
        logger.exception("webhook fan-out of %s failed; the sweeper will retry", event.pk)
