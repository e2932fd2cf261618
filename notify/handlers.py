"""React to outbox events: queue their handling by task name once the writer commits.

If the process dies before the task is queued, or the broker is down, the event stays
unhandled (no HandledEvent row) and notify.sweep picks it up."""

from django.conf import settings
from django.dispatch import receiver

from outbox.services import published


@receiver(published, dispatch_uid="notify.on_published")
def on_published(sender, event, **kwargs):
    from notify.services import _enqueue, event_discard

    if getattr(settings, "NOTIFY_DISCARD", False):
        # Set only around bulk loads (seed_demo without --send-email): told to nobody.
        event_discard(event_id=event.pk)
        return
    _enqueue("notify.handle_event", event.pk)
