"""Notifications: preferences, every outgoing email and chat message, the events handled."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.encryption import EncryptedTextField
from notify.catalog import TOPICS, Mode


class Preference(models.Model):
    """How one person hears about one topic; no row means the topic's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    topic = models.CharField(max_length=40, choices=list(TOPICS.items()))
    mode = models.CharField(max_length=10, choices=Mode.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notify_preference_one")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}: {self.mode}"


class HandledEvent(models.Model):
    """The processed marker: an outbox event whose notices were planned. Its primary key
    is the event's, so an event is handled once however often it is queued or swept."""

    event = models.OneToOneField(
        "outbox.Event", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    handled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"event {self.event_id} handled"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up after repeated failures"
    SKIPPED = "skipped", "Not sent (recipient has no address or the channel was removed)"


class Delivery(models.Model):
    """What an outgoing message shares: its state and its attempts."""

    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Email(Delivery):
    """One email to one person: a record per message, so none is lost when the mail
    server is down (the sender retries until it is sent or gives up)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.EmailField()
    topic = models.CharField(max_length=40)
    event = models.ForeignKey(
        "outbox.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_email_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class DigestEntry(models.Model):
    """An event a person chose to read in their daily digest; `email` once it went out."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("outbox.Event", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    link = models.CharField(max_length=500, blank=True)
    email = models.ForeignKey(Email, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notify_digest_entry_once")
        ]

    def __str__(self) -> str:
        return self.subject


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class Channel(models.Model):
    """A Slack or Teams incoming webhook that receives chosen event types, for every
    pilot or for the pilots of one business unit. The URL is a secret (encrypted)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    url = EncryptedTextField()
    business_unit = models.ForeignKey(
        "portfolio.BusinessUnit", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        from metrics.connectors.safety import describe_url

        shown = describe_url(self.url)
        head, _, _tail = shown.partition("://")
        host = _tail.split("/", 1)[0]
        return f"{head}://{host}/…{self.url[-4:]}" if self.url else ""


class ChannelMessage(Delivery):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey("outbox.Event", on_delete=models.CASCADE, related_name="+")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "event"], name="notify_channel_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_channel_due")]

    def __str__(self) -> str:
        return f"event {self.event_id} → {self.channel_id}"
