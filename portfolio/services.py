"""Every write to pilots and their per-pilot roles."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record, changes
from accounts.models import PilotRole, PilotRoleKind
from portfolio import events
from portfolio.models import BusinessUnit, Pilot, RiskTier, tidy_name

EDITABLE_FIELDS = ("name", "summary", "business_unit", "risk_tier", "confidential")
# (pilot=changed but unsaved Pilot, changed=the fields asked for) -> {field: why refused}.
# Apps above portfolio register here (the regulation app: a high-risk system under the EU AI
# Act cannot have a low risk tier), so portfolio imports none of them.
PILOT_UPDATE_CHECKS: list[Callable[..., dict[str, str]]] = []


def _snapshot(pilot: Pilot) -> dict:
    return {field: getattr(pilot, field) for field in EDITABLE_FIELDS}


def business_unit_resolve(value, *, current: BusinessUnit | None = None) -> BusinessUnit:
    """The managed unit `value` names: a BusinessUnit, or its name in any case and spacing
    (what the API sends). An inactive unit is refused unless the pilot already has it."""
    if isinstance(value, BusinessUnit):
        unit = value
    else:
        name = tidy_name(value)[:100]
        if not name:
            raise ValidationError({"business_unit": "Business unit: choose one from the list."})
        unit = BusinessUnit.objects.filter(name__iexact=name).first()
        if unit is None:
            raise ValidationError(
                {
                    "business_unit": f"Business unit: “{name}” is not on the list of business "
                    "units; choose one from the list (an admin adds new ones)."
                }
            )
    if not unit.active and (current is None or unit.pk != current.pk):
        raise ValidationError(
            {"business_unit": f"Business unit: “{unit.name}” is no longer in use; choose another."}
        )
    return unit


@transaction.atomic
def business_unit_pilots_follow(*, unit: BusinessUnit) -> int:
    """After an admin renames a unit, its pilots' name column follows (the dashboard's
    aggregates and filters group by it). Returns how many pilots changed."""
    count = (
        Pilot.objects.filter(unit=unit)
        .exclude(business_unit=unit.name)
        .update(business_unit=unit.name)
    )
    if count:
        events.pilot_grouping_changed.send(sender=Pilot, confidentiality=False)
    return count


def _current_unit(pilot: Pilot) -> BusinessUnit | None:
    if pilot.unit_id is not None:
        return pilot.unit
    # A pilot from before the managed list (or a bulk load) names its unit only as text.
    return BusinessUnit.objects.filter(name__iexact=tidy_name(pilot.business_unit)).first()


def _validate(pilot: Pilot) -> None:
    # Model validation names the field; stage/status are not ours to set here.
    pilot.full_clean(exclude=["stage", "status", "created_by", "stage_entered_at"])


@transaction.atomic
def pilot_create(
    *,
    by,
    name: str,
    business_unit: str,
    summary: str = "",
    risk_tier: str = RiskTier.MEDIUM,
    confidential: bool = False,
) -> Pilot:
    """Register a pilot; its creator becomes the business owner."""
    rules.ensure(rules.can_create_pilot(by), by, "create_pilot", "pilot:new")
    unit = business_unit_resolve(business_unit)
    pilot = Pilot(
        name=(name or "").strip(),
        business_unit=unit.name,
        unit=unit,
        summary=summary or "",
        risk_tier=risk_tier,
        confidential=bool(confidential),
        created_by=by,
    )
    _validate(pilot)
    pilot.save()
    PilotRole.objects.create(pilot=pilot, role=PilotRoleKind.BUSINESS_OWNER, user=by)
    audit_record(
        actor=by,
        action="pilot.create",
        obj=pilot,
        pilot_id=pilot.pk,
        after={**_snapshot(pilot), "stage": pilot.stage, "status": pilot.status},
    )
    audit_record(
        actor=by,
        action="pilot_role.assign",
        object_type="portfolio.pilot",
        object_id=pilot.pk,
        pilot_id=pilot.pk,
        after={"role": PilotRoleKind.BUSINESS_OWNER, "user": by.get_username()},
    )
    return pilot


@transaction.atomic
def pilot_update(*, pilot: Pilot, by, **fields) -> Pilot:
    """Change a pilot's basic fields. Stage and status are refused: see gates.services."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_edit_pilot(by, pilot), by, "edit_pilot", f"pilot:{pilot.pk}")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: "This field cannot be changed here." for name in sorted(unknown)}
        )
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    before = _snapshot(pilot)
    if "business_unit" in fields:
        pilot.unit = business_unit_resolve(
            fields.pop("business_unit"), current=_current_unit(pilot)
        )
        pilot.business_unit = pilot.unit.name
    for name, value in fields.items():
        if isinstance(value, str) and name != "summary":
            value = value.strip()
        setattr(pilot, name, value)
    _validate(pilot)
    refused = {}
    for refuse in PILOT_UPDATE_CHECKS:
        refused.update(refuse(pilot=pilot, changed=set(fields)))
    if refused:
        raise ValidationError(refused)
    old, new = changes(before, _snapshot(pilot))
    if not new:
        return pilot
    linked = ["unit"] if "business_unit" in new else []
    pilot.save(update_fields=[*new.keys(), *linked, "updated_at"])
    audit_record(
        actor=by, action="pilot.update", obj=pilot, pilot_id=pilot.pk, before=old, after=new
    )
    if {"business_unit", "risk_tier", "confidential"} & set(new):
        # The dashboard's portfolio aggregates are grouped by these columns.
        events.pilot_grouping_changed.send(sender=Pilot, confidentiality="confidential" in new)
    return pilot


@transaction.atomic
def pilot_role_assign(*, pilot: Pilot, role: str, user, by) -> PilotRole | None:
    """Give `role` on `pilot` to `user` (replacing the holder), or clear it with user=None."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_assign_roles(by, pilot), by, "assign_roles", f"pilot:{pilot.pk}")
    if role not in PilotRoleKind.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if user is not None:
        if not isinstance(user, get_user_model()) or not user.is_active:
            raise ValidationError({"user": "Choose an active user."})
    current = PilotRole.objects.select_for_update().filter(pilot=pilot, role=role).first()
    before_user = current.user.get_username() if current else None
    after_user = user.get_username() if user is not None else None
    if before_user == after_user:
        return current
    if role == PilotRoleKind.BUSINESS_OWNER and user is None:
        raise ValidationError({"user": "A pilot always has a business owner."})
    if current is not None:
        current.delete()
    assigned = PilotRole.objects.create(pilot=pilot, role=role, user=user) if user else None
    audit_record(
        actor=by,
        action="pilot_role.assign" if user else "pilot_role.remove",
        object_type="portfolio.pilot",
        object_id=pilot.pk,
        pilot_id=pilot.pk,
        before={"role": role, "user": before_user},
        after={"role": role, "user": after_user},
    )
    return assigned
