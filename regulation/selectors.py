"""Reads of profiles and the obligations catalogue shared by pages, API and the gate seam."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet

from regulation.models import CatalogueVersion, Obligation, Profile


def current_profile(pilot) -> Profile | None:
    """The newest profile version of the pilot (confirmed or not), or None."""
    return (
        Profile.objects.filter(pilot=pilot)
        .select_related("created_by", "confirmed_by")
        .order_by("-version")
        .first()
    )


def profile_history(pilot) -> QuerySet:
    return (
        Profile.objects.filter(pilot=pilot)
        .select_related("created_by", "confirmed_by")
        .order_by("-version")
    )


def current_catalogue() -> CatalogueVersion | None:
    """The catalogue in force (the newest version) with its obligations loaded."""
    obligations = Prefetch("obligations", queryset=Obligation.objects.order_by("position", "id"))
    return CatalogueVersion.objects.prefetch_related(obligations).order_by("-number").first()


def catalogue_obligations(catalogue: CatalogueVersion | None) -> list[Obligation]:
    return list(catalogue.obligations.all()) if catalogue is not None else []


def applicable(obligations: list[Obligation], *, classification: str, roles, flags) -> list:
    """The obligations that the classification, roles and flags of a profile bring."""
    roles, flags = set(roles), set(flags)
    return [
        o
        for o in obligations
        if classification in o.classifications
        and roles & set(o.roles)
        and (not o.requires_flag or o.requires_flag in flags)
    ]


def profile_obligations(profile: Profile | None, obligations: list[Obligation]) -> list:
    if profile is None or profile.classification == "prohibited":
        return []
    return applicable(
        obligations,
        classification=profile.classification,
        roles=profile.roles,
        flags=profile.flags,
    )


def in_force(obligation: Obligation, today: date) -> bool:
    return obligation.applies_from <= today
