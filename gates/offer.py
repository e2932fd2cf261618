"""Whether a page may offer "Request review" now, and if not, why (reads only).

The offer follows the GOV.UK task list: it appears once the workbooks the next gate reads
are complete. A refused request is remembered (the `review.refused` audit event carries a
fingerprint of the blocking results); the button comes back only when the live blocking
results differ from the refused ones, i.e. once something changed that could make it
pass. Each blocking result comes with the link that fixes it (`gates.fix_links`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from accounts import rules
from accounts.models import AuditEvent
from gates import engine, fix_links, selectors
from gates.models import Gate, Review, ReviewStatus

REFUSED_ACTION = "review.refused"
_LIVE = "_offer_live_evaluation"
# Criterion kinds that read a workbook, and so name the workbooks a gate needs.
_WORKBOOK_KINDS = frozenset({engine.WORKBOOK_COMPLETE, engine.FIELD_PRESENT, engine.LIST_MIN_ROWS})


def fingerprint(blocking: Iterable[engine.Result]) -> str:
    """What a refusal was refused for; equal fingerprints mean nothing relevant changed."""
    data = sorted((r.criterion_key, r.status, r.reason) for r in blocking)
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def live_evaluation(pilot, gate: Gate, now: datetime | None = None):
    """The live evaluation of `pilot` against `gate`, computed once per pilot object (the
    pilot page shows it in the task list and in the gate panel)."""
    cached = pilot.__dict__.setdefault(_LIVE, {})
    if gate.pk not in cached:
        live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now or timezone.now())
        fix_links.prime(pilot, live.criteria)
        cached[gate.pk] = live
    return cached[gate.pk]


@dataclass(frozen=True)
class Blocker:
    result: engine.Result
    url: str | None


@dataclass(frozen=True)
class ReviewOffer:
    """`state` is one of: none (no next gate or no criteria), stopped, pending,
    not_allowed, workbooks, refused, ready."""

    state: str
    gate: Gate | None = None
    pending: Review | None = None
    incomplete: tuple[str, ...] = ()  # titles of the needed workbooks not yet complete
    needed: tuple[str, ...] = ()  # phases the gate reads
    blockers: tuple[Blocker, ...] = field(default_factory=tuple)
    refused_at: datetime | None = None

    @property
    def can_post(self) -> bool:
        return self.state == "ready"


def needed_phases(criteria: Iterable[engine.Criterion]) -> tuple[str, ...]:
    from portfolio.workbooks.spec import PHASES

    named = {c.params.get("phase") for c in criteria if c.kind in _WORKBOOK_KINDS}
    return tuple(phase for phase in PHASES if phase in named)


def _last_refusal(pilot) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(pilot_id=pilot.pk, action=REFUSED_ACTION)
        .only("after", "created_at")
        .order_by("-id")
        .first()
    )


def review_offer(*, pilot, user, now: datetime | None = None) -> ReviewOffer:
    from portfolio.workbooks.provides import workbook_facts
    from portfolio.workbooks.spec import SPECS

    gate = selectors.next_gate(pilot)
    version = selectors.current_version(gate) if gate is not None else None
    if version is None:
        return ReviewOffer(state="none")
    needed = needed_phases(version.as_criteria())
    # Read before any early answer: the page's query count must not depend on the state.
    pending = Review.objects.filter(pilot=pilot, status=ReviewStatus.PENDING).first()
    if pilot.is_stopped or pilot.status == "on_hold":
        return ReviewOffer(state="stopped", gate=gate, needed=needed)
    if pending is not None:
        return ReviewOffer(state="pending", gate=gate, pending=pending, needed=needed)
    if not rules.can_request_review(user, pilot):
        return ReviewOffer(state="not_allowed", gate=gate, needed=needed)
    facts = workbook_facts(pilot)
    incomplete = tuple(SPECS[p].title for p in needed if not facts[p].complete)
    live = live_evaluation(pilot, gate, now)
    blocking = live.evaluation.blocking
    blockers = tuple(Blocker(r, fix_links.fix_url(pilot, r)) for r in blocking)
    common = {"gate": gate, "needed": needed, "blockers": blockers}
    if incomplete:
        return ReviewOffer(state="workbooks", incomplete=incomplete, **common)
    refusal = _last_refusal(pilot) if blocking else None
    if (
        refusal is not None
        and refusal.after.get("to_stage") == gate.to_stage
        and refusal.after.get("fingerprint") == fingerprint(blocking)
    ):
        return ReviewOffer(state="refused", refused_at=refusal.created_at, **common)
    return ReviewOffer(state="ready", **common)
