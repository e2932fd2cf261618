"""Reads behind the portfolio dashboard, its CSV export and the summary API.

Everything starts from `dashboard_pilots(user=, filters=)`, which applies the confidential
rule (accounts.rules.visible_pilots) before anything else, so no aggregate, list or export
can count a pilot the user may not see.

The number of queries does not grow with the portfolio: aggregates are GROUP BY queries,
lists are LIMITed, per-pilot facts are joins or correlated subqueries. Metrics come from
the daily rollups only, never from raw snapshots.

Some facts live in apps built alongside this one (signal, alerts and rollups in metrics,
reviews in gates, sources in metrics, the economic case in the strategy workbook). Each is
reached through one small function below (`_signal_model()`, ...); while a model is not
installed, its section answers "no data yet" (`available: False`) instead of failing.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone

from accounts import rules
from accounts.models import PilotRole, PilotRoleKind
from metrics.signal import EXPECTED_STAGE_DAYS, INSUFFICIENT_DATA, SIGNAL_CODES, SIGNAL_LABELS
from portfolio.dashboard.filters import AGE_BUCKETS, RISK_FLAGS, DashboardFilters
from portfolio.models import STAGE_ORDER, Pilot, Stage, Status

RELIABILITY_METRICS = (
    "hallucination_rate",
    "tool_call_success_rate",
    "p95_latency_ms",
    "uptime_pct",
)
TREND_DAYS = 30
REALIZED_DAYS = 30
MEMBERS_PER_SIGNAL = 8
AT_RISK_LIMIT = 25
ECONOMICS_LIMIT = 20
PLANNER_LIMIT = 50
CYCLE_DAYS = 365
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=30, decimal_places=6)


# --- a short cache for the two aggregates that read rollups across the whole portfolio ---


def _cached(section: str, queryset: QuerySet, now: datetime, compute):
    """`compute()` cached for PILOTGATE_DASHBOARD_CACHE_SECONDS (default 300; 0 = off).

    The reliability trend and the realized totals scan every daily rollup of the pilots in
    view (about a million rows at 10,000 pilots); rollups change only when metrics are
    ingested, so a few minutes' staleness buys an executive page that stays fast. The key is
    the SQL of the pilots in view (filters and the user's visibility) and the day, so two
    users who may see different pilots never share an entry.
    """
    seconds = getattr(settings, "PILOTGATE_DASHBOARD_CACHE_SECONDS", 300)
    if not seconds:
        return compute()
    sql, params = queryset.values("pk").query.sql_with_params()
    raw = f"{section}|{now.date().isoformat()}|{sql}|{params!r}".encode()
    key = "pilotgate:dashboard:" + hashlib.sha256(raw).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


# --- where other apps keep their facts ----------------------------------------------------


@functools.cache
def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _signal_model():
    return _model("metrics", "PilotSignal")


def _alert_model():
    return _model("metrics", "Alert")


def _rollup_model():
    return _model("metrics", "MetricRollup")


def _review_model():
    return _model("gates", "Review")


def _source_model():
    return _model("metrics", "MetricSource")


def _strategy_model():
    return _model("portfolio", "StrategyWorkbook")


# --- filters that need those facts ---------------------------------------------------------


def _signal_expr():
    if _signal_model() is None:
        return Value(INSUFFICIENT_DATA)
    return Coalesce(F("signal__code"), Value(INSUFFICIENT_DATA))


def _open_alerts_q() -> Q:
    Alert = _alert_model()
    if Alert is None:
        return Q(pk__in=[])
    return Q(Exists(Alert.objects.filter(pilot=OuterRef("pk")).exclude(status="resolved")))


def _stop_q() -> Q:
    if _signal_model() is None:
        return Q(pk__in=[])
    return Q(signal__stop_recommended=True)


def _degraded_q() -> Q:
    Source = _source_model()
    if Source is None:
        return Q(pk__in=[])
    return Q(Exists(Source.objects.filter(pilot=OuterRef("pk"), status="degraded")))


def _pending_review_q() -> Q:
    Review = _review_model()
    if Review is None:
        return Q(pk__in=[])
    return Q(Exists(Review.objects.filter(pilot=OuterRef("pk"), status="pending")))


def _over_expected_q(now: datetime) -> Q:
    """In a stage longer than expected (metrics.signal.EXPECTED_STAGE_DAYS)."""
    q = Q(pk__in=[])
    for stage, days in EXPECTED_STAGE_DAYS.items():
        q |= Q(stage=stage, stage_entered_at__lt=now - timedelta(days=days))
    return q


def _stale_q(now: datetime) -> Q:
    """The "permanent demo" of metrics.signal.is_stale, as SQL: active, too long in stage,
    no review requested."""
    return Q(status=Status.ACTIVE) & _over_expected_q(now) & ~_pending_review_q()


def _flag_q(flag: str, now: datetime) -> Q:
    return {
        "alerts": _open_alerts_q,
        "stop": _stop_q,
        "degraded": _degraded_q,
        "stale": lambda: _stale_q(now),
    }[flag]()


def _at_risk_q(now: datetime) -> Q:
    return _open_alerts_q() | _stop_q() | _degraded_q() | _stale_q(now)


def dashboard_pilots(*, user, filters: DashboardFilters, now: datetime | None = None) -> QuerySet:
    """The visible pilots matching every filter. The base of every dashboard number."""
    from portfolio.dashboard.filters import apply_pilot_filters

    now = now or timezone.now()
    queryset = apply_pilot_filters(
        rules.visible_pilots(user, Pilot.objects.all()), filters, now=now
    )
    if filters.signal:
        if filters.signal == INSUFFICIENT_DATA:
            if _signal_model() is not None:
                queryset = queryset.filter(
                    Q(signal__isnull=True) | Q(signal__code=INSUFFICIENT_DATA)
                )
        elif _signal_model() is None:
            queryset = queryset.none()
        else:
            queryset = queryset.filter(signal__code=filters.signal)
    if filters.flag:
        queryset = queryset.filter(_flag_q(filters.flag, now))
    return queryset.order_by()


# --- per-pilot facts (joins and subqueries, for lists and the export) ----------------------


def _has_case_q() -> Q:
    """The strategy workbook states at least a benefit, a volume or a build cost."""
    if _strategy_model() is None:
        return Q(pk__in=[])
    return (
        Q(strategyworkbook__expected_annual_benefit__isnull=False)
        | Q(strategyworkbook__annual_volume__isnull=False)
        | Q(strategyworkbook__one_time_build_cost__isnull=False)
    )


def _economics_annotations() -> dict[str, Any]:
    """The economic case of portfolio/economics.py computed in SQL, for many pilots at once.

    Same formulas; a missing input counts as zero. Amounts are rounded to cents in Python
    when shown, so the totals can differ from the sum of per-pilot figures by a cent.
    """
    if _strategy_model() is None:
        none = Value(None, output_field=MONEY)
        return {
            "has_case": Value(False, output_field=BooleanField()),
            "benefit": none,
            "build_cost": none,
            "annual_cost": none,
            "net_value": none,
        }

    def z(field: str):
        return Coalesce(
            Cast(F(f"strategyworkbook__{field}"), MONEY), Value(Decimal(0), output_field=MONEY)
        )

    volume = z("annual_volume")
    run = volume * z("cost_per_transaction")
    review = (
        volume * z("human_review_rate_pct") * z("minutes_per_review") * z("loaded_hourly_cost")
    ) / Value(Decimal(6000), output_field=MONEY)
    total = ExpressionWrapper(run + review + z("failure_handling_cost"), output_field=MONEY)
    return {
        "has_case": Case(
            When(_has_case_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "benefit": ExpressionWrapper(z("expected_annual_benefit"), output_field=MONEY),
        "build_cost": ExpressionWrapper(z("one_time_build_cost"), output_field=MONEY),
        "annual_cost": total,
        "net_value": ExpressionWrapper(z("expected_annual_benefit") - total, output_field=MONEY),
    }


def _realized_annotations(now: datetime) -> dict[str, Any]:
    """Mean of the last REALIZED_DAYS days of daily rollups of roi_pct and monthly_run_cost."""
    Rollup = _rollup_model()
    if Rollup is None:
        none = Value(None, output_field=FloatField())
        return {"realized_roi": none, "realized_monthly_cost": none}
    since = now - timedelta(days=REALIZED_DAYS)

    def mean_of(key: str):
        rows = (
            Rollup.objects.filter(
                pilot=OuterRef("pk"), metric__key=key, period="day", bucket_start__gte=since
            )
            .order_by()
            .values("pilot")
            .annotate(mean=Sum("total") / Sum("count"))
            .values("mean")
        )
        return Subquery(rows, output_field=FloatField())

    return {
        "realized_roi": mean_of("roi_pct"),
        "realized_monthly_cost": mean_of("monthly_run_cost"),
    }


def _realized_totals(queryset: QuerySet, *, now: datetime) -> dict:
    """Sum over pilots of each pilot's mean realized cost and ROI: one GROUP BY per pilot
    and metric, summed in the database (not a subquery per pilot)."""
    Rollup = _rollup_model()
    empty = {
        "realized_monthly": None,
        "realized_reporting": 0,
        "roi_reporting": 0,
        "realized_roi_sum": None,
    }
    if Rollup is None:
        return empty
    per_pilot = (
        Rollup.objects.filter(
            pilot_id__in=queryset.values("pk"),
            metric__key__in=("roi_pct", "monthly_run_cost"),
            period="day",
            bucket_start__gte=now - timedelta(days=REALIZED_DAYS),
        )
        .values("pilot_id", "metric__key")
        .annotate(mean=Sum("total") / Sum("count"))
        .order_by()
    )
    cost, roi = Q(metric__key="monthly_run_cost"), Q(metric__key="roi_pct")
    totals = per_pilot.aggregate(
        realized_monthly=Sum("mean", filter=cost),
        realized_reporting=Count("mean", filter=cost),
        realized_roi_sum=Sum("mean", filter=roi),
        roi_reporting=Count("mean", filter=roi),
    )
    return {**empty, **totals}


def _open_alert_count():
    Alert = _alert_model()
    if Alert is None:
        return Value(0, output_field=IntegerField())
    rows = (
        Alert.objects.filter(pilot=OuterRef("pk"))
        .exclude(status="resolved")
        .order_by()
        .values("pilot")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _degraded_count():
    Source = _source_model()
    if Source is None:
        return Value(0, output_field=IntegerField())
    rows = (
        Source.objects.filter(pilot=OuterRef("pk"), status="degraded")
        .order_by()
        .values("pilot")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_facts(queryset: QuerySet, *, now: datetime, realized: bool = True) -> QuerySet:
    """Annotate pilots with owner, signal, risk facts and economics (one query for a list)."""
    annotations: dict[str, Any] = {
        "signal_code": _signal_expr(),
        "open_alerts": _open_alert_count(),
        "degraded_sources": _degraded_count(),
        "stop_recommended": Case(
            When(_stop_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "stale": Case(
            When(_stale_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "owner_id": F("bo__user_id"),
        "owner_username": F("bo__user__username"),
        "owner_display": F("bo__user__display_name"),
        "owner_first": F("bo__user__first_name"),
        "owner_last": F("bo__user__last_name"),
        **_economics_annotations(),
    }
    if realized:
        annotations.update(_realized_annotations(now))
    return queryset.annotate(
        bo=FilteredRelation("roles", condition=Q(roles__role=PilotRoleKind.BUSINESS_OWNER))
    ).annotate(**annotations)


def _owner_label(row: dict) -> str:
    full = f"{row.get('owner_first') or ''} {row.get('owner_last') or ''}".strip()
    return row.get("owner_display") or full or row.get("owner_username") or ""


FACT_FIELDS = (
    "id",
    "name",
    "business_unit",
    "stage",
    "status",
    "risk_tier",
    "confidential",
    "stage_entered_at",
    "signal_code",
    "open_alerts",
    "degraded_sources",
    "stop_recommended",
    "stale",
    "owner_id",
    "owner_username",
    "owner_display",
    "owner_first",
    "owner_last",
    "has_case",
    "benefit",
    "build_cost",
    "annual_cost",
    "net_value",
)


def pilot_url(pk: int) -> str:
    """The pilot page's URL without a reverse() per row (lists run to hundreds of links)."""
    return _PILOT_URL_PREFIX() + f"{pk}/"


@functools.cache
def _PILOT_URL_PREFIX() -> str:  # noqa: N802 (a constant, computed once URLs are loaded)
    return reverse("portfolio:pilot_detail", args=[0])[: -len("0/")]


def fact_row(raw: dict, now: datetime) -> dict:
    row = dict(raw)
    row["url"] = pilot_url(row["id"])
    row["owner"] = _owner_label(row)
    row["signal_label"] = SIGNAL_LABELS.get(row["signal_code"], row["signal_code"])
    row["days_in_stage"] = (now - row["stage_entered_at"]).days
    for key in ("benefit", "build_cost", "annual_cost", "net_value"):
        row[key] = _cents(row.get(key)) if row.get("has_case") else None
    row["planned_roi"] = _roi(row["net_value"], row["build_cost"], row["annual_cost"])
    return row


def _cents(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP) + 0


def _roi(net, build, annual) -> Decimal | None:
    """First-year ROI as in portfolio/economics.py."""
    if net is None or build is None or annual is None:
        return None
    spent = build + annual
    if spent == 0:
        return None
    return ((net - build) / spent * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) + 0


def pilot_rows(queryset: QuerySet, *, now: datetime, realized: bool = True):
    """Iterate the pilots of `queryset` as dicts with every fact (the CSV and the table)."""
    fields = FACT_FIELDS + (("realized_roi", "realized_monthly_cost") if realized else ())
    rows = with_facts(queryset, now=now, realized=realized).values(*fields).order_by("name", "id")
    for raw in rows.iterator(chunk_size=2000):
        yield fact_row(raw, now)


# --- the sections of the dashboard --------------------------------------------------------


def funnel_and_age(queryset: QuerySet, *, now: datetime) -> dict:
    """Counts by stage and status, and how long pilots have been in their stage."""
    bucket_counts = {}
    for key, _label, low, high in AGE_BUCKETS:
        cond = Q(stage_entered_at__lte=now - timedelta(days=low))
        if high is not None:
            cond &= Q(stage_entered_at__gt=now - timedelta(days=high + 1))
        bucket_counts[f"age_{key}"] = Count("id", filter=cond)
    rows = (
        queryset.values("stage", "status")
        .annotate(
            n=Count("id"),
            over=Count("id", filter=_over_expected_q(now)),
            oldest=Min("stage_entered_at"),
            **bucket_counts,
        )
        .order_by()
    )
    counts = {(s, st): 0 for s in STAGE_ORDER for st in Status.values}
    ages = {s: {key: 0 for key, *_ in AGE_BUCKETS} for s in STAGE_ORDER}
    over = dict.fromkeys(STAGE_ORDER, 0)
    oldest: dict[str, datetime | None] = dict.fromkeys(STAGE_ORDER, None)
    for row in rows:
        counts[(row["stage"], row["status"])] = row["n"]
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
            "expected_days": EXPECTED_STAGE_DAYS.get(s),
            "longest_days": (now - oldest[s]).days if oldest[s] else None,
        }
        for s in STAGE_ORDER
    ]
    return {
        "total": sum(f["total"] for f in funnel),
        "funnel": funnel,
        "time_in_stage": time_in_stage,
    }


def signal_matrix(queryset: QuerySet) -> dict:
    """Pilots per signal and stage, and the first few pilots of each signal by name."""
    available = _signal_model() is not None
    cells = (
        queryset.annotate(sig=_signal_expr())
        .values("sig", "stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(c, s): 0 for c in SIGNAL_CODES for s in STAGE_ORDER}
    for cell in cells:
        counts[(cell["sig"], cell["stage"])] = cell["n"]
    members: dict[str, list[dict]] = {c: [] for c in SIGNAL_CODES}
    ranked = (
        queryset.annotate(sig=_signal_expr())
        .annotate(rank=Window(RowNumber(), partition_by=[F("sig")], order_by=[F("name"), F("id")]))
        .filter(rank__lte=MEMBERS_PER_SIGNAL)
        .values("id", "name", "sig", "stage")
        .order_by("sig", "name", "id")
    )
    for row in ranked:
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
    return {"available": available, "rows": rows}


def pilots_at_risk(queryset: QuerySet, *, now: datetime) -> dict:
    counts = queryset.aggregate(
        **{flag: Count("id", filter=_flag_q(flag, now)) for flag in RISK_FLAGS},
        any=Count("id", filter=_at_risk_q(now)),
    )
    listed = (
        with_facts(queryset.filter(_at_risk_q(now)), now=now, realized=False)
        .values(*FACT_FIELDS)
        .order_by(
            "-stop_recommended", "-open_alerts", "-degraded_sources", "stage_entered_at", "id"
        )
    )[:AT_RISK_LIMIT]
    return {
        "available": {
            "alerts": _alert_model() is not None,
            "stop": _signal_model() is not None,
            "degraded": _source_model() is not None,
            "stale": True,
        },
        "counts": {flag: counts[flag] for flag in RISK_FLAGS},
        "labels": dict(RISK_FLAGS),
        "total": counts["any"],
        "pilots": [fact_row(r, now) for r in listed],
    }


def economics(queryset: QuerySet, *, now: datetime) -> dict:
    """Planned (strategy workbook) versus realized (metrics) ROI and run cost."""
    if _strategy_model() is None:
        return {"available": False, "pilots": [], "totals": {}}
    # Only the economics columns: the other per-pilot facts would add joins and subqueries
    # evaluated for every pilot before the LIMIT.
    top = (
        queryset.filter(_has_case_q())
        .annotate(**_economics_annotations())
        .order_by("-annual_cost", "name", "id")
        .values("id", "name", "has_case", "benefit", "build_cost", "annual_cost", "net_value")
    )[:ECONOMICS_LIMIT]
    pilots = [_economics_row(r) for r in top]
    realized = _realized_by_pilot([p["id"] for p in pilots], now=now)
    for p in pilots:
        p["realized_roi"], p["realized_monthly_cost"] = realized.get(p["id"], (None, None))
        p["realized_annual_cost"] = (
            None if p["realized_monthly_cost"] is None else _cents(p["realized_monthly_cost"] * 12)
        )
        p["realized_roi"] = None if p["realized_roi"] is None else round(p["realized_roi"], 1)
    # Aggregate the expressions themselves: a Sum() over an annotation's name is compiled
    # to a bare column reference on PostgreSQL, which does not exist outside the subquery.
    econ = _economics_annotations()
    with_case = queryset.filter(_has_case_q())
    sums = with_case.aggregate(
        pilots=Count("id"),
        benefit=Sum(econ["benefit"]),
        build=Sum(econ["build_cost"]),
        annual=Sum(econ["annual_cost"]),
        net=Sum(econ["net_value"]),
    )
    sums.update(_cached("realized", with_case, now, lambda: _realized_totals(with_case, now=now)))
    net, build, annual = (_cents(sums[k] or 0) for k in ("net", "build", "annual"))
    totals = {
        "pilots": sums["pilots"],
        "benefit": _cents(sums["benefit"] or 0),
        "build_cost": build,
        "annual_cost": annual,
        "net_value": net,
        "planned_roi": _roi(net, build, annual),
        "realized_annual_cost": (
            _cents(sums["realized_monthly"] * 12) if sums["realized_monthly"] is not None else None
        ),
        "realized_reporting": sums["realized_reporting"],
        "realized_roi_mean": (
            round(sums["realized_roi_sum"] / sums["roi_reporting"], 1)
            if sums["roi_reporting"]
            else None
        ),
        "roi_reporting": sums["roi_reporting"],
    }
    return {"available": True, "pilots": pilots, "totals": totals}


def reliability_trends(queryset: QuerySet, *, now: datetime) -> dict:
    return _cached("trend", queryset, now, lambda: _reliability_trends(queryset, now=now))


def _reliability_trends(queryset: QuerySet, *, now: datetime) -> dict:
    """Daily portfolio value of each reliability metric over the last TREND_DAYS days.

    Rates are weighted by observation count (sum of totals / sum of counts); latency is the
    mean of the pilots' daily p95.
    """
    Rollup = _rollup_model()
    if Rollup is None:
        return {"available": False, "series": {}}
    since = (now - timedelta(days=TREND_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Rollup.objects.filter(
            period="day",
            bucket_start__gte=since,
            metric__key__in=RELIABILITY_METRICS,
            pilot_id__in=queryset.values("pk"),
        )
        .values("bucket_start", "metric__key")
        .annotate(
            total=Sum("total"),
            count=Sum("count"),
            p95_sum=Sum("p95"),
            # One rollup per pilot, metric and day, so rows are pilots (no DISTINCT sort).
            rows=Count("id"),
        )
        .order_by("metric__key", "bucket_start")
    )
    series: dict[str, list[dict]] = {key: [] for key in RELIABILITY_METRICS}
    for row in rows:
        key = row["metric__key"]
        if key == "p95_latency_ms":
            value = row["p95_sum"] / row["rows"] if row["rows"] else None
        else:
            value = row["total"] / row["count"] if row["count"] else None
        series[key].append(
            {
                "day": row["bucket_start"].date().isoformat(),
                "value": None if value is None else round(value, 4),
                "pilots": row["rows"],
            }
        )
    return {"available": True, "series": series, "days": TREND_DAYS}


def review_cycle_times(queryset: QuerySet, *, now: datetime) -> dict:
    """Request-to-decision time of reviews closed in the last year, per gate; pending ages."""
    Review = _review_model()
    if Review is None:
        return {"available": False, "gates": [], "pending": 0}
    since = now - timedelta(days=CYCLE_DAYS)
    pilots = queryset.values("pk")
    closed = (
        Review.objects.filter(pilot_id__in=pilots, closed_at__isnull=False, closed_at__gte=since)
        .exclude(status="withdrawn")
        .values("to_stage")
        .annotate(
            n=Count("id"),
            total=Sum(
                ExpressionWrapper(F("closed_at") - F("requested_at"), output_field=DurationField())
            ),
            longest=Max(
                ExpressionWrapper(F("closed_at") - F("requested_at"), output_field=DurationField())
            ),
        )
        .order_by()
    )
    by_stage = {row["to_stage"]: row for row in closed}
    pending = Review.objects.filter(pilot_id__in=pilots, status="pending").aggregate(
        n=Count("id"), oldest=Min("requested_at")
    )
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
        "pending": pending["n"],
        "oldest_pending_days": (now - pending["oldest"]).days if pending["oldest"] else None,
    }


def _days(delta: timedelta | None) -> float | None:
    if delta is None:
        return None
    return round(delta.total_seconds() / 86400, 1)


# --- the portfolio planner ----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    stage: str
    net_value: Decimal
    first_year_cost: Decimal


def plan_portfolio(candidates: list[Candidate], budget: Decimal | None) -> dict:
    """Rank by expected net annual value and fund down the list while the budget lasts.

    The cut-off is a line: the first candidate whose first-year cost (build plus a year of
    running) no longer fits ends the funded list, so nothing below the line is funded even
    if a cheaper one would fit. A pilot with no positive net value is never funded.
    """
    ranked = sorted(candidates, key=lambda c: (-c.net_value, c.name, c.id))
    cumulative = Decimal(0)
    cut_at: int | None = None
    rows = []
    for position, cand in enumerate(ranked, start=1):
        cumulative += cand.first_year_cost
        fits = budget is not None and cut_at is None and cand.net_value > 0 and cumulative <= budget
        if budget is not None and cut_at is None and not fits:
            cut_at = position
        rows.append(
            {
                "rank": position,
                "id": cand.id,
                "url": pilot_url(cand.id),
                "name": cand.name,
                "stage": cand.stage,
                "net_value": cand.net_value,
                "first_year_cost": cand.first_year_cost,
                "cumulative_cost": cumulative,
                "funded": fits,
            }
        )
    funded = [r for r in rows if r["funded"]]
    return {
        "budget": budget,
        "candidates": len(rows),
        "funded": len(funded),
        "funded_cost": sum((r["first_year_cost"] for r in funded), Decimal(0)),
        "funded_net_value": sum((r["net_value"] for r in funded), Decimal(0)),
        "cut_after_rank": (cut_at - 1) if cut_at is not None else (len(rows) if budget else None),
        "rows": rows,
    }


def _economics_row(raw: dict) -> dict:
    row = dict(raw, url=pilot_url(raw["id"]))
    for key in ("benefit", "build_cost", "annual_cost", "net_value"):
        row[key] = _cents(row[key])
    row["planned_roi"] = _roi(row["net_value"], row["build_cost"], row["annual_cost"])
    return row


def _realized_by_pilot(pilot_ids: list[int], *, now: datetime) -> dict[int, tuple]:
    """(mean realized ROI, mean monthly run cost) of each pilot over REALIZED_DAYS days."""
    Rollup = _rollup_model()
    if Rollup is None or not pilot_ids:
        return {}
    rows = (
        Rollup.objects.filter(
            pilot_id__in=pilot_ids,
            metric__key__in=("roi_pct", "monthly_run_cost"),
            period="day",
            bucket_start__gte=now - timedelta(days=REALIZED_DAYS),
        )
        .values("pilot_id", "metric__key")
        .annotate(mean=Sum("total") / Sum("count"))
        .order_by()
    )
    out: dict[int, list] = {}
    for row in rows:
        slot = 0 if row["metric__key"] == "roi_pct" else 1
        out.setdefault(row["pilot_id"], [None, None])[slot] = row["mean"]
    return {pid: tuple(v) for pid, v in out.items()}


def planner(queryset: QuerySet, *, budget: Decimal | None, now: datetime) -> dict:
    """Candidates are active pilots not yet at scale that have an economic case."""
    if _strategy_model() is None:
        return {"available": False, **plan_portfolio([], budget)}
    rows = (
        queryset.filter(status=Status.ACTIVE)
        .exclude(stage=Stage.SCALE)
        .filter(_has_case_q())
        .annotate(**_economics_annotations())
        .values("id", "name", "stage", "net_value", "build_cost", "annual_cost")
        .order_by()
    )
    candidates = [
        Candidate(
            id=r["id"],
            name=r["name"],
            stage=r["stage"],
            net_value=_cents(r["net_value"]),
            first_year_cost=_cents(r["build_cost"]) + _cents(r["annual_cost"]),
        )
        for r in rows
    ]
    plan = plan_portfolio(candidates, budget)
    plan["rows"] = plan["rows"][:PLANNER_LIMIT]
    return {"available": True, **plan}


# --- choices for the filter form -----------------------------------------------------------


def filter_choices(*, user) -> dict:
    visible = rules.visible_pilots(user, Pilot.objects.all())
    units = list(
        visible.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
    owners = (
        PilotRole.objects.filter(role=PilotRoleKind.BUSINESS_OWNER, pilot__in=visible.values("pk"))
        .values(
            "user_id", "user__username", "user__display_name", "user__first_name", "user__last_name"
        )
        .distinct()
        .order_by("user__username")
    )
    return {
        "business_units": units,
        "owners": [
            (
                o["user_id"],
                _owner_label(
                    {
                        "owner_display": o["user__display_name"],
                        "owner_first": o["user__first_name"],
                        "owner_last": o["user__last_name"],
                        "owner_username": o["user__username"],
                    }
                ),
            )
            for o in owners
        ],
    }


# --- everything at once (the page and the API) --------------------------------------------


def portfolio_summary(*, user, filters: DashboardFilters, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    pilots = dashboard_pilots(user=user, filters=filters, now=now)
    summary = funnel_and_age(pilots, now=now)
    summary.update(
        generated_at=now,
        filters=filters.active,
        signals=signal_matrix(pilots),
        at_risk=pilots_at_risk(pilots, now=now),
        economics=economics(pilots, now=now),
        reliability=reliability_trends(pilots, now=now),
        reviews=review_cycle_times(pilots, now=now),
        planner=planner(pilots, budget=filters.budget, now=now),
    )
    return summary
