"""Demo reviews: pending ones, decided ones of every kind, and a few waivers. Idempotent.

Everything goes through the services, as the people of the demo would do it: before asking
for a review, the pilot's owner finishes the workbook its gate reads. The waivers tell one
story: a pilot whose metrics did not report yet got its metric criteria waived so the
steering committee could judge its scope; the review sent it back to redesign, and one
waiver made for the old scope was revoked. An older, expired waiver shows that waivers
stop counting by themselves.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gates import selectors, services
from gates.models import Review, Waiver
from portfolio.models import Pilot, RiskTier, Stage, Status
from portfolio.workbooks import demo as workbook_demo

# (decision, pool, rationale, extra arguments) in the order the scenarios are handed out.
# Pools of active pilots: `discovery` (low and medium risk), `discovery_high`, `pilot`.
SCENARIOS = [
    ("pending", "discovery", "", {}),
    ("pending_partial", "discovery_high", "", {}),
    ("approve", "discovery", "", {}),
    (
        "approve_with_conditions",
        "discovery",
        "Good evidence; two gaps to close before the next gate.",
        {"conditions": ["Name a second on-call engineer", "Run the rollback drill once"]},
    ),
    ("reject", "discovery", "The success metrics have no baseline yet; measure a month first.", {}),
    (
        "hold",
        "discovery",
        "Error rate climbed last week; harden the retrieval step before going on.",
        {},
    ),
    (
        "redesign",
        "pilot",
        "Too broad for one pilot.",
        {"scope_note": "Only the two largest queues."},
    ),
    ("stop", "discovery_high", "The value case no longer holds after the vendor price change.", {}),
    ("withdrawn", "discovery_high", "", {}),
]
# The workbook each gate reads, finished by the owner before asking for its review.
GATE_WORKBOOK = {Stage.DISCOVERY: "strategy", Stage.PILOT: "data"}
METRICS_NOT_REPORTING = (
    "Pilot metrics start reporting next month; waived so the steering committee can judge "
    "the scope now."
)
REVOKED_KEY = "pilot_outcome_quality"
REVOKE_REASON = (
    "The redesign narrows the scope to the two largest queues: outcome quality must be "
    "measured on them before this gate."
)


def _owner(pilot: Pilot):
    return next(r.user for r in pilot.roles.all() if r.role == "business_owner")


def _pool(pilot: Pilot) -> str | None:
    if pilot.stage == Stage.DISCOVERY:
        return "discovery_high" if pilot.risk_tier == RiskTier.HIGH else "discovery"
    if pilot.stage == Stage.PILOT and pilot.risk_tier != RiskTier.HIGH:
        return "pilot"
    return None


def _request(pilot: Pilot, users: dict, *, at, now) -> Review:
    """The owner finishes the gate's workbook; whatever still blocks (pilot metrics that do
    not report yet) a governance lead waives; then the owner asks for the review."""
    gate = selectors.next_gate(pilot)
    workbook_demo.complete(pilot, users, GATE_WORKBOOK[pilot.stage])
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now)
    for result in live.evaluation.blocking:
        services.waiver_grant(
            pilot=pilot,
            criterion_key=result.criterion_key,
            justification=METRICS_NOT_REPORTING,
            expires_at=at + timedelta(days=30),
            by=users["grace"],
            now=at,
        )
    review = services.review_request(
        pilot=pilot,
        to_stage=gate.to_stage,
        by=_owner(pilot),
        note="Workbooks are up to date; see the decision memo.",
        evidence_links=[f"https://wiki.example.com/pilots/{pilot.pk}/memo"],
        now=now,
    )
    # Spread the requests over the last weeks so the queue shows real ages.
    Review.objects.filter(pk=review.pk).update(requested_at=at)
    review.refresh_from_db()
    return review


def seed(context: dict) -> None:
    users = context["users"]
    grace, gus = users["grace"], users["gus"]
    pilots = [p for p in context["pilots"] if not p.confidential]
    if Review.objects.filter(pilot__in=pilots).exists():
        return
    now = timezone.now()
    pools: dict[str, list[Pilot]] = {}
    for pilot in Pilot.objects.filter(pk__in=[p.pk for p in pilots], status=Status.ACTIVE).order_by(
        "pk"
    ):
        pool = _pool(pilot)
        if pool is not None:
            pools.setdefault(pool, []).append(pilot)
    for index, (kind, pool_name, rationale, extra) in enumerate(SCENARIOS):
        pool = pools.get(pool_name)
        if not pool:
            continue
        pilot = Pilot.objects.prefetch_related("roles__user").get(pk=pool.pop(0).pk)
        review = _request(pilot, users, at=now - timedelta(days=2 + 3 * index), now=now)
        if kind == "pending":
            continue
        if kind == "pending_partial":
            services.review_decide(review=review, decision="approve", by=grace, now=now)
        elif kind == "withdrawn":
            services.review_withdraw(review=review, by=_owner(pilot), now=now)
        elif kind == "redesign":
            # Decided yesterday; today the waiver made for the old scope is revoked.
            services.review_decide(
                review=review,
                decision=kind,
                by=gus,
                rationale=rationale,
                now=now - timedelta(days=1),
                **extra,
            )
            waiver = Waiver.objects.filter(pilot=pilot, criterion_key=REVOKED_KEY).first()
            if waiver is not None:
                services.waiver_revoke(waiver=waiver, reason=REVOKE_REASON, by=gus, now=now)
        else:
            services.review_decide(
                review=review, decision=kind, by=gus, rationale=rationale, now=now, **extra
            )
    # One waiver that has run out, to show that expired waivers stop counting by themselves.
    waived = Waiver.objects.filter(pilot__in=pilots, revoked_at__isnull=True).order_by("pk").first()
    if waived is not None:
        Waiver.objects.create(
            pilot=waived.pilot,
            criterion_key=waived.criterion_key,
            justification="Demo: an earlier, expired waiver.",
            expires_at=now - timedelta(days=3),
            granted_by=gus,
            granted_at=now - timedelta(days=40),
        )
