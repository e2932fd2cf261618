"""Run the notification pipeline in-process, as the worker would (tests only)."""

from notify import services
from notify.models import ChannelMessage, DeliveryStatus, Email, HandledEvent
from outbox.models import Event


def deliver_all() -> dict:
    """Handle every outbox event not handled yet, then send every queued message once."""
    handled = set(HandledEvent.objects.values_list("event_id", flat=True))
    for event_id in Event.objects.exclude(pk__in=handled).values_list("pk", flat=True):
        services.event_handle(event_id=event_id)
    outcomes = {"emails": [], "chats": []}
    for pk in Email.objects.filter(status=DeliveryStatus.QUEUED).values_list("pk", flat=True):
        outcomes["emails"].append(services.email_send(email_id=pk).status)
    for pk in ChannelMessage.objects.filter(status=DeliveryStatus.QUEUED).values_list(
        "pk", flat=True
    ):
        outcomes["chats"].append(services.chat_send(message_id=pk).status)
    return outcomes
