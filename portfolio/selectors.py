"""Reads of pilots shared by pages and API; every one applies the visibility rule."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts import rules
from accounts.models import AuditEvent, PilotRole
from portfolio.models import Pilot


def _with_roles(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch("roles", queryset=PilotRole.objects.select_related("user"))
    )


def pilot_list(*, user) -> QuerySet:
    return _with_roles(rules.visible_pilots(user, Pilot.objects.all()))


def pilot_get(*, user, pk) -> Pilot:
    """The pilot, or 404 when it does not exist or `user` may not see it."""
    pilot = get_object_or_404(_with_roles(Pilot.objects.all()), pk=pk)
    rules.ensure_visible(user, pilot)
    return pilot


def business_units(*, user) -> list[str]:
    queryset = rules.visible_pilots(user, Pilot.objects.all())
    return list(queryset.order_by().values_list("business_unit", flat=True).distinct())


def pilot_audit_events(*, pilot: Pilot) -> QuerySet:
    return AuditEvent.objects.filter(pilot_id=pilot.pk).order_by("-id")
