"""API of pull sources: the same services and rules as the pages.

    GET, POST         /api/pilots/{pilot_pk}/sources/
    GET, PATCH, DELETE /api/sources/{id}/
    POST              /api/sources/{id}/pull/     (202: a pull is queued)

`secret_header_value` is write-only: answers carry `secret_set` instead. People who may
see the pilot but not manage its sources get health fields only (no config, no error).
"""

from __future__ import annotations

import django_filters
from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import rules
from config.errors import Conflict
from config.fields import StrictBooleanField
from metrics import pulls
from metrics.models import MetricSource, SourceKind, SourceStatus
from metrics.sources import selectors as source_selectors
from metrics.sources.schema import body_problems, source_create_schema, source_update_schema
from portfolio.selectors import pilot_get


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "Null for people who may see the pilot but not manage its sources.",
    }
)
class ConfigField(serializers.JSONField):
    pass


@extend_schema_field({"type": "string", "nullable": True})
class LastErrorField(serializers.CharField):
    pass


class MetricSourceSerializer(serializers.ModelSerializer):
    config = ConfigField(required=False)
    last_error = LastErrorField(read_only=True)
    secret_header_value = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=4000,
        help_text="Write-only. Omit it on PATCH to keep the stored secret.",
        style={"input_type": "password"},
    )
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
    }
    clear_secret = StrictBooleanField(
        write_only=True, required=False, help_text="PATCH only: remove the stored secret."
    )
    secret_set = serializers.SerializerMethodField()

    class Meta:
        model = MetricSource
        fields = [
            "id",
            "pilot",
            "name",
            "kind",
            "config",
            "interval_minutes",
            "enabled",
            "secret_header_name",
            "secret_header_value",
            "clear_secret",
            "secret_set",
            "status",
            "consecutive_failures",
            "last_success_at",
            "last_attempt_at",
            "last_error",
            "next_due_at",
        ]
        read_only_fields = [
            "pilot",
            "status",
            "consecutive_failures",
            "last_success_at",
            "last_attempt_at",
            "last_error",
            "next_due_at",
        ]

    def get_secret_set(self, source) -> bool:
        flag = getattr(source, "secret_set", None)
        return bool(flag) if flag is not None else source.has_secret

    def to_representation(self, source):
        data = super().to_representation(source)
        if not self.context.get("can_manage"):
            data["config"] = None
            data["last_error"] = None
        return data


def _source_for(request, pk: int) -> MetricSource:
    source = get_object_or_404(MetricSource.objects.select_related("pilot"), pk=pk)
    source.pilot = pilot_get(user=request.user, pk=source.pilot_id)
    return source


def _check_body(request, *, create: bool) -> None:
    if not request.body:  # `{}` is an empty change; no body at all is a mistake
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    problems = body_problems(request.data, create=create)
    if problems:
        raise ValidationError(problems)


def _check_name_free(pilot, name, source=None) -> None:
    """A name another source of the pilot has is a conflict with the pilot's state (409);
    the unique constraint still backs it (400 in a race)."""
    name = name.strip() if isinstance(name, str) else ""
    taken = MetricSource.objects.filter(pilot=pilot, name=name)
    if source is not None:
        taken = taken.exclude(pk=source.pk)
    if name and taken.exists():
        raise Conflict(f"This pilot already has a source named {name!r}.")


def _answer(request, source, code=status.HTTP_200_OK) -> Response:
    fresh = source_selectors.pilot_sources(pilot=source.pilot).get(pk=source.pk)
    can_manage = rules.can_manage_sources(request.user, source.pilot)
    return Response(
        MetricSourceSerializer(fresh, context={"can_manage": can_manage}).data, status=code
    )


class SourceFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    status = django_filters.ChoiceFilter(choices=SourceStatus.choices)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = MetricSource
        fields = ["kind", "status", "enabled"]


class PilotSourcesView(generics.ListAPIView):
    queryset = MetricSource.objects.none()  # for the schema; get_queryset() is the real one
    serializer_class = MetricSourceSerializer
    filterset_class = SourceFilter

    def get_queryset(self):
        self.pilot = pilot_get(user=self.request.user, pk=self.kwargs["pilot_pk"])
        return source_selectors.pilot_sources(pilot=self.pilot)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        pilot = getattr(self, "pilot", None)
        context["can_manage"] = pilot is not None and rules.can_manage_sources(
            self.request.user, pilot
        )
        return context

    @extend_schema(summary="A pilot's metric sources, by name")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Connect a metric source (owners)",
        description="`config` takes the shape of its `kind`. 409 when the pilot already has "
        "a source of that name.",
        request={"application/json": source_create_schema()},
        extensions={"x-body-required": True},
        responses={201: MetricSourceSerializer},
    )
    def post(self, request, pilot_pk: int):
        pilot = pilot_get(user=request.user, pk=pilot_pk)
        rules.ensure(
            rules.can_manage_sources(request.user, pilot),
            request.user,
            "manage_sources",
            f"pilot:{pilot.pk}",
        )
        _check_body(request, create=True)
        _check_name_free(pilot, request.data.get("name"))
        serializer = MetricSourceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("clear_secret", None)
        data.setdefault("config", {})  # optional in the body; the service validates it (400)
        source = pulls.source_create(pilot=pilot, by=request.user, **data)
        return _answer(request, source, status.HTTP_201_CREATED)


class SourceDetailView(APIView):
    @extend_schema(summary="One metric source", responses=MetricSourceSerializer)
    def get(self, request, pk: int):
        return _answer(request, _source_for(request, pk))

    @extend_schema(
        summary="Change a metric source (owners)",
        description="409 when another source of the pilot has the new name.",
        request={"application/json": source_update_schema()},
        extensions={"x-body-required": True},
        responses=MetricSourceSerializer,
    )
    def patch(self, request, pk: int):
        source = _source_for(request, pk)
        rules.ensure(
            rules.can_manage_sources(request.user, source.pilot),
            request.user,
            "manage_sources",
            f"source:{source.pk}",
        )
        _check_body(request, create=False)
        _check_name_free(source.pilot, request.data.get("name"), source=source)
        serializer = MetricSourceSerializer(source, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        secret = data.pop("secret_header_value", None)
        clear = data.pop("clear_secret", False)
        source = pulls.source_update(
            source=source,
            by=request.user,
            secret_header_value=secret or None,
            clear_secret=clear,
            **data,
        )
        return _answer(request, source)

    @extend_schema(summary="Disconnect a metric source (owners)", responses={204: None})
    def delete(self, request, pk: int):
        pulls.source_delete(source=_source_for(request, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourcePullView(APIView):
    @extend_schema(
        summary="Queue a pull of the source now (owners; 409 when it is disabled)",
        request=None,
        responses={
            202: inline_serializer("PullQueued", {"message": serializers.CharField()}),
        },
    )
    def post(self, request, pk: int):
        source = _source_for(request, pk)
        if not source.enabled and rules.can_manage_sources(request.user, source.pilot):
            raise Conflict("This source is disabled; enable it before pulling it.")
        pulls.source_pull_request(source=source, by=request.user)
        return Response({"message": "Pull queued."}, status=status.HTTP_202_ACCEPTED)
