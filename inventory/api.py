"""Inventory API: the four asset catalogues, prompt versions, a pilot's links and its
change requests (`POST /api/pilots/{id}/changes/`, for delivery pipelines)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import rules
from config.api_schema import ERROR_REF
from inventory import selectors, services
from inventory.models import AssetKind, ChangeRequest, ChangeSource, PilotAsset
from inventory.serializers import (
    AIModelSerializer,
    ChangeInputSerializer,
    ChangeRequestSerializer,
    DatasetSerializer,
    PilotAssetSerializer,
    PromptSerializer,
    PromptVersionInputSerializer,
    PromptVersionSerializer,
    VendorSerializer,
)
from inventory.services.changes import TARGETS
from portfolio import selectors as pilot_selectors


def _ensure_editor(user, target: str) -> None:
    rules.ensure(
        rules.can_edit_inventory(user), user, "edit_inventory", target,
        "Only contributors, governance leads and admins record or edit the inventory.",
    )  # fmt: skip


class _AssetViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    kind: str = ""
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.asset_list(kind=self.kind)

    def create(self, request, *args, **kwargs):
        _ensure_editor(request.user, f"{self.kind}:new")  # who (403) before the input (400)
        return super().create(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        self.get_object()  # 404 first
        _ensure_editor(request.user, f"{self.kind}:{kwargs.get('pk')}")
        return super().partial_update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.asset_save(
            kind=self.kind, by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.asset_save(
            kind=self.kind, by=self.request.user, instance=serializer.instance,
            **serializer.validated_data,
        )  # fmt: skip


def _schema(noun: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s"),
        create=extend_schema(summary=f"Record a {noun}"),
        retrieve=extend_schema(summary=f"One {noun}"),
        partial_update=extend_schema(summary=f"Change a {noun}'s fields"),
    )


@_schema("model")
class AIModelViewSet(_AssetViewSet):
    filterset_fields = ["provider", "hosting", "general_purpose"]
    kind = AssetKind.MODEL
    serializer_class = AIModelSerializer


@_schema("dataset")
class DatasetViewSet(_AssetViewSet):
    filterset_fields = ["legal_basis"]
    kind = AssetKind.DATASET
    serializer_class = DatasetSerializer


@_schema("vendor")
class VendorViewSet(_AssetViewSet):
    filterset_fields = ["risk_rating", "data_residency"]
    kind = AssetKind.VENDOR
    serializer_class = VendorSerializer


@_schema("prompt")
class PromptViewSet(_AssetViewSet):
    filterset_fields = ["identifier"]
    kind = AssetKind.PROMPT
    serializer_class = PromptSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("versions__author")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not data.get("content"):
            raise ValidationError({"content": "Give the first version's text."})
        serializer.instance = services.prompt_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "content" in data:
            raise ValidationError({"content": "Versions never change: post a new version."})
        serializer.instance = services.asset_save(
            kind=self.kind, by=self.request.user, instance=serializer.instance, **data
        )

    @extend_schema(
        summary="Save a new version of a prompt (versions are immutable)",
        request=PromptVersionInputSerializer,
        responses={201: PromptVersionSerializer},
    )
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        prompt = self.get_object()
        _ensure_editor(request.user, f"prompt:{prompt.pk}")
        data = PromptVersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.prompt_version_add(
            prompt=prompt, content=data.validated_data["content"], by=request.user
        )
        return Response(PromptVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class PilotAssetsView(generics.ListAPIView):
    serializer_class = PilotAssetSerializer
    queryset = PilotAsset.objects.none()  # for the schema; get_queryset() is the real one
    filterset_fields = ["kind"]

    @extend_schema(summary="What a pilot uses: its linked models, prompts, datasets, vendors")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        pilot = pilot_selectors.pilot_get(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.pilot_links_queryset(pilot=pilot)


def _target(kind: str, to_id):
    if to_id is None:
        return None
    found = TARGETS[kind].objects.filter(pk=to_id).first()
    if found is None:
        label = "prompt version" if kind == AssetKind.PROMPT else AssetKind(kind).label.lower()
        raise ValidationError({"to": f"No {label} has id {to_id}."})
    return found


class PilotChangesView(generics.ListAPIView):
    serializer_class = ChangeRequestSerializer
    filterset_fields = ["kind", "classification"]
    queryset = ChangeRequest.objects.none()  # for the schema; get_queryset() is the real one

    @extend_schema(summary="A pilot's change requests, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        pilot = pilot_selectors.pilot_get(user=self.request.user, pk=self.kwargs["pk"])
        return ChangeRequest.objects.filter(pilot=pilot).select_related("requested_by")

    @extend_schema(
        summary="Record a change to what a pilot uses (delivery pipelines: token auth)",
        description="Swap (`link` and `to`), add (`to` only) or remove (`link` only). A pilot "
        "in discovery or pilot: applied, recorded as not controlled. In readiness or scale: "
        "a minor change is applied and recorded; a material one opens a change review and "
        "applies once approved. 409 while another change waits for its review (the message "
        "names it). The same `external_id` again returns the first change with 200.",
        request=ChangeInputSerializer,
        responses={
            201: ChangeRequestSerializer,
            200: OpenApiResponse(ChangeRequestSerializer, description="Seen this external_id"),
            400: OpenApiResponse(ERROR_REF, description="Bad input; `errors` names the field."),
            409: OpenApiResponse(ERROR_REF, description="Another change waits for review."),
        },
    )
    def post(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        rules.ensure(
            rules.can_change_pilot_assets(request.user, pilot), request.user, "change_assets",
            f"pilot:{pk}",
            "Only the pilot's owners, its operations lead or an admin change what it uses.",
        )  # fmt: skip
        data = ChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind = values["kind"]
        external_id = (values.get("external_id") or "").strip() or None
        if external_id is not None:
            earlier = ChangeRequest.objects.filter(pilot=pilot, external_id=external_id).first()
            if earlier is not None:  # a pipeline's retry: the first result, not a second change
                return Response(ChangeRequestSerializer(earlier).data, status=200)
        link = None
        if values.get("link") is not None:
            link = PilotAsset.objects.filter(pk=values["link"], pilot=pilot, kind=kind).first()
            if link is None:
                raise ValidationError(
                    {"link": f"This pilot has no {AssetKind(kind).label.lower()} link "
                             f"with id {values['link']}."}
                )  # fmt: skip
        outcome = services.change_request(
            pilot=pilot, by=request.user, kind=kind, link=link,
            to_asset=_target(kind, values.get("to")), purpose=values.get("purpose", ""),
            note=values.get("note", ""), external_id=external_id,
            source=ChangeSource.PIPELINE if external_id else ChangeSource.API,
        )  # fmt: skip
        body = ChangeRequestSerializer(outcome.change).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else 200)


class ChangeDetailView(generics.RetrieveAPIView):
    serializer_class = ChangeRequestSerializer

    @extend_schema(summary="One change request")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return selectors.change_get(user=self.request.user, pk=self.kwargs["pk"])
