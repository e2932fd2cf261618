"""Change control over what a pilot uses.

`change_request` is the one way a pilot's asset links change, from a page, the API or a
delivery pipeline. While the pilot is in discovery or pilot the change applies at once
and is recorded as not controlled (the history and the chart markers still show it).
At readiness or scale the rules (`ChangeRule`, data) classify it: a minor change applies
at once and is recorded; a material one waits for a change review, a `gates.Review` of
kind "change" with the gate reviews' quorum, separation of duties, frozen evaluation and
decisions. The review closing (gates `review_closed`) applies or drops the change.

Race safety: the pilot row is locked first, so two changes to one pilot are taken one
after the other; while one waits for its review, the next is refused (409, naming it).
A unique constraint (one pending change per pilot) backs the rule up.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import selectors
from gates.models import Review, ReviewKind, ReviewStatus
from inventory.models import (
    LINK_FIELDS,
    AIModel,
    AssetKind,
    ChangeRequest,
    ChangeRule,
    ChangeSource,
    ChangeStatus,
    Classification,
    Dataset,
    PilotAsset,
    PromptVersion,
    Vendor,
)
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import STAGE_ORDER, Pilot, Stage, Status

CONTROLLED_STAGES = frozenset({Stage.READINESS, Stage.SCALE})
TARGETS = {
    AssetKind.MODEL: AIModel,
    AssetKind.PROMPT: PromptVersion,
    AssetKind.DATASET: Dataset,
    AssetKind.VENDOR: Vendor,
}
# The fields compared between the old and the new asset: each that differs is an aspect
# of the change the rules classify.
ASPECTS = {
    AssetKind.MODEL: ("provider", "name", "version", "hosting", "licence", "general_purpose",
                      "vendor_id"),
    AssetKind.PROMPT: ("prompt_id", "content_hash"),
    AssetKind.DATASET: ("name", "owner_id", "personal_data_categories", "legal_basis",
                        "retention"),
    AssetKind.VENDOR: ("name", "data_residency", "risk_rating", "dpa_signed_on"),
}  # fmt: skip
ASPECT_NAMES = {"vendor_id": "vendor", "prompt_id": "identifier", "content_hash": "content",
                "owner_id": "owner"}  # fmt: skip
ASPECT_LABELS = {
    "added": "a new link", "removed": "a link removed", "provider": "provider",
    "name": "name", "version": "version", "hosting": "hosting", "licence": "licence",
    "general_purpose": "general-purpose or not", "vendor": "vendor",
    "identifier": "another prompt", "content": "prompt content", "owner": "owner",
    "personal_data_categories": "personal-data categories", "legal_basis": "legal basis",
    "retention": "retention", "data_residency": "data residency",
    "risk_rating": "risk rating", "dpa_signed_on": "data-processing agreement",
}  # fmt: skip
MAX_EXTERNAL_ID = 200


@dataclass(frozen=True)
class Outcome:
    change: ChangeRequest
    created: bool


def aspects_of(kind: str, old, new) -> list[str]:
    """What differs between `old` and `new` (assets of `kind`; None for add or remove)."""
    if old is None:
        return ["added"]
    if new is None:
        return ["removed"]
    return [ASPECT_NAMES.get(f, f) for f in ASPECTS[kind] if getattr(old, f) != getattr(new, f)]


def classify(kind: str, aspects, risk_tier: str, rules_list) -> str:
    """Material if any aspect's rule says so, or no rule covers it (pure)."""
    table = {(r.asset_kind, r.aspect, r.risk_tier): r.classification for r in rules_list}
    for aspect in aspects:
        found = table.get((kind, aspect, risk_tier)) or table.get((kind, aspect, ""))
        if found != Classification.MINOR:
            return Classification.MATERIAL
    return Classification.MINOR


def _label(kind: str, asset) -> str:
    return str(asset)[:500] if asset is not None else ""


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _resolve(*, pilot, kind, link, to_asset, purpose):
    if kind not in TARGETS:
        raise _bad("kind", f"Unknown asset kind {kind!r}; use one of {', '.join(AssetKind)}.")
    if link is not None and (link.pilot_id != pilot.pk or link.kind != kind):
        raise _bad("link", "This pilot has no such link of that kind.")
    if to_asset is not None and not isinstance(to_asset, TARGETS[kind]):
        raise _bad("to", f"Choose a {AssetKind(kind).label.lower()}.")
    if link is None and to_asset is None:
        raise _bad("to", "Say which asset the pilot uses now, or which link to remove.")
    if link is not None and to_asset is not None and link.asset == to_asset:
        raise _bad("to", "The pilot uses this one already: nothing would change.")
    purpose = " ".join(str(purpose or "").split())
    if link is None and not purpose:
        raise _bad("purpose", "Say what the pilot uses it for.")
    if len(purpose) > 300:
        raise _bad("purpose", "Keep the purpose to 300 characters or fewer.")
    return purpose


def change_request(
    *, pilot: Pilot, by, kind: str, to_asset=None, link: PilotAsset | None = None,
    purpose: str = "", note: str = "", source: str = ChangeSource.PAGE,
    external_id: str | None = None, now=None,
) -> Outcome:  # fmt: skip
    """Change what `pilot` uses: swap `link` to `to_asset`, add `to_asset` (no `link`)
    or remove `link` (no `to_asset`). The same `external_id` twice returns the first
    change (created False), whatever the second one says."""
    now = now or timezone.now()
    rules.ensure_visible(by, pilot)
    rules.ensure(
        rules.can_change_pilot_assets(by, pilot), by, "change_assets", f"pilot:{pilot.pk}",
        "Only the pilot's owners, its operations lead or an admin change what it uses.",
    )  # fmt: skip
    if external_id is not None:
        external_id = str(external_id).strip()
        if not external_id or len(external_id) > MAX_EXTERNAL_ID:
            raise _bad("external_id", f"Give an id of 1 to {MAX_EXTERNAL_ID} characters.")
        earlier = ChangeRequest.objects.filter(pilot=pilot, external_id=external_id).first()
        if earlier is not None:
            return Outcome(earlier, False)
    purpose = _resolve(pilot=pilot, kind=kind, link=link, to_asset=to_asset, purpose=purpose)
    note = str(note or "").strip()
    if len(note) > 4000:
        raise _bad("note", "Keep the note to 4,000 characters or fewer.")
    try:
        with transaction.atomic():
            change = _change_request(
                pilot=pilot, by=by, kind=kind, to_asset=to_asset, link=link, purpose=purpose,
                note=note, source=source, external_id=external_id, now=now,
            )  # fmt: skip
    except IntegrityError:
        # A concurrent request with the same external id won: return it.
        if external_id is not None:
            earlier = ChangeRequest.objects.filter(pilot=pilot, external_id=external_id).first()
            if earlier is not None:
                return Outcome(earlier, False)
        raise Conflict(_open_message(pilot)) from None
    return Outcome(change, True)


def _open_message(pilot) -> str:
    open_change = ChangeRequest.objects.filter(pilot=pilot, status=ChangeStatus.PENDING).first()
    if open_change is None:
        return "Another change to this pilot was recorded a moment ago; reload and try again."
    return (
        f"Change request #{open_change.pk} ({open_change.get_kind_display().lower()}: "
        f"{open_change.to_label or 'removal'}) is waiting for its review; it must be "
        "decided or withdrawn before the next change."
    )


def _change_request(*, pilot, by, kind, to_asset, link, purpose, note, source, external_id, now):
    # The pilot's row first: changes to one pilot queue behind each other here.
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if external_id is not None:
        earlier = ChangeRequest.objects.filter(pilot=pilot, external_id=external_id).first()
        if earlier is not None:
            raise IntegrityError("duplicate external id")  # answered by the caller
    if ChangeRequest.objects.filter(pilot=pilot, status=ChangeStatus.PENDING).exists():
        raise Conflict(_open_message(pilot))
    if link is not None:
        link = PilotAsset.objects.select_for_update().filter(pk=link.pk).first()
        if link is None:
            raise Conflict("That link was removed a moment ago; reload.")
    old = link.asset if link is not None else None
    aspects = aspects_of(kind, old, to_asset)
    controlled = pilot.stage in CONTROLLED_STAGES
    classification = classify(kind, aspects, pilot.risk_tier, ChangeRule.objects.all())
    if not controlled:
        status = ChangeStatus.NOT_CONTROLLED
    elif classification == Classification.MINOR:
        status = ChangeStatus.RECORDED
    else:
        status = ChangeStatus.PENDING
    if status == ChangeStatus.PENDING and pilot.status == Status.ON_HOLD:
        raise Conflict(
            "This pilot is on hold, so no review can decide a material change; a governance "
            "lead must resume it first."
        )
    if (
        status == ChangeStatus.PENDING
        and Review.objects.filter(pilot=pilot, status=ReviewStatus.PENDING).exists()
    ):
        raise Conflict(
            "This pilot has a pending review; a material change can be requested once it "
            "is decided or withdrawn."
        )
    change = ChangeRequest.objects.create(
        pilot=pilot, kind=kind, link=link, from_id=getattr(old, "pk", None),
        to_id=getattr(to_asset, "pk", None), from_label=_label(kind, old),
        to_label=_label(kind, to_asset), purpose=purpose or (link.purpose if link else ""),
        aspects=aspects, classification=classification, stage=pilot.stage, status=status,
        source=source, external_id=external_id, note=note, requested_by=by, requested_at=now,
    )  # fmt: skip
    if status == ChangeStatus.PENDING:
        change.review = _open_review(pilot=pilot, change=change, by=by, now=now)
        change.save(update_fields=["review"])
    else:
        _apply(change, to_asset=to_asset, now=now)
    audit_record(
        actor=by,
        action="change.request",
        obj=change,
        pilot_id=pilot.pk,
        before={"asset": change.from_label} if change.from_label else {},
        after={
            "kind": kind, "asset": change.to_label, "aspects": aspects,
            "classification": classification, "status": status, "source": source,
            "external_id": external_id or "", "review": change.review_id,
        },
    )  # fmt: skip
    publish(
        EventType.CHANGE_REQUESTED, pilot=pilot, actor=by, now=now,
        payload={"change_id": change.pk, "kind": kind, "from": change.from_label,
                 "to": change.to_label, "aspects": aspects, "classification": classification,
                 "status": status, "review_id": change.review_id, "source": source,
                 "external_id": external_id or ""},
    )  # fmt: skip
    return change


def _open_review(*, pilot, change, by, now) -> Review:
    """A change review: the gate the pilot last passed supplies the criteria (frozen at
    request time, like a gate review's) and the quorum by risk tier."""
    index = STAGE_ORDER.index(pilot.stage)
    gate = selectors.gate_get(from_stage=STAGE_ORDER[index - 1], to_stage=pilot.stage)
    if gate is None or selectors.current_version(gate) is None:
        raise Conflict(f"No gate into {pilot.get_stage_display()} is defined to review it.")
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now)
    review = Review.objects.create(
        pilot=pilot, kind=ReviewKind.CHANGE, from_stage=pilot.stage, to_stage=pilot.stage,
        criteria_version=live.version, evaluation=live.to_dict(),
        approvals_needed=gate.approvals_needed(pilot.risk_tier),
        note=change_summary(change) + (f"\n\n{change.note}" if change.note else ""),
        requested_by=by, requested_at=now,
    )  # fmt: skip
    audit_record(
        actor=by, action="review.request", obj=review, pilot_id=pilot.pk,
        after={"kind": ReviewKind.CHANGE, "change": change.pk, "stage": pilot.stage,
               "criteria_version": live.version.number,
               "approvals_needed": review.approvals_needed},
    )  # fmt: skip
    publish(
        EventType.REVIEW_REQUESTED, pilot=pilot, actor=by, now=now,
        payload={"review_id": review.pk, "kind": review.kind, "from_stage": review.from_stage,
                 "to_stage": review.to_stage, "requested_by": by.get_username()},
    )  # fmt: skip
    return review


def change_summary(change: ChangeRequest) -> str:
    what = AssetKind(change.kind).label.lower()
    if not change.from_label:
        return f"Add {what} {change.to_label} ({change.purpose})."
    if not change.to_label:
        return f"Remove {what} {change.from_label}."
    changed = ", ".join(ASPECT_LABELS.get(a, a) for a in change.aspects) or "nothing"
    return f"Replace {what} {change.from_label} with {change.to_label} (changes: {changed})."


def _apply(change: ChangeRequest, *, to_asset, now) -> None:
    field = LINK_FIELDS[change.kind]
    if to_asset is None and change.to_id is not None:
        to_asset = TARGETS[change.kind].objects.get(pk=change.to_id)
    link = change.link
    if to_asset is None:
        if link is not None:
            link.delete()
            change.link = None
    elif link is None:
        change.link = PilotAsset.objects.create(
            pilot_id=change.pilot_id, kind=change.kind, purpose=change.purpose,
            linked_at=now, **{field: to_asset},
        )  # fmt: skip
    else:
        setattr(link, field, to_asset)
        link.linked_at = now
        link.save(update_fields=[field, "linked_at"])
    change.applied_at = now
    change.save(update_fields=["link", "applied_at"])


_CLOSED = {
    ReviewStatus.APPROVED: ChangeStatus.APPROVED,
    ReviewStatus.APPROVED_WITH_CONDITIONS: ChangeStatus.APPROVED,
    ReviewStatus.WITHDRAWN: ChangeStatus.WITHDRAWN,
}


def on_review_closed(sender, review: Review, **kwargs) -> None:
    """A change review closed: apply its change when approved, else drop it."""
    if review.kind != ReviewKind.CHANGE:
        return
    change = ChangeRequest.objects.select_for_update().filter(review=review).first()
    if change is None or change.status != ChangeStatus.PENDING:
        return
    now = review.closed_at or timezone.now()
    status = _CLOSED.get(review.status, ChangeStatus.REFUSED)
    ChangeRequest.objects.filter(pk=change.pk).update(status=status)
    change.status = status
    if status == ChangeStatus.APPROVED:
        _apply(change, to_asset=None, now=now)
    audit_record(
        actor=None, action="change.decide", obj=change, pilot_id=change.pilot_id,
        before={"status": ChangeStatus.PENDING},
        after={"status": status, "review": review.pk, "review_status": review.status},
    )  # fmt: skip
    publish(
        EventType.CHANGE_DECIDED, pilot=change.pilot_id, now=now,
        payload={"change_id": change.pk, "review_id": review.pk, "status": status,
                 "applied": status == ChangeStatus.APPROVED},
    )  # fmt: skip


@transaction.atomic
def change_rule_set(*, rule: ChangeRule, classification: str, by, explanation=None, now=None):
    """A governance lead reclassifies one aspect of one asset kind."""
    now = now or timezone.now()
    rules.ensure(
        rules.can_edit_change_rules(by), by, "edit_change_rules", f"change_rule:{rule.pk}",
        "Only governance leads edit the change rules.",
    )  # fmt: skip
    if classification not in Classification.values:
        raise _bad("classification", "Choose minor or material.")
    rule = ChangeRule.objects.select_for_update().get(pk=rule.pk)
    before = {"classification": rule.classification, "explanation": rule.explanation}
    rule.classification = classification
    if explanation is not None:
        explanation = str(explanation).strip()
        if len(explanation) > 300:
            raise _bad("explanation", "Keep the explanation to 300 characters or fewer.")
        rule.explanation = explanation
    rule.updated_at = now
    rule.save()
    audit_record(
        actor=by, action="change_rule.update", obj=rule, before=before,
        after={"classification": rule.classification, "explanation": rule.explanation,
               "asset_kind": rule.asset_kind, "aspect": rule.aspect,
               "risk_tier": rule.risk_tier},
    )  # fmt: skip
    return rule
