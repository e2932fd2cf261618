"""Demo reviews: pending ones, decided ones of every kind, waivers. Idempotent.

Everything goes through the services, as the people of the demo would do it: where a
demo pilot's workbooks leave a mandatory criterion failing, a governance lead first
grants a time-boxed waiver for it (which is also how the demo gets its active waivers).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gates import selectors, services
from gates.models import Review, Waiver
from portfolio.models import Pilot, Status

# (decision, rationale, extra arguments) in the order the scenarios are handed out.
SCENARIOS = [
    ("pending", "", {}),
    ("pending_partial", "", {}),
    ("approve", "", {}),
    (
        "approve_with_conditions",
        "Good evidence; two gaps to close before the next gate.",
        {"conditions": ["Name a second on-call engineer", "Run the rollback drill once"]},
    ),
    ("reject", "The success metrics have no baseline yet; measure a month first.", {}),
    ("hold", "Error rate climbed last week; harden the retrieval step before going on.", {}),
    ("redesign", "Too broad for one pilot.", {"scope_note": "Only the two largest queues."}),
    ("stop", "The value case no longer holds after the vendor price change.", {}),
    ("withdrawn", "", {}),
]


def _blocking_count(pilot: Pilot, now) -> int:
    gate = selectors.next_gate(pilot)
    if gate is None or selectors.current_version(gate) is None:
        return 10_000
    return len(selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now).evaluation.blocking)


def _owner(pilot: Pilot):
    return next(r.user for r in pilot.roles.all() if r.role == "business_owner")


def _request(pilot: Pilot, lead, now) -> Review:
    """Waive whatever still blocks (as a governance lead would), then request."""
    gate = selectors.next_gate(pilot)
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now)
    for result in live.evaluation.blocking:
        services.waiver_grant(
            pilot=pilot,
            criterion_key=result.criterion_key,
            justification="Demo: evidence reviewed in the steering meeting; owners to record it.",
            expires_at=now + timedelta(days=30),
            by=lead,
            now=now,
        )
    return services.review_request(
        pilot=pilot,
        to_stage=gate.to_stage,
        by=_owner(pilot),
        note="Workbooks are up to date; see the decision memo.",
        evidence_links=[f"https://wiki.example.com/pilots/{pilot.pk}/memo"],
        now=now,
    )


def seed(context: dict) -> None:
    users = context["users"]
    grace, gus = users["grace"], users["gus"]
    pilots = [p for p in context["pilots"] if not p.confidential]
    if Review.objects.filter(pilot__in=pilots).exists():
        return
    now = timezone.now()
    candidates = [
        Pilot.objects.prefetch_related("roles__user").get(pk=p.pk)
        for p in pilots
        if Pilot.objects.filter(pk=p.pk, status=Status.ACTIVE).exclude(stage="scale").exists()
    ]
    candidates.sort(key=lambda p: (_blocking_count(p, now), p.pk))
    high = [p for p in candidates if p.risk_tier == "high"]
    others = [p for p in candidates if p.risk_tier != "high"]
    for index, (kind, rationale, extra) in enumerate(SCENARIOS):
        pool = high if kind == "pending_partial" else others
        if not pool:
            continue
        pilot = pool.pop(0)
        review = _request(pilot, grace, now)
        # Spread the requests over the last weeks so the queue shows real ages.
        Review.objects.filter(pk=review.pk).update(requested_at=now - timedelta(days=2 + 3 * index))
        review.refresh_from_db()
        if kind == "pending":
            continue
        if kind == "pending_partial":
            services.review_decide(review=review, decision="approve", by=grace, now=now)
        elif kind == "withdrawn":
            services.review_withdraw(review=review, by=_owner(pilot), now=now)
        else:
            services.review_decide(
                review=review, decision=kind, by=gus, rationale=rationale, now=now, **extra
            )
    # One waiver that has run out, to show that expired waivers stop counting by themselves.
    waived = Waiver.objects.filter(pilot__in=pilots).first()
    if waived is not None:
        Waiver.objects.create(
            pilot=waived.pilot,
            criterion_key=waived.criterion_key,
            justification="Demo: an earlier, expired waiver.",
            expires_at=now - timedelta(days=3),
            granted_by=gus,
            granted_at=now - timedelta(days=40),
        )
