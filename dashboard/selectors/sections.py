"""The dashboard's counting sections: the funnel and time in stage, the signal matrix,
pilots at risk and review cycle times. Each is a fixed number of GROUP BY or LIMITed
queries over the pilots in view, whatever the size of the portfolio."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber

from dashboard.compiled import CompiledQuery
from dashboard.filters import AGE_BUCKETS, RISK_FLAGS
from dashboard.selectors.columns import (
    case_terms,
    facts_by_id,
    has_case_q,
    pilot_url,
)
from dashboard.selectors.pilots import (
    InView,
    at_risk_q,
    degraded_q,
    flag_q,
    open_alerts_q,
    over_expected_q,
    pilots_in,
    signal_expr,
    stale_q,
    stop_q,
)
from gates.models import Review
from metrics.signal import SIGNAL_CODES, SIGNAL_LABELS
from portfolio.models import STAGE_ORDER, Stage, Status

MEMBERS_PER_SIGNAL = 8
AT_RISK_LIMIT = 25
CYCLE_DAYS = 365
# The risk flags read from the stored signal row ("stale" depends on the clock).
SIGNAL_RISK_FLAGS = ("alerts", "stop", "degraded")


def pilot_counts(view: InView) -> list[dict]:
    """Every count and sum the sections need, in one GROUP BY over the pilots in view.

    Grouped by stage, status, signal, whether the pilot is stale and whether its stored
    signal flags a risk (at most 4 x 3 x 5 x 2 x 2 rows); each section adds up the groups
    it needs. Staleness is a group column so its subquery appears once. The risk flags and
    the economic case come from one-to-one joins (the stored signal, the strategy
    workbook), so no group counts a pilot twice.
    """
    return _COUNTS.dicts(view.shape, view.values)


def _counts_query(shape: tuple, values) -> QuerySet:
    now = values["now"]
    ages = {}
    for key, _label, low, high in AGE_BUCKETS:
        cond = Q(stage_entered_at__lte=now - timedelta(days=low))
        if high is not None:
            cond &= Q(stage_entered_at__gt=now - timedelta(days=high + 1))
        ages[f"age_{key}"] = Count("id", filter=cond)
    flags = {f"flag_{flag}": Count("id", filter=flag_q(flag, now)) for flag in SIGNAL_RISK_FLAGS}
    return (
        pilots_in(shape, values)
        .annotate(
            sig=signal_expr(),
            stale=_boolean(stale_q(now)),
            risky=_boolean(open_alerts_q() | stop_q() | degraded_q()),
        )
        .values("stage", "status", "sig", "stale", "risky")
        .annotate(
            n=Count("id"),
            over=Count("id", filter=over_expected_q(now)),
            oldest=Min("stage_entered_at"),
            **ages,
            **flags,
            case_pilots=Count("id", filter=has_case_q()),
            **case_sums(),
        )
        .order_by()
    )


_COUNTS = CompiledQuery(_counts_query)


def _boolean(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def case_sums() -> dict:
    """Sums of the economic case's terms over the pilots with a case (facts.case_terms,
    so SUM's skipping of NULL plays "a missing input counts as zero"): a pilot without a
    case has no benefit, volume or build cost, so only the failure-handling cost needs the
    has-case condition."""
    terms = case_terms(lambda field: F(f"strategyworkbook__{field}"))
    sums = {f"case_{key}": Sum(term) for key, term in terms.items() if key != "failure"}
    sums["case_failure"] = Sum(terms["failure"], filter=has_case_q())
    return sums


def funnel_and_age(counted: list[dict], *, now: datetime) -> dict:
    """Counts by stage and status, and how long pilots have been in their stage."""
    counts = {(s, st): 0 for s in STAGE_ORDER for st in Status.values}
    ages = {s: {key: 0 for key, *_ in AGE_BUCKETS} for s in STAGE_ORDER}
    over = dict.fromkeys(STAGE_ORDER, 0)
    oldest: dict[str, datetime | None] = dict.fromkeys(STAGE_ORDER, None)
    for row in counted:
        counts[(row["stage"], row["status"])] += row["n"]
        over[row["stage"]] += row["over"]
        for key, *_ in AGE_BUCKETS:
            ages[row["stage"]][key] += row[f"age_{key}"]
        if row["oldest"] and (oldest[row["stage"]] is None or row["oldest"] < oldest[row["stage"]]):
            oldest[row["stage"]] = row["oldest"]
    stage_labels = dict(Stage.choices)
    funnel = [
        {
            "stage": s,
            "label": stage_labels[s],
            "total": sum(counts[(s, st)] for st in Status.values),
            "by_status": {st: counts[(s, st)] for st in Status.values},
        }
        for s in STAGE_ORDER
    ]
    time_in_stage = [
        {
            "stage": s,
            "label": stage_labels[s],
            "buckets": ages[s],
            "over_expected": over[s],
            "expected_days": settings.PILOTGATE_EXPECTED_STAGE_DAYS.get(s),
            "longest_days": (now - oldest[s]).days if oldest[s] else None,
        }
        for s in STAGE_ORDER
    ]
    return {
        "total": sum(f["total"] for f in funnel),
        "funnel": funnel,
        "time_in_stage": time_in_stage,
    }


def _members_query(shape: tuple, values) -> QuerySet:
    return (
        pilots_in(shape, values)
        .annotate(sig=signal_expr())
        .annotate(rank=Window(RowNumber(), partition_by=[F("sig")], order_by=[F("name"), F("id")]))
        .filter(rank__lte=MEMBERS_PER_SIGNAL)
        .values("id", "name", "sig", "stage")
        .order_by("sig", "name", "id")
    )


_MEMBERS = CompiledQuery(_members_query)


def signal_matrix(view: InView, counted: list[dict]) -> dict:
    """Pilots per signal and stage, and the first few pilots of each signal by name."""
    counts = {(c, s): 0 for c in SIGNAL_CODES for s in STAGE_ORDER}
    for row in counted:
        counts[(row["sig"], row["stage"])] += row["n"]
    members: dict[str, list[dict]] = {c: [] for c in SIGNAL_CODES}
    for row in _MEMBERS.dicts(view.shape, view.values):
        members.setdefault(row["sig"], []).append(
            {
                "id": row["id"],
                "name": row["name"],
                "stage": row["stage"],
                "url": pilot_url(row["id"]),
            }
        )
    rows = []
    for code in SIGNAL_CODES:
        by_stage = {s: counts[(code, s)] for s in STAGE_ORDER}
        rows.append(
            {
                "signal": code,
                "label": SIGNAL_LABELS[code],
                "by_stage": by_stage,
                "total": sum(by_stage.values()),
                "pilots": members.get(code, []),
            }
        )
    return {"available": True, "rows": rows}


def _at_risk_query(shape: tuple, values) -> QuerySet:
    return (
        pilots_in(shape, values)
        .filter(at_risk_q(values["now"]))
        .order_by(
            F("signal__stop_recommended").desc(nulls_last=True),
            Coalesce("signal__open_alerts", 0).desc(),
            Coalesce("signal__degraded_sources", 0).desc(),
            "stage_entered_at",
            "id",
        )
        .values_list("pk", flat=True)[:AT_RISK_LIMIT]
    )


_AT_RISK = CompiledQuery(_at_risk_query)


def pilots_at_risk(
    view: InView, counted: list[dict], *, also: Sequence[int] = ()
) -> tuple[dict, list[dict]]:
    """Risk counts and the first AT_RISK_LIMIT pilots at risk, most urgent first.

    The pilots are chosen on the signal row and the pilot's own columns; their facts
    (owner, economics) are then fetched for those rows only, together with the facts of
    the pilots `also` names (the dashboard's page of its pilot list), in one query.
    Returns the section and the facts of `also`, in its order.
    """
    counts = {flag: sum(row[f"flag_{flag}"] for row in counted) for flag in SIGNAL_RISK_FLAGS}
    counts["stale"] = sum(row["n"] for row in counted if row["stale"])
    counts = {flag: counts[flag] for flag in RISK_FLAGS}
    first = [row[0] for row in _AT_RISK.rows(view.shape, view.values)]
    facts = facts_by_id([*first, *also], now=view.now)
    section = {
        "available": dict.fromkeys(RISK_FLAGS, True),
        "counts": counts,
        "labels": dict(RISK_FLAGS),
        "total": sum(row["n"] for row in counted if row["stale"] or row["risky"]),
        "pilots": [facts[pk] for pk in first if pk in facts],
    }
    return section, [facts[pk] for pk in also if pk in facts]


def _cycle_query(shape: tuple, values) -> QuerySet:
    since = values["now"] - timedelta(days=CYCLE_DAYS)
    closed = Q(closed_at__isnull=False, closed_at__gte=since) & ~Q(status="withdrawn")
    pending = Q(status="pending")
    duration = ExpressionWrapper(F("closed_at") - F("requested_at"), output_field=DurationField())
    return (
        Review.objects.filter(closed | pending, pilot_id__in=pilots_in(shape, values).values("pk"))
        .values("to_stage")
        .annotate(
            n=Count("id", filter=closed),
            total=Sum(duration, filter=closed),
            longest=Max(duration, filter=closed),
            pending=Count("id", filter=pending),
            oldest=Min("requested_at", filter=pending),
        )
        .order_by()
    )


_CYCLE = CompiledQuery(_cycle_query)


def review_cycle_times(view: InView) -> dict:
    """Request-to-decision time of reviews closed in the last year, per gate; pending ages.
    One query: closed and pending reviews grouped by gate, each counted under its filter."""
    now = view.now
    rows = _CYCLE.dicts(view.shape, view.values)
    by_stage = {row["to_stage"]: row for row in rows if row["n"]}
    waiting = [row for row in rows if row["pending"]]
    oldest_pending = min((row["oldest"] for row in waiting), default=None)
    stage_labels = dict(Stage.choices)
    gates = []
    for index, to_stage in enumerate(STAGE_ORDER[1:], start=1):
        row = by_stage.get(to_stage)
        gates.append(
            {
                "from_stage": STAGE_ORDER[index - 1],
                "to_stage": to_stage,
                "label": f"{stage_labels[STAGE_ORDER[index - 1]]} → {stage_labels[to_stage]}",
                "reviews": row["n"] if row else 0,
                "mean_days": _days(row["total"] / row["n"]) if row else None,
                "longest_days": _days(row["longest"]) if row else None,
            }
        )
    return {
        "available": True,
        "gates": gates,
        "pending": sum(row["pending"] for row in waiting),
        "oldest_pending_days": (now - oldest_pending).days if oldest_pending else None,
    }


def _days(delta: timedelta | None) -> float | None:
    if delta is None:
        return None
    return round(delta.total_seconds() / 86400, 1)
