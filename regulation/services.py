"""Every write of the regulation app: profile versions, their confirmation, the catalogue.

Order of checks: visibility (404) -> who may (403) -> the input (400) -> the state (409).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import engine
from portfolio.models import Pilot, RiskTier
from regulation import classify, selectors
from regulation.models import CatalogueVersion, EvidenceKind, Obligation, Profile
from regulation.questions import CLASSIFICATIONS, FLAGS, ROLES


def _summary(profile: Profile | None) -> dict:
    if profile is None:
        return {}
    # In words: the pilot's history shows these values as they are.
    return {
        "version": profile.version,
        "classification": CLASSIFICATIONS[profile.classification],
        "ai_act_roles": profile.role_labels,
        "confirmed": profile.confirmed,
    }


def high_risk_low_tier(classification: str, risk_tier: str) -> str:
    """Why a high-risk classification cannot sit beside a low risk tier ('' when it can)."""
    if classification == "high_risk" and risk_tier == RiskTier.LOW:
        return (
            "The EU AI Act profile classifies this pilot as high-risk while its risk tier is "
            "Low: a high-risk system needs the risk tier Medium or High."
        )
    return ""


@transaction.atomic
def profile_save(*, pilot: Pilot, answers: dict, by) -> Profile:
    """Write the next version of the pilot's profile, computed from `answers`."""
    rules.ensure_visible(by, pilot)
    rules.ensure(
        rules.can_answer_regulatory_profile(by, pilot),
        by,
        "answer_regulatory_profile",
        f"pilot:{pilot.pk}",
        "Only the pilot's business and technical owners answer its EU AI Act profile.",
    )
    if not isinstance(answers, dict):
        raise ValidationError({"answers": "Send the answers as an object of question: answer."})
    problems = classify.check(answers)
    if problems:
        raise ValidationError(problems)
    outcome = classify.classify(answers)
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    refused = high_risk_low_tier(outcome.classification, pilot.risk_tier)
    if refused:
        raise Conflict(refused + " Raise the risk tier on the pilot's page first.")
    latest = selectors.current_profile(pilot)
    if latest is not None and latest.answers == answers:
        return latest
    profile = Profile.objects.create(
        pilot=pilot,
        version=(latest.version + 1) if latest else 1,
        answers=answers,
        classification=outcome.classification,
        roles=list(outcome.roles),
        flags=list(outcome.flags),
        conclusions=[c.to_dict() for c in outcome.conclusions],
        created_by=by,
    )
    audit_record(
        actor=by,
        action="regulatory_profile.save",
        obj=profile,
        pilot_id=pilot.pk,
        before=_summary(latest),
        after={**_summary(profile), "answers": answers},
    )
    return profile


@transaction.atomic
def profile_confirm(*, pilot: Pilot, version, by) -> Profile:
    """A governance lead who holds no role on the pilot confirms its newest profile version."""
    rules.ensure_visible(by, pilot)
    rules.ensure(
        rules.can_confirm_regulatory_profile(by, pilot),
        by,
        "confirm_regulatory_profile",
        f"pilot:{pilot.pk}",
        "Only a governance lead who holds no role on this pilot confirms its EU AI Act profile.",
    )
    if isinstance(version, bool) or not isinstance(version, int):
        try:
            version = int(str(version))
        except ValueError:
            raise ValidationError(
                {"version": "Give the profile version you confirm, a number."}
            ) from None
    Pilot.objects.select_for_update().filter(pk=pilot.pk).first()
    latest = selectors.current_profile(pilot)
    if latest is None:
        raise Conflict("This pilot has no EU AI Act profile to confirm yet.")
    if latest.version != version:
        raise Conflict(
            f"Version {version} is not the newest: the profile is at version {latest.version}. "
            "Read the newest answers and confirm those."
        )
    if latest.confirmed:
        raise Conflict(f"Version {version} is already confirmed.")
    now = timezone.now()
    Profile.objects.filter(pk=latest.pk, confirmed_at__isnull=True).update(
        confirmed_by=by, confirmed_at=now
    )
    latest.refresh_from_db()
    audit_record(
        actor=by,
        action="regulatory_profile.confirm",
        obj=latest,
        pilot_id=pilot.pk,
        after=_summary(latest),
    )
    return latest


def risk_tier_refusal(*, pilot: Pilot, changed: set[str]) -> dict[str, str]:
    """portfolio.services.PILOT_UPDATE_CHECKS: refuse a low tier beside a high-risk profile."""
    if "risk_tier" not in changed:
        return {}
    profile = selectors.current_profile(pilot)
    refused = high_risk_low_tier(profile.classification if profile else "", pilot.risk_tier)
    return {"risk_tier": refused} if refused else {}


# --- the catalogue -------------------------------------------------------------------------

EDITABLE = (
    "article",
    "title",
    "summary",
    "classifications",
    "roles",
    "requires_flag",
    "evidence_kind",
    "evidence_source",
    "evidence_name",
    "gate",
    "applies_from",
)
_COPIED = ("key", "position", *EDITABLE)
GATE_STAGES = engine.STAGES[1:]


def _clean_obligation(values: dict) -> dict[str, str]:
    """field -> problem, for an obligation's values as they would be stored."""
    from gates.checklists import CHECKLISTS
    from portfolio.workbooks.spec import SPECS

    errors: dict[str, str] = {}
    for name in ("article", "title", "summary"):
        if not str(values.get(name) or "").strip():
            errors[name] = "Required."
    for name, allowed in (("classifications", CLASSIFICATIONS), ("roles", ROLES)):
        given = values.get(name)
        if not isinstance(given, list) or not given or any(v not in allowed for v in given):
            errors[name] = f"Choose one or more of: {', '.join(allowed)}."
    if values.get("requires_flag") not in ("", *FLAGS):
        errors["requires_flag"] = f"Leave empty or choose one of: {', '.join(FLAGS)}."
    if values.get("gate") not in GATE_STAGES:
        errors["gate"] = f"Choose the stage of a gate: {', '.join(GATE_STAGES)}."
    if not isinstance(values.get("applies_from"), date):
        errors["applies_from"] = "Give a date (YYYY-MM-DD)."
    kind, source, name = (
        values.get("evidence_kind"),
        values.get("evidence_source"),
        values.get("evidence_name"),
    )
    if kind not in EvidenceKind.values:
        errors["evidence_kind"] = f"Choose one of: {', '.join(EvidenceKind.values)}."
    elif kind in (EvidenceKind.WORKBOOK_FIELD, EvidenceKind.WORKBOOK_LIST):
        spec = SPECS.get(source)
        if spec is None:
            errors["evidence_source"] = f"Choose a workbook: {', '.join(SPECS)}."
        elif kind == EvidenceKind.WORKBOOK_FIELD and name not in spec.fields:
            errors["evidence_name"] = f"{spec.title} has no field {name!r}."
        elif kind == EvidenceKind.WORKBOOK_LIST and name not in {s.name for s in spec.lists}:
            errors["evidence_name"] = f"{spec.title} has no list {name!r}."
    elif kind == EvidenceKind.CHECKLIST_ITEM:
        checklist = CHECKLISTS.get(source)
        if checklist is None:
            errors["evidence_source"] = f"Choose a checklist: {', '.join(CHECKLISTS)}."
        elif name not in {item.key for _, item in checklist.items()}:
            errors["evidence_name"] = f"The {checklist.title} has no item {name!r}."
    return errors


@transaction.atomic
def obligation_update(*, key: str, changes: dict, by, note: str = "") -> Obligation:
    """Change one obligation: writes a new catalogue version holding every obligation."""
    rules.ensure(
        rules.can_edit_obligations(by),
        by,
        "edit_obligations",
        f"obligation:{key}",
        "Only governance leads edit the obligations catalogue.",
    )
    current = CatalogueVersion.objects.select_for_update().order_by("-number").first()
    obligations = list(current.obligations.order_by("position", "id")) if current else []
    found = next((o for o in obligations if o.key == key), None)
    if found is None:
        from django.http import Http404

        raise Http404("No such obligation.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: "This cannot be changed." for name in unknown})
    before = {name: getattr(found, name) for name in EDITABLE}
    after = {**before, **changes}
    for name in ("article", "title", "summary", "evidence_source", "evidence_name"):
        after[name] = str(after.get(name) or "").strip()
    if after["evidence_kind"] == EvidenceKind.MANUAL:
        after["evidence_source"] = after["evidence_name"] = ""
    errors = _clean_obligation(after)
    if errors:
        raise ValidationError(errors)
    changed = {name: after[name] for name in EDITABLE if after[name] != before[name]}
    if not changed:
        return found
    catalogue = CatalogueVersion.objects.create(
        number=current.number + 1, note=note.strip()[:500] or f"Edited {key}", created_by=by
    )
    copies = []
    for obligation in obligations:
        values = {name: getattr(obligation, name) for name in _COPIED}
        if obligation.key == key:
            values.update(after)
        copies.append(Obligation(catalogue=catalogue, **values))
    Obligation.objects.bulk_create(copies)
    audit_record(
        actor=by,
        action="regulation.obligation.update",
        obj=catalogue,
        before={"catalogue": current.number, "key": key, **{n: before[n] for n in changed}},
        after={"catalogue": catalogue.number, "key": key, **changed},
    )
    return Obligation.objects.get(catalogue=catalogue, key=key)
