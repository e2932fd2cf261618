from rest_framework import serializers

from config.fields import StrictBooleanField, StrictCharField
from outbox.catalog import EventType
from webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as read back: never its secret."""

    created_by = serializers.CharField(source="created_by.username", read_only=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(EventType.choices))

    class Meta:
        model = Subscription
        fields = [
            "id", "url", "description", "event_types", "is_active", "disabled_at",
            "disabled_reason", "consecutive_failures", "created_by", "created_at",
            "secret_rotated_at",
        ]  # fmt: skip
        read_only_fields = fields


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """Only the answer to a creation: the signing secret, shown this once."""

    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (`whsec_...`). Shown only in this answer."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionWriteSerializer(serializers.Serializer):
    url = StrictCharField(max_length=500, trim_whitespace=True)
    event_types = serializers.ListField(
        child=StrictCharField(max_length=60), allow_empty=False, max_length=50,
        help_text="Types from the event catalogue (GET /api/webhooks/event-types/).",
    )  # fmt: skip
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    is_active = StrictBooleanField(required=False)


class SubscriptionUpdateSerializer(SubscriptionWriteSerializer):
    url = StrictCharField(max_length=500, trim_whitespace=True, required=False)
    event_types = serializers.ListField(
        child=StrictCharField(max_length=60), allow_empty=False, max_length=50, required=False
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown only in this answer.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["attempted_at", "status_code", "duration_ms", "response_excerpt", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(DeliveryStatus.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id", "subscription", "message_id", "event_type", "status", "attempts",
            "next_attempt_at", "created_at", "delivered_at", "last_status_code",
        ]  # fmt: skip


class DeliveryDetailSerializer(DeliverySerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "body", "attempt_log"]


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    payload = serializers.DictField(
        child=serializers.CharField(),
        help_text="Field -> JSON type of `data` (besides `pilot`, on events about a pilot).",
    )
