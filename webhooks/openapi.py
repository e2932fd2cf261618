"""The OpenAPI document's `webhooks` section, generated from the event catalogue
(outbox.catalog: EventType and PAYLOADS), so there is one definition of each payload."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema, inline_serializer
from rest_framework import serializers

from outbox.catalog import PAYLOADS, EventType

_FIELDS = {
    "string": lambda: serializers.CharField(allow_blank=True),
    "integer": lambda: serializers.IntegerField(),
    "number": lambda: serializers.FloatField(allow_null=True),
    "array": lambda: serializers.ListField(child=serializers.CharField()),
    "boolean": lambda: serializers.BooleanField(),
}

_PILOT = None  # one WebhookPilot component shared by every message

HEADERS_HELP = (
    "Signed per the Standard Webhooks specification: `webhook-id` (the event's message id, "
    "the same on every retry: drop duplicates by it), `webhook-timestamp` (seconds since "
    "the epoch, of this attempt) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of "
    "`{id}.{timestamp}.{body}` with the subscription's secret). Answer 2xx within 10 s; "
    "anything else is retried after about 1 min, 5 min, 30 min, 2 h, 5 h and 10 h."
)


def _pilot_serializer():
    global _PILOT
    if _PILOT is None:
        _PILOT = inline_serializer(
            name="WebhookPilot",
            fields={
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "stage": serializers.CharField(help_text="discovery, pilot, readiness or scale"),
                "url": serializers.URLField(help_text="The pilot's page in Pilotgate."),
            },
        )
    return _PILOT


def _name(event_type: str) -> str:
    return "".join(part.title() for part in event_type.replace("_", ".").split("."))


def _message_serializer(event_type: str, label: str):
    data_fields = {field: _FIELDS[kind]() for field, kind in PAYLOADS.get(event_type, {}).items()}
    data_fields["pilot"] = _pilot_serializer()
    return inline_serializer(
        name=f"Webhook{_name(event_type)}",
        fields={
            "type": serializers.ChoiceField(choices=[event_type], help_text=label),
            "timestamp": serializers.DateTimeField(help_text="When the event happened."),
            "data": inline_serializer(name=f"Webhook{_name(event_type)}Data", fields=data_fields),
        },
    )


def attribute_name(event_type: str) -> str:
    """The name under which this module offers the webhook of `event_type`."""
    return "hook_" + event_type.replace(".", "__")


def _webhook(value: str, label: str) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=value,
        decorator=extend_schema(
            summary=label,
            description=HEADERS_HELP,
            request={"application/json": _message_serializer(value, label)},
            responses={200: OpenApiResponse(description="Received; any 2xx status will do.")},
        ),
    )


def import_strings() -> list[str]:
    """For SPECTACULAR_SETTINGS["WEBHOOKS"]: one import string per catalogue type."""
    return [f"{__name__}.{attribute_name(value)}" for value in EventType.values]


# drf-spectacular imports each webhook by name: one module attribute per catalogue type.
for _value, _label in EventType.choices:
    globals()[attribute_name(_value)] = _webhook(_value, _label)
