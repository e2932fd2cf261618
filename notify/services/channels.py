"""Slack and Teams channels: configured by administrators, audited, URL kept secret."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record
from metrics.connectors import ConnectorError
from metrics.connectors.safety import UnsafeURL, check_url
from notify.models import (
    Channel,
    ChannelKind,
)
from outbox.catalog import EventType
from portfolio.models import BusinessUnit


def _channel_errors(*, name, kind, url, event_types, business_unit) -> dict:
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Give the channel a name."
    if kind not in ChannelKind.values:
        errors["kind"] = "Choose Slack or Microsoft Teams."
    unknown = [t for t in event_types or [] if t not in EventType.values]
    if unknown:
        errors["event_types"] = f"Unknown event type: {', '.join(str(t)[:40] for t in unknown)}."
    elif not event_types:
        errors["event_types"] = "Choose at least one kind of event to post."
    if business_unit is not None and not isinstance(business_unit, BusinessUnit):
        errors["business_unit"] = "Choose a business unit from the list."
    try:
        check_url(url or "")
    except UnsafeURL as exc:
        # The guard speaks of metric pulls; here the same rule applies to posts.
        errors["url"] = exc.message.replace("pulls to", "posts to").replace("be pulled", "be used")
    except ConnectorError as exc:
        errors["url"] = f"{exc.message} Check the address."
    return errors


@transaction.atomic
def channel_create(*, by, name: str, kind: str, url: str, event_types: list[str],
                   business_unit=None) -> Channel:  # fmt: skip
    rules.ensure(rules.is_admin(by), by, "notify.channel_create", "channel",
                 "Only administrators configure Slack and Teams channels.")  # fmt: skip
    errors = _channel_errors(name=name, kind=kind, url=url, event_types=event_types,
                             business_unit=business_unit)  # fmt: skip
    if errors:
        raise ValidationError(errors)
    channel = Channel.objects.create(
        name=name.strip(), kind=kind, url=url.strip(), event_types=list(event_types),
        business_unit=business_unit, created_by=by,
    )  # fmt: skip
    audit_record(actor=by, action="notify.channel_create", obj=channel, after=_audit_view(channel))
    return channel


@transaction.atomic
def channel_remove(*, channel: Channel, by) -> None:
    rules.ensure(rules.is_admin(by), by, "notify.channel_remove", f"channel:{channel.pk}",
                 "Only administrators configure Slack and Teams channels.")  # fmt: skip
    before = _audit_view(channel)
    channel.active = False
    channel.save(update_fields=["active"])
    audit_record(actor=by, action="notify.channel_remove", obj=channel, before=before)


def _audit_view(channel: Channel) -> dict:
    # The URL is a secret: the audit trail keeps only its masked form.
    return {"name": channel.name, "kind": channel.kind, "url": channel.masked_url,
            "event_types": channel.event_types, "business_unit": channel.business_unit_id,
            "active": channel.active}  # fmt: skip
