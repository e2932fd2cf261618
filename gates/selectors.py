"""Reads of gates, criteria, reviews and waivers shared by pages, API and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts import rules
from accounts.models import AuditEvent, PilotRole
from gates import engine, extensions, labels
from gates.collect import pilot_facts
from gates.models import (
    Comment,
    Condition,
    CriteriaVersion,
    Decision,
    Gate,
    Review,
    ReviewStatus,
    Waiver,
)
from portfolio.models import Pilot, Stage, Status


@dataclass(frozen=True)
class GateEvaluation:
    """A live evaluation of one pilot against one gate, with what it was computed from."""

    gate: Gate
    version: CriteriaVersion
    criteria: list[engine.Criterion]
    evaluation: engine.Evaluation
    evaluated_at: datetime

    def to_dict(self) -> dict:
        return {
            "from_stage": self.gate.from_stage,
            "to_stage": self.gate.to_stage,
            "criteria_version": self.version.number,
            "evaluated_at": self.evaluated_at.isoformat(),
            **self.evaluation.to_dict(),
        }


def gate_get(*, from_stage: str, to_stage: str) -> Gate | None:
    return Gate.objects.filter(from_stage=from_stage, to_stage=to_stage).first()


def gates_with_current_version() -> list[tuple[Gate, CriteriaVersion | None]]:
    gates = list(Gate.objects.order_by("id"))
    latest: dict[int, CriteriaVersion] = {}
    for version in CriteriaVersion.objects.order_by("gate_id", "-number"):
        latest.setdefault(version.gate_id, version)
    return [(gate, latest.get(gate.pk)) for gate in gates]


def current_criteria_labels() -> dict[str, str]:
    """criterion key -> label in words, over every gate's current criteria (a waiver's
    criterion may belong to a gate the pilot has since passed)."""
    versions = [version for _gate, version in gates_with_current_version() if version]
    return labels.criteria_labels([c for version in versions for c in version.as_criteria()])


def checklist_min_scores(slug: str) -> list[tuple[Gate, engine.Criterion, float]]:
    """(gate, criterion, minimum) for each gate whose current criteria require a minimum
    score of checklist `slug`; a misconfigured minimum is left out (its gate shows it)."""
    found = []
    for gate, version in gates_with_current_version():
        for criterion in version.as_criteria() if version else ():
            if criterion.kind != engine.CHECKLIST_MIN_SCORE:
                continue
            if criterion.params.get("checklist") != slug:
                continue
            minimum = criterion.params.get("min_score")
            if isinstance(minimum, int | float) and not isinstance(minimum, bool):
                found.append((gate, criterion, float(minimum)))
    return found


def current_version(gate: Gate) -> CriteriaVersion | None:
    return gate.versions.order_by("-number").first()


def pilot_conditions(*, pilot: Pilot, gate: Gate) -> list[Condition]:
    return list(
        Condition.objects.filter(pilot=pilot, from_stage=gate.from_stage, to_stage=gate.to_stage)
    )


def pilot_criteria(
    *, pilot: Pilot, gate: Gate, version: CriteriaVersion | None = None
) -> tuple[CriteriaVersion, list[engine.Criterion]]:
    """The gate's criteria for this pilot: its version, conditions of earlier approvals, and
    what other apps add through `gates.extensions` (the EU AI Act obligations)."""
    version = version or current_version(gate)
    if version is None:
        raise LookupError(f"Gate {gate} has no criteria")
    criteria = version.as_criteria()
    criteria += [c.as_criterion() for c in pilot_conditions(pilot=pilot, gate=gate)]
    criteria += extensions.extra_criteria(pilot=pilot, gate=gate)
    return version, criteria


def active_waivers(*, pilot: Pilot, now: datetime) -> list[Waiver]:
    """Waivers that count in an evaluation at `now`: unexpired and not revoked."""
    # Through the related manager, so each waiver's `pilot` is this very object (no query).
    waivers = pilot.waivers.filter(expires_at__gt=now, revoked_at__isnull=True)
    return list(waivers.select_related("granted_by"))


def pilot_waivers(*, pilot: Pilot) -> QuerySet:
    """Every waiver of the pilot, revoked and expired ones included, newest first."""
    return pilot.waivers.select_related("granted_by", "revoked_by")


def waiver_get(*, user, pk) -> Waiver:
    """The waiver, or 404 when it does not exist or its pilot is hidden from `user`."""
    waiver = get_object_or_404(
        Waiver.objects.select_related("pilot", "granted_by", "revoked_by"), pk=pk
    )
    rules.ensure_visible(user, waiver.pilot)
    return waiver


def review_frozen_evaluation(review: Review) -> engine.Evaluation:
    """The review's evaluation as it was at request time, its labels in words."""
    return labels.in_words(review.frozen_evaluation(), review.criteria_version.as_criteria())


def pilot_evaluation(
    *, pilot: Pilot, gate: Gate, now: datetime, version: CriteriaVersion | None = None
) -> GateEvaluation:
    version, criteria = pilot_criteria(pilot=pilot, gate=gate, version=version)
    facts = pilot_facts(pilot, now=now, criteria=criteria)
    waivers = [w.as_engine() for w in active_waivers(pilot=pilot, now=now)]
    evaluation = engine.evaluate(criteria, facts, now=now, waivers=waivers)
    evaluation = labels.in_words(evaluation, criteria)
    return GateEvaluation(
        gate=gate, version=version, criteria=criteria, evaluation=evaluation, evaluated_at=now
    )


def next_gate(pilot: Pilot) -> Gate | None:
    following = engine.next_stage(pilot.stage)
    if following is None:
        return None
    return gate_get(from_stage=pilot.stage, to_stage=following)


def _review_queryset() -> QuerySet:
    return Review.objects.select_related(
        "pilot", "requested_by", "criteria_version", "criteria_version__gate"
    ).prefetch_related(
        Prefetch("pilot__roles", queryset=PilotRole.objects.select_related("user")),
        Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
    )


def review_evidence_files(*, review: Review) -> QuerySet:
    return review.evidence_files.select_related("uploaded_by").order_by("uploaded_at", "id")


def review_list(*, user, status: str | None = None) -> QuerySet:
    """Reviews of the pilots `user` may see, oldest request first."""
    queryset = _review_queryset().filter(pilot__in=rules.visible_pilots(user, Pilot.objects.all()))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("requested_at", "id")


def review_queue(*, user) -> QuerySet:
    return review_list(user=user, status=ReviewStatus.PENDING)


def review_get(*, user, pk) -> Review:
    """The review, or 404 when it does not exist or its pilot is hidden from `user`."""
    review = get_object_or_404(_review_queryset(), pk=pk)
    rules.ensure_visible(user, review.pilot)
    return review


def pilot_reviews(*, pilot: Pilot) -> QuerySet:
    return (
        Review.objects.filter(pilot=pilot)
        .select_related("requested_by", "criteria_version")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
            Prefetch("conditions", queryset=Condition.objects.select_related("met_by")),
        )
        .order_by("-requested_at", "-id")
    )


def review_comments(*, review: Review) -> QuerySet:
    return Comment.objects.filter(review=review).select_related("author")


_SAME_ACT = timedelta(seconds=30)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # request, decision, stage, waiver, revocation, withdrawal
    title: str
    who: str
    text: str
    review_id: int | None = None


def _gate_label(review) -> str:
    stages = dict(Stage.choices)
    before, after = review.from_stage, review.to_stage
    if review.kind != "gate":  # a change or recertification review keeps the stage
        return f"{review.get_kind_display().lower()} in {stages.get(after, after)}"
    return f"{stages.get(before, before)} → {stages.get(after, after)}"


def pilot_timeline(*, pilot: Pilot) -> list[TimelineEntry]:
    """Every review request, decision, withdrawal, stage or status change, waiver and
    revocation, newest first."""
    entries: list[TimelineEntry] = []
    decisions: list[tuple[datetime, int, int]] = []  # (when, decided by, review)
    for review in pilot_reviews(pilot=pilot):
        entries.append(
            TimelineEntry(
                at=review.requested_at,
                kind="request",
                title=f"Review requested: {_gate_label(review)}",
                who=str(review.requested_by),
                text=review.note,
                review_id=review.pk,
            )
        )
        for decision in review.decisions.all():
            decisions.append((decision.created_at, decision.decided_by_id, review.pk))
            text = decision.rationale
            if decision.conditions:
                text += "\nConditions: " + "; ".join(decision.conditions)
            if decision.scope_note:
                text += f"\nScope: {decision.scope_note}"
            entries.append(
                TimelineEntry(
                    at=decision.created_at,
                    kind="decision",
                    title=f"{decision.get_decision_display()} ({_gate_label(review)})",
                    who=str(decision.decided_by),
                    text=text.strip(),
                    review_id=review.pk,
                )
            )
        if review.status == ReviewStatus.WITHDRAWN and review.closed_at:
            entries.append(
                TimelineEntry(
                    at=review.closed_at,
                    kind="withdrawal",
                    title="Review withdrawn",
                    who="",
                    text="",
                    review_id=review.pk,
                )
            )
    entries += _stage_changes(pilot, decisions)
    for waiver in pilot_waivers(pilot=pilot):
        entries.append(
            TimelineEntry(
                at=waiver.granted_at,
                kind="waiver",
                title=f"Waiver of {waiver.criterion_key} until {waiver.expires_at:%Y-%m-%d}",
                who=str(waiver.granted_by),
                text=waiver.justification,
            )
        )
        if waiver.revoked_at is not None:
            entries.append(
                TimelineEntry(
                    at=waiver.revoked_at,
                    kind="revocation",
                    title=f"Waiver of {waiver.criterion_key} revoked",
                    who=str(waiver.revoked_by),
                    text=waiver.revoke_reason,
                )
            )
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _stage_changes(pilot: Pilot, decisions: list[tuple[datetime, int, int]]) -> list[TimelineEntry]:
    """One entry per change of stage or status, from the audit events `pilot_transition`
    writes: gate decisions, redesigns sending a pilot back and direct changes by an admin.

    A change a decision made (by its decider, in the same transaction, moments after) links
    to its review and leaves the reasons to the decision's own entry; a direct change
    carries its reason."""
    stages, statuses = dict(Stage.choices), dict(Status.choices)
    entries = []
    events = AuditEvent.objects.filter(pilot_id=pilot.pk, action="pilot.transition")
    for event in events.only("created_at", "actor_id", "actor_label", "before", "after"):
        before, after = event.before or {}, event.after or {}
        changes = []
        for key, names, what in (("stage", stages, "Stage"), ("status", statuses, "Status")):
            old, new = before.get(key), after.get(key)
            if old != new:
                changes.append(f"{what}: {names.get(old, old)} → {names.get(new, new)}")
        if not changes:
            continue
        review_id = next(
            (
                rid
                for at, by, rid in decisions
                if by == event.actor_id and timedelta(0) <= event.created_at - at < _SAME_ACT
            ),
            None,
        )
        entries.append(
            TimelineEntry(
                at=event.created_at,
                kind="stage",
                title="; ".join(changes),
                who=event.actor_label,
                text="" if review_id else str(after.get("reason") or ""),
                review_id=review_id,
            )
        )
    return entries


@dataclass(frozen=True)
class ComparedResult:
    """One criterion of a review: its result at request time beside its result now."""

    label: str
    mandatory: bool
    frozen: engine.Result | None
    live: engine.Result | None
    change: str  # empty when the two agree (or nothing is live to compare)


def _state(result: engine.Result) -> str:
    from portfolio.templatetags.labels import result_label

    return result_label(result.status) + (" (waived)" if result.waived else "")


def review_comparison(
    frozen: engine.Evaluation, live: engine.Evaluation | None
) -> list[ComparedResult]:
    """The frozen evaluation's criteria beside the live ones, with what changed in words."""
    if live is None:
        return [ComparedResult(r.label, r.mandatory, r, None, "") for r in frozen.results]
    live_by_key = {r.criterion_key: r for r in live.results}
    rows = []
    for r in frozen.results:
        now = live_by_key.pop(r.criterion_key, None)
        if now is None:
            change = "Changed: no longer a criterion."
        elif (now.status, now.waived) != (r.status, r.waived):
            change = f"Changed: {_state(r)} at request, {_state(now)} now."
        else:
            change = ""
        rows.append(ComparedResult(r.label, r.mandatory, r, now, change))
    for now in live_by_key.values():
        rows.append(ComparedResult(now.label, now.mandatory, None, now, "Changed: new criterion."))
    return rows


def pilots_with_pending_review(pilot_ids) -> set[int]:
    """Of these pilots, those with a review waiting for a decision (the signal asks,
    through metrics.signal_refresh.PENDING_REVIEW_FINDERS)."""
    return set(
        Review.objects.filter(
            pilot_id__in=list(pilot_ids), status=ReviewStatus.PENDING
        ).values_list("pilot_id", flat=True)
    )
