import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from outbox.catalog import EventType


def new_message_id() -> str:
    """A message id that stays the same however often the event is delivered, so
    receivers can drop duplicates (Standard Webhooks' `webhook-id`)."""
    return f"msg_{secrets.token_hex(12)}"


class Event(models.Model):
    """One domain event. Immutable once written; consumers keep their own progress."""

    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A plain column, not a foreign key: events outlive what they speak of, and this app
    # sits below the apps whose rows they name.
    pilot_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"
