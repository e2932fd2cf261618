"""End-of-life alerts: an asset a live pilot uses reaches its end of life (models) or
its contract end (vendors, and the vendor behind a linked model) within
`INVENTORY_END_OF_LIFE_NOTICE_DAYS`. One alert per asset, pilot and date (a unique
constraint), so the daily task may run any number of times."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.audit import audit_record
from inventory.models import AssetKind, EndOfLifeAlert, PilotAsset
from portfolio.models import Status

END_OF_LIFE = "end of life"
CONTRACT_END = "contract end"


def _due(link: PilotAsset, today: date, horizon: date):
    """(kind, asset, what, date) for each ending of `link`'s asset inside the horizon."""
    found = []
    if link.kind == AssetKind.MODEL:
        model = link.model
        if model.end_of_life_on and today <= model.end_of_life_on <= horizon:
            found.append((AssetKind.MODEL, model, END_OF_LIFE, model.end_of_life_on))
        vendor = model.vendor
        if vendor and vendor.contract_end and today <= vendor.contract_end <= horizon:
            found.append((AssetKind.VENDOR, vendor, CONTRACT_END, vendor.contract_end))
    elif link.kind == AssetKind.VENDOR:
        vendor = link.vendor
        if vendor.contract_end and today <= vendor.contract_end <= horizon:
            found.append((AssetKind.VENDOR, vendor, CONTRACT_END, vendor.contract_end))
    return found


@transaction.atomic
def end_of_life_alerts_open(*, today: date, days: int | None = None) -> list[EndOfLifeAlert]:
    """Open the alerts due on `today`; returns the ones opened by this call."""
    days = settings.INVENTORY_END_OF_LIFE_NOTICE_DAYS if days is None else days
    horizon = today + timedelta(days=days)
    window = Q(model__end_of_life_on__range=(today, horizon)) | Q(
        model__vendor__contract_end__range=(today, horizon)
    ) | Q(vendor__contract_end__range=(today, horizon))  # fmt: skip
    links = (
        PilotAsset.objects.filter(window)
        .exclude(pilot__status=Status.STOPPED)
        .select_related("model__vendor", "vendor", "pilot")
        .order_by("id")
    )
    opened = []
    for link in links:
        for kind, asset, what, ends_on in _due(link, today, horizon):
            alert, created = EndOfLifeAlert.objects.get_or_create(
                pilot=link.pilot, kind=kind, asset_id=asset.pk, ends_on=ends_on,
                defaults={"asset_label": str(asset)[:500], "what": what},
            )  # fmt: skip
            if not created:
                continue
            opened.append(alert)
            audit_record(
                actor=None, action="inventory.end_of_life_alert", obj=alert,
                pilot_id=link.pilot_id,
                after={"asset": alert.asset_label, "what": what, "ends_on": ends_on,
                       "notice_days": days},
            )  # fmt: skip
    return opened
