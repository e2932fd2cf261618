"""Webhook pages: subscriptions, their delivery log, redelivery, secret rotation, pings."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import Conflict
from outbox.catalog import EventType
from webhooks import selectors, services
from webhooks.forms import SubscriptionForm
from webhooks.models import DeliveryStatus

_LABELS = dict(EventType.choices)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _secret_page(request, subscription, secret: str, *, rotated: bool):
    response = render(
        request,
        "webhooks/secret.html",
        {"subscription": subscription, "secret": secret, "rotated": rotated},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def subscription_list(request):
    subscriptions = list(selectors.subscription_list(user=request.user))
    for subscription in subscriptions:
        subscription.event_labels = [_LABELS.get(t, t) for t in subscription.event_types]
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_create(request):
    selectors.subscription_list(user=request.user)  # 403 before anything else
    form = SubscriptionForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, secret = services.subscription_create(
                url=data["url"], event_types=data["event_types"],
                description=data["description"], by=request.user,
            )  # fmt: skip
        except ValidationError as exc:
            _add_errors(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            if not data["is_active"]:
                services.subscription_update(
                    subscription=subscription, by=request.user, is_active=False
                )
            return _secret_page(request, subscription, secret, rotated=False)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/form.html", {"form": form}, status=status)


@login_required
def subscription_detail(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    subscription.event_labels = [_LABELS.get(t, t) for t in subscription.event_types]
    status = request.GET.get("status") or ""
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = selectors.delivery_list(subscription=subscription, status=status or None)
    page = Paginator(deliveries, 25).get_page(request.GET.get("page"))
    for delivery in page:
        delivery.event_label = _LABELS.get(delivery.event_type, "Test message")
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    initial = {
        "url": subscription.url, "description": subscription.description,
        "event_types": subscription.event_types, "is_active": subscription.is_active,
    }  # fmt: skip
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(subscription=subscription, by=request.user,
                                         **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Subscription saved.")
            return redirect("webhooks:detail", pk=subscription.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "webhooks/form.html", {"form": form, "subscription": subscription}, status=status
    )


@login_required
@require_POST
def subscription_delete(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    services.subscription_delete(subscription=subscription, by=request.user)
    messages.success(request, "Subscription removed; nothing more will be sent to it.")
    return redirect("webhooks:list")


@login_required
@require_POST
def subscription_rotate(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    secret = services.subscription_rotate_secret(subscription=subscription, by=request.user)
    return _secret_page(request, subscription, secret, rotated=True)


@login_required
@require_POST
def subscription_ping(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    try:
        services.subscription_ping(subscription=subscription, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Test message queued. Reload in a moment to see how the receiver answered."
        )
    return redirect("webhooks:detail", pk=subscription.pk)


@login_required
def delivery_detail(request, pk):
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    delivery.event_label = _LABELS.get(delivery.event_type, "Test message")
    return render(
        request,
        "webhooks/delivery.html",
        {"delivery": delivery, "subscription": delivery.subscription,
         "attempts": list(delivery.attempt_log.all()),
         "body_json": json.dumps(delivery.body, indent=2, ensure_ascii=False)},
    )  # fmt: skip


@login_required
@require_POST
def delivery_redeliver(request, pk):
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    try:
        services.delivery_redeliver(delivery=delivery, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Delivery {delivery.message_id} queued again with the same message id."
        )
    return redirect(reverse("webhooks:delivery", args=[delivery.pk]))
