"""Reads of the inventory shared by pages and API. Which pilots use an asset is always
filtered by the reader's visibility (accounts.rules): a confidential pilot the reader may
not see is not listed and not counted, as everywhere else in Pilotgate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import rules
from config.money import format_money, is_money_unit, number_unit
from inventory.models import (
    LINK_FIELDS,
    AIModel,
    AssetKind,
    ChangeRequest,
    ChangeRule,
    Dataset,
    EndOfLifeAlert,
    PilotAsset,
    Prompt,
    Vendor,
)
from metrics import selectors as metric_selectors
from metrics.catalog import metric_label, metric_names
from metrics.models import MetricDefinition
from portfolio.models import Pilot, Stage

ASSET_MODELS = {
    AssetKind.MODEL: AIModel,
    AssetKind.PROMPT: Prompt,
    AssetKind.DATASET: Dataset,
    AssetKind.VENDOR: Vendor,
}
_RELATED = {
    AssetKind.MODEL: ("vendor", "created_by"),
    AssetKind.PROMPT: ("created_by",),
    AssetKind.DATASET: ("owner", "created_by"),
    AssetKind.VENDOR: ("created_by",),
}


def asset_list(*, kind: str) -> QuerySet:
    return ASSET_MODELS[kind].objects.select_related(*_RELATED[kind])


def asset_get(*, kind: str, pk) -> object:
    """Every signed-in user reads the catalogue; unknown kinds and ids are 404."""
    from django.http import Http404

    if kind not in ASSET_MODELS:
        raise Http404("No such kind of asset.")
    return get_object_or_404(asset_list(kind=kind), pk=pk)


def _links_of(kind: str, asset) -> Q:
    if kind == AssetKind.PROMPT:
        return Q(kind=kind, prompt_version__prompt=asset)
    links = Q(kind=kind, **{LINK_FIELDS[kind]: asset})
    if kind == AssetKind.VENDOR:
        # A pilot depends on a vendor through the vendor's models too.
        links |= Q(kind=AssetKind.MODEL, model__vendor=asset)
    return links


@dataclass
class UsedBy:
    links: list[PilotAsset]
    pilots: int
    at_scale: int


def used_by(*, user, kind: str, asset) -> UsedBy:
    """The links to `asset` from pilots `user` may see, and how many such pilots."""
    visible = rules.visible_pilots(user, Pilot.objects.all())
    links = list(
        PilotAsset.objects.filter(_links_of(kind, asset), pilot__in=visible)
        .select_related("pilot", "model", "prompt_version", "dataset", "vendor")
        .order_by("pilot__name", "id")
    )
    pilots = {link.pilot_id: link.pilot for link in links}
    at_scale = sum(1 for p in pilots.values() if p.stage == Stage.SCALE)
    return UsedBy(links=links, pilots=len(pilots), at_scale=at_scale)


def used_by_counts(*, user, kind: str, assets) -> dict[int, int]:
    """asset id -> how many pilots `user` may see use it (one query for a list page)."""
    visible = rules.visible_pilots(user, Pilot.objects.all())
    ids = [a.pk for a in assets]
    if kind == AssetKind.PROMPT:
        key, filters = "prompt_version__prompt_id", {"prompt_version__prompt_id__in": ids}
    else:
        key, filters = f"{LINK_FIELDS[kind]}_id", {f"{LINK_FIELDS[kind]}_id__in": ids}
    rows = (
        PilotAsset.objects.filter(kind=kind, pilot__in=visible, **filters)
        .values_list(key, "pilot_id")
        .distinct()
    )
    counts: dict[int, int] = {}
    for asset_id, _pilot in rows:
        counts[asset_id] = counts.get(asset_id, 0) + 1
    return counts


def pilot_links_queryset(*, pilot):
    return (
        PilotAsset.objects.filter(pilot=pilot)
        .select_related("model__vendor", "prompt_version__prompt", "dataset", "vendor")
        .order_by("kind", "id")
    )


def pilot_links(*, pilot) -> list[PilotAsset]:
    return list(pilot_links_queryset(pilot=pilot))


def pilot_changes(*, pilot, limit: int | None = None) -> list[ChangeRequest]:
    queryset = ChangeRequest.objects.filter(pilot=pilot).select_related("requested_by", "review")
    return list(queryset[:limit] if limit else queryset)


def change_markers(*, pilot) -> list[tuple[datetime, str]]:
    """(when, label) of each change applied to `pilot`, oldest first (chart markers)."""
    from inventory.models import APPLIED_STATUSES

    rows = ChangeRequest.objects.filter(pilot=pilot, status__in=APPLIED_STATUSES).order_by(
        "applied_at", "id"
    )
    return [(c.effective_at, f"Change #{c.pk}: {c.get_kind_display().lower()}") for c in rows]


def change_get(*, user, pk) -> ChangeRequest:
    change = get_object_or_404(
        ChangeRequest.objects.select_related("pilot", "requested_by", "review", "link"), pk=pk
    )
    rules.ensure_visible(user, change.pilot)
    return change


def change_rules() -> list[ChangeRule]:
    return list(ChangeRule.objects.all())


def pilot_end_of_life_alerts(*, pilot) -> list[EndOfLifeAlert]:
    return list(EndOfLifeAlert.objects.filter(pilot=pilot))


@dataclass
class WindowRow:
    metric: str
    label: str
    unit: str
    before: float | None
    after: float | None
    before_n: int
    after_n: int

    @property
    def difference(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    def _shown(self, value, *, signed: bool = False) -> str:
        if value is None:
            return "No data"
        if is_money_unit(self.unit):
            return format_money(value, exact=True)
        text = f"{value:+,.2f}" if signed else f"{value:,.2f}"
        unit = number_unit(self.unit)
        return f"{text}{unit}" if unit == "%" else f"{text} {unit}".rstrip()

    @property
    def before_text(self) -> str:
        return self._shown(self.before)

    @property
    def after_text(self) -> str:
        return self._shown(self.after)

    @property
    def difference_text(self) -> str:
        return "—" if self.difference is None else self._shown(self.difference, signed=True)


def before_after(*, change: ChangeRequest, days: int) -> list[WindowRow]:
    """Each metric's mean over `days` days before and after the change took effect."""
    at = change.effective_at
    rows = metric_selectors.window_means(
        pilot=change.pilot,
        windows=((at - timedelta(days=days), at), (at, at + timedelta(days=days))),
    )
    names = metric_names()
    units = dict(MetricDefinition.objects.values_list("key", "unit"))
    return [
        WindowRow(
            metric=key,
            label=metric_label(key, names),
            unit=units.get(key) or "",
            before=means[0][0],
            after=means[1][0],
            before_n=means[0][1],
            after_n=means[1][1],
        )  # fmt: skip
        for key, means in sorted(rows.items())
    ]
