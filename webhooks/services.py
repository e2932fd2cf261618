"""Every write of the webhooks app: subscriptions, fan-out, attempts, redelivery."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from metrics.connectors import ConnectorError
from metrics.connectors.safety import check_url, describe_url
from outbox.catalog import EventType
from outbox.models import Event
from portfolio.models import Pilot
from webhooks import transport
from webhooks.models import (
    PING_TYPE,
    Attempt,
    Delivery,
    DeliveryStatus,
    FanOutCursor,
    Subscription,
    new_secret,
)

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 100
MAX_DESCRIPTION = 200
# Events fanned out by the sweeper must be at least this old: a younger one may belong to
# a transaction whose after-commit fan-out is running right now (harmless, but wasted).
SWEEP_EVENT_AGE = timedelta(seconds=30)
SWEEP_BATCH = 2000


def _celery_app():
    from celery import current_app

    return current_app


def _enqueue(delivery_ids: list[int]) -> None:
    """Queue one `webhooks.deliver` task per id, by task name, on the webhooks queue."""
    app = _celery_app()
    for delivery_id in delivery_ids:
        app.send_task(
            "webhooks.deliver", args=[delivery_id], queue=settings.PILOTGATE_WEBHOOK_QUEUE
        )


def enqueue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: _enqueue(delivery_ids))


# --- Input -------------------------------------------------------------------------------


def clean_url(url) -> str:
    """The URL, trimmed, if a subscription may use it (pages check it as they bind)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": "Give the URL that receives the events."})
    url = url.strip()
    if len(url) > 500:
        raise ValidationError({"url": "Keep the URL to 500 characters or fewer."})
    if settings.PILOTGATE_WEBHOOK_REQUIRE_HTTPS and not url.lower().startswith("https://"):
        raise ValidationError({"url": "The URL must start with https:// on this server."})
    try:
        check_url(url)
    except ConnectorError as exc:
        message = exc.message.replace("pulls to internal", "webhooks to internal")
        raise ValidationError({"url": message}) from exc
    return url


def _clean_event_types(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError({"event_types": "Choose at least one event type."})
    unknown = [t for t in event_types if t not in EventType.values]
    if unknown:
        shown = ", ".join(str(t)[:40] for t in unknown[:3])
        raise ValidationError(
            {"event_types": f"Unknown event type: {shown}. Choose from the event catalogue."}
        )
    return [t for t in EventType.values if t in event_types]  # catalogue order, no repeats


def _clean_description(description) -> str:
    description = (description or "").strip() if isinstance(description, str | None) else None
    if description is None:
        raise ValidationError({"description": "Give the description as text."})
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(
            {"description": f"Keep the description to {MAX_DESCRIPTION} characters or fewer."}
        )
    return description


def _clean_all(*, partial: bool = False, **values) -> tuple[dict, dict]:
    """Clean the fields; with `partial`, None means "not given" and is left out.
    Returns (cleaned values, error messages by field)."""
    cleaners = {"url": clean_url, "event_types": _clean_event_types,
                "description": _clean_description}  # fmt: skip
    cleaned: dict = {}
    errors: dict = {}
    for field, value in values.items():
        if partial and value is None:
            continue
        try:
            cleaned[field] = cleaners[field](value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return cleaned, errors


# --- Subscriptions -----------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *, url: str, event_types: list[str], description: str = "", by
) -> tuple[Subscription, str]:
    """Create a subscription; return it with its secret (shown to `by` this once)."""
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", "webhooks")
    cleaned, errors = _clean_all(url=url, event_types=event_types, description=description)
    if errors:
        raise ValidationError(errors)
    if Subscription.objects.count() >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"There are already {MAX_SUBSCRIPTIONS} subscriptions; remove one first.")
    secret = new_secret()
    subscription = Subscription.objects.create(**cleaned, secret=secret, created_by=by)
    audit_record(
        actor=by,
        action="webhook.create",
        obj=subscription,
        after={"url": describe_url(subscription.url), "event_types": subscription.event_types},
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *,
    subscription: Subscription,
    by,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Subscription:
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", f"webhook {subscription.pk}")
    changes, errors = _clean_all(
        partial=True, url=url, event_types=event_types, description=description
    )
    if is_active is not None and not isinstance(is_active, bool):
        errors["is_active"] = ["Give true or false."]
    if errors:
        raise ValidationError(errors)
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    before = {
        "url": describe_url(locked.url), "event_types": locked.event_types,
        "description": locked.description, "is_active": locked.is_active,
    }  # fmt: skip
    for field, value in changes.items():
        setattr(locked, field, value)
    if is_active is True and not locked.is_active:
        locked.is_active = True
        locked.disabled_at = None
        locked.disabled_reason = ""
        locked.consecutive_failures = 0
    elif is_active is False and locked.is_active:
        locked.is_active = False
        locked.disabled_at = timezone.now()
        locked.disabled_reason = f"Disabled by {by.get_username()}."
    locked.save()
    audit_record(
        actor=by,
        action="webhook.update",
        obj=locked,
        before=before,
        after={
            "url": describe_url(locked.url), "event_types": locked.event_types,
            "description": locked.description, "is_active": locked.is_active,
        },
    )  # fmt: skip
    return locked


@transaction.atomic
def subscription_delete(*, subscription: Subscription, by) -> None:
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", f"webhook {subscription.pk}")
    audit_record(
        actor=by,
        action="webhook.delete",
        obj=subscription,
        before={"url": describe_url(subscription.url), "event_types": subscription.event_types},
    )
    subscription.delete()


@transaction.atomic
def subscription_rotate_secret(*, subscription: Subscription, by) -> str:
    """A new secret, effective at once for every later attempt; returned this once."""
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", f"webhook {subscription.pk}")
    secret = new_secret()
    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(secret=secret, secret_rotated_at=now)
    subscription.secret_rotated_at = now
    audit_record(actor=by, action="webhook.rotate_secret", obj=subscription)
    return secret


@transaction.atomic
def subscription_ping(*, subscription: Subscription, by) -> Delivery:
    """Queue a signed test message (type `webhook.ping`) to the subscription's URL."""
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", f"webhook {subscription.pk}")
    if not subscription.is_active:
        raise Conflict("This subscription is disabled; enable it before sending a test.")
    from outbox.models import new_message_id

    now = timezone.now()
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=None,
        message_id=new_message_id(),
        event_type=PING_TYPE,
        body={
            "type": PING_TYPE,
            "timestamp": now.isoformat(),
            "data": {"subscription_id": subscription.pk, "sent_by": by.get_username()},
        },
        next_attempt_at=now,
    )
    audit_record(actor=by, action="webhook.ping", obj=subscription)
    enqueue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery, by) -> Delivery:
    """Send a delivery again, with the same message id and body, on a fresh schedule."""
    rules.ensure(rules.can_manage_webhooks(by), by, "manage_webhooks", f"delivery {delivery.pk}")
    if not Subscription.objects.filter(pk=delivery.subscription_id, is_active=True).exists():
        raise Conflict("This subscription is disabled; enable it before redelivering.")
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, delivered_at=None
    )
    audit_record(
        actor=by, action="webhook.redeliver", obj=delivery,
        after={"message_id": delivery.message_id},
    )  # fmt: skip
    enqueue_on_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery


# --- Fan-out -----------------------------------------------------------------------------


def pilot_summary(pilot: Pilot) -> dict:
    base = settings.PILOTGATE_BASE_URL.rstrip("/")
    return {
        "id": pilot.pk,
        "name": pilot.name,
        "stage": pilot.stage,
        "url": f"{base}{pilot.get_absolute_url()}",
    }


def event_body(event: Event, pilot: Pilot | None) -> dict:
    data = dict(event.payload)
    if pilot is not None:
        data["pilot"] = pilot_summary(pilot)
    return {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}


def events_fan_out(events: list[Event]) -> list[int]:
    """Create the deliveries of `events` to every active subscription that chose their
    type (at most once per pair); return the ids of the deliveries created."""
    if not events:
        return []
    subscriptions = list(Subscription.objects.filter(is_active=True).select_related("created_by"))
    if not subscriptions:
        return []
    pilot_ids = {e.pilot_id for e in events if e.pilot_id is not None}
    pilots = Pilot.objects.in_bulk(pilot_ids) if pilot_ids else {}
    rows = []
    for event in events:
        pilot = pilots.get(event.pilot_id) if event.pilot_id is not None else None
        body = None
        for subscription in subscriptions:
            if event.type not in subscription.event_types:
                continue
            if event.occurred_at < subscription.created_at:
                continue
            if pilot is not None and not rules.webhook_may_carry(subscription.created_by, pilot):
                continue
            if event.pilot_id is not None and pilot is None:
                continue  # the pilot is gone; nothing to say about it
            body = body or event_body(event, pilot)
            rows.append(
                Delivery(
                    subscription=subscription, event=event, message_id=event.message_id,
                    event_type=event.type, body=body, next_attempt_at=timezone.now(),
                )
            )  # fmt: skip
    if not rows:
        return []
    with transaction.atomic():
        created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        # ignore_conflicts leaves pk unset on PostgreSQL for every row: read the ids back.
        ids = list(
            Delivery.objects.filter(
                event__in=[e.pk for e in events],
                subscription__in=[s.pk for s in subscriptions],
                status=DeliveryStatus.PENDING,
                attempts=0,
            ).values_list("pk", flat=True)
        )
        del created
        enqueue_on_commit(ids)
    return ids


def sweep(*, now: datetime | None = None) -> dict:
    """Beat: fan out events the after-commit fan-out missed, and queue deliveries due
    (retries, and those whose worker died mid-attempt: their lease has run out)."""
    now = now or timezone.now()
    cursor, _ = FanOutCursor.objects.get_or_create(pk=1)
    settled = Event.objects.filter(
        pk__gt=cursor.last_event_id, occurred_at__lte=now - SWEEP_EVENT_AGE
    ).order_by("pk")
    oldest = (
        Subscription.objects.filter(is_active=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    fanned = 0
    events: list[Event] = []
    if oldest is None:
        # Nobody listens: move the cursor past what is settled, fanning out nothing.
        last = settled.values_list("pk", flat=True).last()
        if last is not None:
            FanOutCursor.objects.filter(pk=1).update(last_event_id=last)
    else:
        events = list(settled.filter(occurred_at__gte=oldest)[:SWEEP_BATCH])
        if events:
            fanned = len(events_fan_out(events))
            FanOutCursor.objects.filter(pk=1).update(last_event_id=events[-1].pk)
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    _enqueue(due)
    return {"events": len(events), "fanned_out": fanned, "queued": len(due)}


# --- Attempts ----------------------------------------------------------------------------


def sign(*, secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    at = at.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def retry_delay(attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed attempt a delivery is tried again; None
    when the schedule is used up."""
    schedule = settings.PILOTGATE_WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return timedelta(seconds=base * random.uniform(0.9, 1.1))


def delivery_attempt(delivery_id: int, *, resolver=None) -> str:
    """Take the delivery if it is due, POST it once, record the attempt and what follows.
    Returns what happened: "delivered", "retry", "failed", "skipped"."""
    now = timezone.now()
    lease = timedelta(seconds=settings.PILOTGATE_WEBHOOK_LEASE_SECONDS)
    # Claim: a second task for the same delivery (the sweeper's, a broker redelivery)
    # finds next_attempt_at moved past now and does nothing.
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + lease)
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None
        )
        return "skipped"
    body = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = sign(
        secret=subscription.secret, message_id=delivery.message_id, body=body,
        at=timezone.now(),
    )  # fmt: skip
    outcome = transport.post(
        subscription.url,
        body=body,
        headers=headers,
        connect_timeout=settings.PILOTGATE_WEBHOOK_CONNECT_TIMEOUT,
        timeout=settings.PILOTGATE_WEBHOOK_TIMEOUT,
        resolver=resolver,
    )
    return _record(delivery, outcome)


@transaction.atomic
def _record(delivery: Delivery, outcome: transport.Outcome) -> str:
    now = timezone.now()
    error = outcome.error
    if not error and not outcome.ok:
        error = f"The receiver answered HTTP {outcome.status_code}."
    Attempt.objects.create(
        delivery=delivery, attempted_at=now, status_code=outcome.status_code,
        duration_ms=outcome.duration_ms, response_excerpt=outcome.excerpt[:1000],
        error=error[:500],
    )  # fmt: skip
    attempts = delivery.attempts + 1
    common = {"attempts": attempts, "last_status_code": outcome.status_code}
    if outcome.ok:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None, **common
        )
        if delivery.subscription.consecutive_failures:
            Subscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=0)
        return "delivered"
    delay = retry_delay(attempts)
    if delay is not None:
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + delay, **common)
        return "retry"
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, **common
    )
    if delivery.event_type != PING_TYPE:
        _count_exhausted(delivery.subscription_id, now=now)
    return "failed"


def _count_exhausted(subscription_id: int, *, now: datetime) -> None:
    """One more delivery used up every attempt; past the limit, disable the subscription
    and tell its creator by email (nothing is published: no event about webhooks)."""
    Subscription.objects.filter(pk=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.PILOTGATE_WEBHOOK_DISABLE_AFTER
    reason = f"Disabled automatically: {limit} deliveries in a row failed after every retry."
    disabled = Subscription.objects.filter(
        pk=subscription_id, is_active=True, consecutive_failures__gte=limit
    ).update(is_active=False, disabled_at=now, disabled_reason=reason)
    if disabled:
        subscription = Subscription.objects.select_related("created_by").get(pk=subscription_id)
        audit_record(
            actor=None, action="webhook.disable", obj=subscription, after={"reason": reason}
        )
        transaction.on_commit(lambda: _notify_disabled(subscription))


def _notify_disabled(subscription: Subscription) -> None:
    owner = subscription.created_by
    if not owner.email:
        return
    from django.urls import reverse

    link = settings.PILOTGATE_BASE_URL.rstrip("/") + reverse(
        "webhooks:detail", args=[subscription.pk]
    )
    try:
        send_mail(
            subject="A Pilotgate webhook was disabled",
            message=(
                f"Your webhook to {describe_url(subscription.url)} stopped receiving events: "
                f"{subscription.disabled_reason}\n\nCheck the receiver, then enable the "
                f"subscription again and redeliver what it missed: {link}\n"
            ),
            from_email=None,
            recipient_list=[owner.email],
        )
    except Exception:  # a failing mail server must not undo the disabling
        logger.exception("could not email the owner of webhook %s", subscription.pk)
