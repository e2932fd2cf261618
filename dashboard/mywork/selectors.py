"""My work: what an owner and a governance lead have to do next.

Owners (anyone holding a per-pilot role) see each of their pilots with its next step;
governance leads see the reviews they can still decide, conditions to verify, waivers
about to expire and stale pilots. Nothing here restates a rule: "can still decide" is
`accounts.rules.can_decide` (what `review_decide` enforces), "stale" is the
dashboard's `stale_q`, the reminder threshold is the one the reminders use.

Query counts: every list is one query (plus its prefetches) whatever its length; the
owner's page evaluates the next gate of the pilots on the page only (a fixed page size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts import rules
from accounts.models import PilotRole
from dashboard.selectors.attention import reminder_days
from dashboard.selectors.pilots import stale_q
from gates import engine, fix_links, recertification
from gates import labels as gate_labels
from gates import selectors as gate_selectors
from gates.models import APPROVING, Condition, Review, ReviewStatus, Waiver
from metrics.models import Alert, AlertStatus
from portfolio.models import Pilot, Stage, Status
from portfolio.workbooks.provides import prefetch_workbook_facts, workbook_facts
from portfolio.workbooks.spec import SPECS

# A waiver "expires soon" within this many days (owners renew, leads re-decide).
WAIVER_SOON_DAYS = 14


# --- owners -------------------------------------------------------------------------


def owned_pilots(*, user) -> QuerySet:
    """Pilots `user` holds a per-pilot role on, stopped ones left out, by name."""
    if not user.is_authenticated:
        return Pilot.objects.none()
    mine = PilotRole.objects.filter(user_id=user.pk).values("pilot_id")
    return (
        Pilot.objects.filter(pk__in=mine)
        .exclude(status=Status.STOPPED)
        .prefetch_related(Prefetch("roles", queryset=PilotRole.objects.select_related("user")))
        .order_by("name", "id")
    )


def holds_pilot_roles(user) -> bool:
    return user.is_authenticated and PilotRole.objects.filter(user_id=user.pk).exists()


@dataclass
class WorkbookToFinish:
    phase: str
    title: str
    missing: tuple[str, ...]

    SHOWN = 4

    @property
    def first_missing(self) -> tuple[str, ...]:
        return self.missing[: self.SHOWN]

    @property
    def more_missing(self) -> int:
        return max(0, len(self.missing) - self.SHOWN)


@dataclass
class Failing:
    result: engine.Result
    url: str | None


@dataclass
class NextStep:
    """One pilot of an owner and what it needs next."""

    pilot: Pilot
    gate_to: str | None = None  # the stage of the next gate; None at the last stage
    pending_review: Review | None = None
    workbooks: list[WorkbookToFinish] = field(default_factory=list)
    failing: list[Failing] = field(default_factory=list)
    ready_for_review: bool = False
    open_alerts: list[Alert] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    # At scale: "due" or "overdue" when its recertification is near or past (else "").
    recertification: str = ""
    recertification_due: datetime | None = None

    SHOWN = 6

    @property
    def on_hold(self) -> bool:
        return self.pilot.status == Status.ON_HOLD

    @property
    def first_failing(self) -> list[Failing]:
        return self.failing[: self.SHOWN]

    @property
    def more_failing(self) -> int:
        return max(0, len(self.failing) - self.SHOWN)


def _by_pilot(rows, attr: str = "pilot_id") -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attr), []).append(row)
    return grouped


def _expiring_waivers(now: datetime) -> QuerySet:
    return Waiver.objects.filter(
        revoked_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=WAIVER_SOON_DAYS),
    )


def _unmet_conditions() -> QuerySet:
    return Condition.objects.filter(met_at__isnull=True)


def next_steps(pilots: list[Pilot], *, now: datetime) -> list[NextStep]:
    """The next step of each pilot (a page of `owned_pilots`): a fixed number of queries
    for the page plus one gate evaluation per pilot that is not waiting for a review."""
    ids = [p.pk for p in pilots]
    pending = {
        r.pilot_id: r for r in Review.objects.filter(pilot_id__in=ids, status=ReviewStatus.PENDING)
    }
    alerts = _by_pilot(
        Alert.objects.filter(pilot_id__in=ids)
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("metric")
        .order_by("opened_at", "id")
    )
    conditions = _by_pilot(_unmet_conditions().filter(pilot_id__in=ids).order_by("id"))
    waivers = _by_pilot(_expiring_waivers(now).filter(pilot_id__in=ids).order_by("expires_at"))
    current = gate_selectors.gates_with_current_version()
    gates = {(g.from_stage, g.to_stage): (g, v) for g, v in current}
    label_waivers([w for rows in waivers.values() for w in rows], current)
    months = recertification.policy_months() if any(p.stage == Stage.SCALE for p in pilots) else {}
    steps = []
    for pilot in pilots:
        step = NextStep(
            pilot=pilot,
            pending_review=pending.get(pilot.pk),
            open_alerts=alerts.get(pilot.pk, []),
            conditions=[c for c in conditions.get(pilot.pk, []) if c.from_stage == pilot.stage],
            waivers=waivers.get(pilot.pk, []),
        )
        following = engine.next_stage(pilot.stage)
        gate, version = gates.get((pilot.stage, following), (None, None))
        step.gate_to = gate.to_stage if gate else None
        if pilot.stage == Stage.SCALE:
            step.recertification_due = recertification.due_date(pilot, months)
            state = recertification.state(pilot, now, months)
            step.recertification = state if state in ("due", "overdue") else ""
        if gate is not None and step.pending_review is None and not step.on_hold:
            _fill_gate(step, gate, version, now)
        steps.append(step)
    return steps


def label_waivers(waivers, current=None) -> None:
    """Put the label of its criterion on each waiver (`criterion_label`), from the gates'
    current criteria (read once); a key no gate has any more stays as it is."""
    criteria = []
    for _gate, version in current or gate_selectors.gates_with_current_version():
        criteria += version.as_criteria() if version else []
    gate_labels.label_waivers(waivers, gate_labels.criteria_labels(criteria))


def _fill_gate(step: NextStep, gate, version, now: datetime) -> None:
    if version is None:  # a gate without criteria: nothing to check before the request
        step.ready_for_review = True
        return
    pilot = prefetch_workbook_facts(step.pilot)
    live = gate_selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now, version=version)
    fix_links.prime(pilot, live.criteria)
    by_key = {c.key: c for c in live.criteria}
    facts = workbook_facts(pilot)
    for result in live.evaluation.blocking:
        criterion = by_key.get(result.criterion_key)
        if criterion and criterion.kind == engine.CONDITION:
            continue  # listed with the conditions due
        phase = criterion.params.get("phase") if criterion else None
        if criterion and criterion.kind == engine.WORKBOOK_COMPLETE and phase in SPECS:
            missing = facts[phase].missing if phase in facts else ()
            step.workbooks.append(WorkbookToFinish(phase, SPECS[phase].title, tuple(missing)))
        else:
            step.failing.append(Failing(result, fix_links.fix_url(pilot, result)))
    step.ready_for_review = live.evaluation.passed


# --- governance leads ---------------------------------------------------------------


@dataclass
class DecidableReview:
    review: Review
    age_days: int
    overdue: bool
    approvals: int


def decidable_reviews(*, user, now: datetime) -> list[DecidableReview]:
    """Pending reviews `user` can still decide, oldest first: the queue's selector, kept
    to those `rules.can_decide` allows (the rule `review_decide` enforces)."""
    if not rules.is_governance_lead(user):
        return []
    threshold = reminder_days()
    rows = []
    for review in gate_selectors.review_queue(user=user):
        if not rules.can_decide(user, review):
            continue
        age = (now - review.requested_at).days
        approvers = {d.decided_by_id for d in review.decisions.all() if d.decision in APPROVING}
        approvals = len(approvers)
        rows.append(DecidableReview(review, age, age >= threshold, approvals))
    return rows


def conditions_to_verify(*, user) -> list[Condition]:
    """Unmet approval conditions `user` may mark met, on pilots now facing the gate they
    belong to (oldest first)."""
    if not rules.is_governance_lead(user):
        return []
    visible = rules.visible_pilots(user, Pilot.objects.exclude(status=Status.STOPPED))
    queryset = (
        _unmet_conditions()
        .filter(pilot__in=visible)
        .select_related("pilot", "review")
        .prefetch_related(Prefetch("pilot__roles", queryset=PilotRole.objects.all()))
        .order_by("id")
    )
    return [
        c
        for c in queryset
        if c.pilot.stage == c.from_stage and rules.can_mark_condition_met(user, c.pilot)
    ]


def expiring_waivers(*, user, now: datetime, owned: bool = False) -> QuerySet:
    """Waivers expiring within WAIVER_SOON_DAYS on the pilots `user` sees (or holds a role
    on, for `owned`), soonest first."""
    pilots = owned_pilots(user=user) if owned else rules.visible_pilots(user, Pilot.objects.all())
    return (
        _expiring_waivers(now)
        .filter(pilot__in=pilots.exclude(status=Status.STOPPED))
        .select_related("pilot", "granted_by")
        .order_by("expires_at", "id")
    )


def recertifications_due(*, user, now: datetime) -> list[Pilot]:
    """Pilots at scale the lead sees that are due or overdue for recertification, soonest
    due first, each with `recertification_due` (date) and `recertification_state`."""
    if not rules.is_governance_lead(user):
        return []
    months = recertification.policy_months()
    pilots = list(
        rules.visible_pilots(user, recertification.due_pilots(Pilot.objects.all(), now)).order_by(
            "id"
        )
    )
    for pilot in pilots:
        pilot.recertification_due = recertification.due_date(pilot, months)
        pilot.recertification_state = recertification.state(pilot, now, months)
    return sorted(pilots, key=lambda p: (p.recertification_due, p.pk))


def stale_pilots(*, user, now: datetime) -> QuerySet:
    """The dashboard's stale pilots the lead sees, longest in their stage first."""
    return rules.visible_pilots(user, Pilot.objects.filter(stale_q(now))).order_by(
        "stage_entered_at", "id"
    )


# --- the counts in the navigation ---------------------------------------------------


def owner_count(*, user, now: datetime) -> int:
    """Owned pilots that need something from their owners, in one query: active without a
    pending review and not at the last stage (a gate to work towards), or with an open
    alert, a condition due or a waiver expiring soon."""
    pilots = owned_pilots(user=user).order_by()
    last_stage = engine.STAGES[-1]
    needs = (
        Q(status=Status.ACTIVE)
        & ~Q(stage=last_stage)
        & ~Q(Exists(Review.objects.filter(pilot=OuterRef("pk"), status=ReviewStatus.PENDING)))
    )
    needs |= Q(
        Exists(Alert.objects.filter(pilot=OuterRef("pk")).exclude(status=AlertStatus.RESOLVED))
    )
    needs |= Q(
        Exists(_unmet_conditions().filter(pilot=OuterRef("pk"), from_stage=OuterRef("stage")))
    )
    needs |= Q(Exists(_expiring_waivers(now).filter(pilot=OuterRef("pk"))))
    # At scale and due for recertification, none asked yet.
    needs |= recertification.due_q(now) & ~Q(
        Exists(Review.objects.filter(pilot=OuterRef("pk"), status=ReviewStatus.PENDING))
    )
    return recertification.annotate_base(pilots).filter(needs).count()


def lead_count(*, user, now: datetime) -> int:
    if not rules.is_governance_lead(user):
        return 0
    return (
        len(decidable_reviews(user=user, now=now))
        + len(conditions_to_verify(user=user))
        + expiring_waivers(user=user, now=now).count()
        + stale_pilots(user=user, now=now).count()
        + len(recertifications_due(user=user, now=now))
    )
