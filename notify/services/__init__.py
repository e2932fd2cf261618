"""Every write of notifications (one module per concern; the names are re-exported here)."""

from notify.services.channels import channel_create, channel_remove
from notify.services.delivery import (
    Outcome,
    _enqueue,
    chat_send,
    email_queue,
    email_send,
    max_attempts,
    preferences_url,
    render_email,
    retry_delay,
    unsubscribe_url,
)
from notify.services.digests import (
    daily_digests_send,
    weekly_digest_send,
    weekly_readers,
    weekly_summary,
)
from notify.services.events import (
    channels_for,
    event_discard,
    event_handle,
    notice_send,
    sweep,
)
from notify.services.preferences import User, modes_of, preferences_set, unsubscribe

__all__ = [
    "Outcome", "User", "_enqueue", "channel_create", "channel_remove", "channels_for",
    "chat_send", "daily_digests_send", "email_queue", "event_discard", "email_send", "event_handle",
    "max_attempts", "modes_of", "notice_send", "preferences_set", "preferences_url",
    "render_email", "retry_delay", "sweep", "unsubscribe", "unsubscribe_url",
    "weekly_digest_send", "weekly_readers", "weekly_summary",
]  # fmt: skip
