"""Reads shared by the webhook pages and API. Only those who manage webhooks read them."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet
from django.shortcuts import get_object_or_404

from accounts import rules
from webhooks.models import Delivery, Subscription


def _ensure_manager(user, target: str) -> None:
    rules.ensure(
        rules.can_manage_webhooks(user), user, "manage_webhooks", target,
        "Only administrators and governance leads manage webhooks.",
    )  # fmt: skip


def subscription_list(*, user) -> QuerySet[Subscription]:
    _ensure_manager(user, "webhooks")
    return (
        Subscription.objects.select_related("created_by")
        .annotate(
            delivery_count=Count("deliveries"), last_delivery_at=Max("deliveries__created_at")
        )
        .order_by("-created_at", "-id")
    )


def subscription_get(*, user, pk: int) -> Subscription:
    _ensure_manager(user, f"webhook:{pk}")
    return get_object_or_404(Subscription.objects.select_related("created_by"), pk=pk)


def delivery_list(*, subscription: Subscription, status: str | None = None) -> QuerySet:
    deliveries = Delivery.objects.filter(subscription=subscription)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")


def delivery_get(*, user, pk: int) -> Delivery:
    _ensure_manager(user, f"webhook-delivery:{pk}")
    return get_object_or_404(
        Delivery.objects.select_related("subscription").prefetch_related("attempt_log"), pk=pk
    )
