"""The webhooks API: subscriptions, the event catalogue, the delivery log, redelivery."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from outbox.catalog import PAYLOADS, EventType
from webhooks import selectors, services
from webhooks.models import Delivery, DeliveryStatus, Subscription
from webhooks.serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EventTypeSerializer,
    SecretSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
    SubscriptionWithSecretSerializer,
    SubscriptionWriteSerializer,
)


class EventTypeListView(APIView):
    @extend_schema(
        summary="The event catalogue: every type a subscription can choose, with its payload",
        responses=EventTypeSerializer(many=True),
    )
    def get(self, request):
        rows = [
            {"type": value, "description": label, "payload": dict(PAYLOADS.get(value, {}))}
            for value, label in EventType.choices
        ]
        return Response(EventTypeSerializer(rows, many=True).data)


class SubscriptionListView(generics.ListAPIView):
    queryset = Subscription.objects.none()  # for the schema; get_queryset() is the real one
    serializer_class = SubscriptionSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self):
        return selectors.subscription_list(user=self.request.user)

    @extend_schema(summary="Webhook subscriptions (administrators and governance leads)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a subscription; the answer carries its signing secret, shown only once",
        request=SubscriptionWriteSerializer,
        responses={201: SubscriptionWithSecretSerializer},
    )
    def post(self, request):
        selectors.subscription_list(user=request.user)  # who may, before the input
        data = SubscriptionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        is_active = values.pop("is_active", True)
        subscription, secret = services.subscription_create(by=request.user, **values)
        if not is_active:
            subscription = services.subscription_update(
                subscription=subscription, by=request.user, is_active=False
            )
        subscription.secret = secret
        return Response(
            SubscriptionWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetailView(APIView):
    @extend_schema(summary="One subscription (never its secret)", responses=SubscriptionSerializer)
    def get(self, request, pk):
        subscription = selectors.subscription_get(user=request.user, pk=pk)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        summary="Change a subscription; is_active=true enables a disabled one again",
        request=SubscriptionUpdateSerializer,
        responses=SubscriptionSerializer,
    )
    def patch(self, request, pk):
        subscription = selectors.subscription_get(user=request.user, pk=pk)
        data = SubscriptionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            subscription=subscription, by=request.user, **data.validated_data
        )
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(summary="Remove a subscription and its delivery log", responses={204: None})
    def delete(self, request, pk):
        subscription = selectors.subscription_get(user=request.user, pk=pk)
        services.subscription_delete(subscription=subscription, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionRotateView(APIView):
    @extend_schema(
        summary="Replace the signing secret; the answer carries the new one, shown only once",
        request=None,
        responses=SecretSerializer,
    )
    def post(self, request, pk):
        subscription = selectors.subscription_get(user=request.user, pk=pk)
        secret = services.subscription_rotate_secret(subscription=subscription, by=request.user)
        response = Response(SecretSerializer({"secret": secret}).data)
        response["Cache-Control"] = "no-store"
        return response


class SubscriptionPingView(APIView):
    @extend_schema(
        summary="Queue a signed test message (type webhook.ping) to the subscription",
        request=None,
        responses={202: DeliverySerializer},
    )
    def post(self, request, pk):
        subscription = selectors.subscription_get(user=request.user, pk=pk)
        delivery = services.subscription_ping(subscription=subscription, by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class SubscriptionDeliveriesView(generics.ListAPIView):
    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer

    def get_queryset(self):
        subscription = selectors.subscription_get(user=self.request.user, pk=self.kwargs["pk"])
        wanted = self.request.query_params.get("status") or None
        if wanted is not None and wanted not in DeliveryStatus.values:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": f"Choose one of: {', '.join(DeliveryStatus.values)}."})
        return selectors.delivery_list(subscription=subscription, status=wanted)

    @extend_schema(
        summary="The delivery log of a subscription, newest first",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeliveryDetailView(APIView):
    @extend_schema(summary="One delivery with its body and attempts",
                   responses=DeliveryDetailSerializer)  # fmt: skip
    def get(self, request, pk):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        return Response(DeliveryDetailSerializer(delivery).data)


class DeliveryRedeliverView(APIView):
    @extend_schema(
        summary="Send a delivery again (same message id and body, fresh retry schedule)",
        request=None,
        responses={202: DeliverySerializer},
    )
    def post(self, request, pk):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        delivery = services.delivery_redeliver(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
