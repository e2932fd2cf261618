"""Planned (strategy workbook) versus realized (metrics) ROI and run cost, and the
portfolio planner that funds candidates down a ranked list until the budget runs out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from dashboard.aggregates import REALIZED_METRICS, realized_since
from dashboard.compiled import CompiledQuery
from dashboard.models import PortfolioRealized
from dashboard.selectors.columns import (
    CASE_INPUTS,
    annual_cost,
    case_amounts,
    cents,
    economics_annotations,
    has_case_q,
    pilot_url,
    realized_means,
    roi,
)
from dashboard.selectors.pilots import InView, pilots_in
from dashboard.selectors.scope import Scope, groups, pilots_outside_groups
from portfolio.economics import annual_from_monthly
from portfolio.models import Stage, Status

ECONOMICS_LIMIT = 20
PLANNER_LIMIT = 50
CENTS = DecimalField(max_digits=30, decimal_places=2)


def _realized_from_rollups(pilots: QuerySet, *, since: datetime) -> dict[str, list]:
    """metric key -> [pilots reporting, sum of their means]: one GROUP BY per pilot and
    metric, summed in the database (not a subquery per pilot)."""
    per_pilot = realized_means(since, pilot_id__in=pilots.values("pk"))
    cost, roi_q = Q(metric__key="monthly_run_cost"), Q(metric__key="roi_pct")
    totals = per_pilot.aggregate(
        cost_sum=Sum("mean", filter=cost),
        cost_n=Count("mean", filter=cost),
        roi_sum=Sum("mean", filter=roi_q),
        roi_n=Count("mean", filter=roi_q),
    )
    return {
        "monthly_run_cost": [totals["cost_n"], totals["cost_sum"]],
        "roi_pct": [totals["roi_n"], totals["roi_sum"]],
    }


def _realized_groups_query(group_shape: tuple, values) -> QuerySet:
    return (
        groups(PortfolioRealized, group_shape, values)
        .filter(has_case=True)
        .values("metric_key")
        .annotate(n=Sum("pilots"), total=Sum("mean_sum"))
        .values_list("metric_key", "n", "total")
    )


_REALIZED_GROUPS = CompiledQuery(_realized_groups_query)


def _realized_totals(scope: Scope, *, now: datetime) -> dict:
    """Sum over pilots with an economic case of each one's mean realized cost and ROI."""
    view = scope.view
    if scope.served:
        sums = {key: [0, None] for key in REALIZED_METRICS}
        for key, n, total in _REALIZED_GROUPS.rows(scope.group_shape, view.values):
            sums[key] = [n or 0, total]
        if scope.outside_groups:
            outside = pilots_outside_groups(view.shape, view.values)
            extra = _realized_from_rollups(
                outside.filter(has_case_q()), since=realized_since(scope.state.built_at)
            )
            for key, (n, total) in extra.items():
                if n:
                    sums[key] = [sums[key][0] + n, (sums[key][1] or 0) + total]
    else:
        with_case = pilots_in(view.shape, view.values).filter(has_case_q())
        sums = _realized_from_rollups(with_case, since=realized_since(now))
    return {
        "realized_monthly": sums["monthly_run_cost"][1],
        "realized_reporting": sums["monthly_run_cost"][0],
        "realized_roi_sum": sums["roi_pct"][1],
        "roi_reporting": sums["roi_pct"][0],
    }


def _realized_by_pilot_query(count: int, values) -> QuerySet:
    return realized_means(realized_since(values["now"]), pilot_id__in=values["ids"])


_REALIZED_BY_PILOT = CompiledQuery(_realized_by_pilot_query)  # shape: how many ids


def _realized_by_pilot(pilot_ids: list[int], *, now: datetime) -> dict[int, tuple]:
    """(mean realized ROI, mean monthly run cost) of each pilot over REALIZED_DAYS days."""
    if not pilot_ids:
        return {}
    out: dict[int, list] = {}
    for row in _REALIZED_BY_PILOT.dicts(len(pilot_ids), {"ids": pilot_ids, "now": now}):
        slot = 0 if row["metric__key"] == "roi_pct" else 1
        out.setdefault(row["pilot_id"], [None, None])[slot] = row["mean"]
    return {pid: tuple(v) for pid, v in out.items()}


def realized_for_pilots(pilot_ids: list[int], *, now: datetime) -> dict[int, dict]:
    """Each pilot's realized economics as the dashboard and the pilot page show them, by
    name: `roi_pct` (the mean, to a tenth), `monthly_cost` (the mean) and `annual_cost`
    (portfolio.economics.annual_from_monthly of it). The realized net annual value is the
    signal's (metrics.signal_refresh, from the same portfolio.economics), read beside these."""
    out = {}
    for pk, (roi_mean, monthly) in _realized_by_pilot(pilot_ids, now=now).items():
        out[pk] = {
            "roi_pct": None if roi_mean is None else round(roi_mean, 1),
            "monthly_cost": monthly,
            "annual_cost": None if monthly is None else annual_from_monthly(monthly),
        }
    return out


def _economics_row(raw: dict) -> dict:
    row = dict(raw, url=pilot_url(raw["id"]))
    for key in ("benefit", "build_cost", "annual_cost", "net_value"):
        row[key] = cents(row[key])
    row["planned_roi"] = roi(row["net_value"], row["build_cost"], row["annual_cost"])
    return row


def _top_cost_query(shape: tuple, values) -> QuerySet:
    # Only the economics columns: the other per-pilot facts would add joins and subqueries
    # evaluated for every pilot before the LIMIT.
    # Ranked by the annual cost in SQL; the rest of each case is worked out in Python from
    # the workbook inputs.
    return (
        pilots_in(shape, values)
        .filter(has_case_q())
        .annotate(annual_cost=economics_annotations()["annual_cost"])
        .order_by("-annual_cost", "name", "id")
        .values("id", "name", *CASE_INPUTS, "signal__realized_net_value")
    )[:ECONOMICS_LIMIT]


_TOP_COST = CompiledQuery(_top_cost_query)


def economics(scope: Scope, counted: list[dict], *, now: datetime) -> dict:
    """Planned (strategy workbook) versus realized (metrics) ROI and run cost."""
    view = scope.view
    pilots = [
        _economics_row(
            {
                "id": r["id"],
                "name": r["name"],
                # From measured costs (metrics.signal_refresh), beside the planned net value.
                "realized_net_value": r["signal__realized_net_value"],
            }
            | case_amounts({name: r[column] for column, name in CASE_INPUTS.items()})
        )
        for r in _TOP_COST.dicts(view.shape, view.values)
    ]
    realized = realized_for_pilots([p["id"] for p in pilots], now=now)
    for p in pilots:
        measured = realized.get(p["id"], {})
        p["realized_roi"] = measured.get("roi_pct")
        p["realized_monthly_cost"] = measured.get("monthly_cost")
        p["realized_annual_cost"] = measured.get("annual_cost")
    sums = {
        key: sum((Decimal(row[f"case_{key}"] or 0) for row in counted), Decimal(0))
        for key in ("benefit", "build", "run", "review", "failure")
    }
    sums["annual"] = annual_cost(sums)
    sums["net"] = sums["benefit"] - sums["annual"]
    sums["pilots"] = sum(row["case_pilots"] for row in counted)
    sums.update(_realized_totals(scope, now=now))
    net, build, annual = (cents(sums[k] or 0) for k in ("net", "build", "annual"))
    totals = {
        "pilots": sums["pilots"],
        "benefit": cents(sums["benefit"] or 0),
        "build_cost": build,
        "annual_cost": annual,
        "net_value": net,
        "planned_roi": roi(net, build, annual),
        "realized_annual_cost": (
            annual_from_monthly(sums["realized_monthly"])
            if sums["realized_monthly"] is not None
            else None
        ),
        "realized_reporting": sums["realized_reporting"],
        "realized_roi_mean": (
            round(sums["realized_roi_sum"] / sums["roi_reporting"], 1)
            if sums["roi_reporting"]
            else None
        ),
        "roi_reporting": sums["roi_reporting"],
        "realized_as_of": scope.as_of,
    }
    return {"available": True, "pilots": pilots, "totals": totals}


# --- the portfolio planner ----------------------------------------------------------------


class Candidate(NamedTuple):
    id: int
    name: str
    stage: str
    net_value: Decimal
    first_year_cost: Decimal
    measured: int = 0  # 1: net value from metrics, 0: the owner's estimate


def plan_portfolio(
    candidates: Iterable[Candidate],
    budget: Decimal | None,
    *,
    limit: int | None = None,
    measured_only: bool = False,
) -> dict:
    """Rank by expected net annual value and fund down the list while the budget lasts.

    The cut-off is a line: the first candidate whose first-year cost (build plus a year of
    running) no longer fits ends the funded list, so nothing below the line is funded even
    if a cheaper one would fit. A pilot with no positive net value is never funded.
    `limit` keeps only the first rows (the totals still count every candidate).

    The rule is written once, in SQL (_PLAN_SQL, which the dashboard's planner runs over
    its candidates query); here it runs over the given candidates as a list of rows.
    """
    candidates = [tuple(c) + (0,) * (6 - len(c)) for c in candidates]
    if measured_only:
        candidates = [c for c in candidates if c[5]]
    row = "SELECT " + ", ".join(
        f"CAST(%s AS {kind})"
        for kind in ("BIGINT", "VARCHAR(200)", "VARCHAR(20)", "NUMERIC", "NUMERIC", "INTEGER")
    )
    sql = " UNION ALL ".join([row] * len(candidates)) or _NO_CANDIDATES
    params = [value for c in candidates for value in c]
    plan = _run_plan(sql, params, budget=budget, limit=len(candidates) if limit is None else limit)
    return {"measured_only": measured_only, **plan}


def planner_candidates(queryset: QuerySet, *, measured_only: bool = False) -> QuerySet:
    """Active pilots not yet at scale with an economic case, as Candidate tuples (amounts
    rounded to cents) plus whether the value is measured.

    A candidate's value is its realised net annual value when its metrics measure costs
    (metrics.signal_refresh stores it on the signal row): *measured*; else the owner's case:
    *estimated*. `measured_only` leaves out the estimates."""
    econ = economics_annotations()
    queryset = queryset.filter(status=Status.ACTIVE).exclude(stage=Stage.SCALE)
    queryset = queryset.filter(has_case_q())
    if measured_only:
        queryset = queryset.filter(signal__realized_net_value__isnull=False)
    return (
        queryset.annotate(
            net=Coalesce(
                F("signal__realized_net_value"),
                Round(econ["net_value"], 2, output_field=CENTS),
                output_field=CENTS,
            ),
            first_year=Round(econ["build_cost"], 2, output_field=CENTS)
            + Round(econ["annual_cost"], 2, output_field=CENTS),
            measured=Case(
                When(signal__realized_net_value__isnull=False, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values_list("id", "name", "stage", "net", "first_year", "measured")
        .order_by()
    )


# plan_portfolio in SQL: rank, running totals and the cut-off line as window functions, so
# only the rows shown (and the last funded one, for the totals) leave the database. The
# budget is compared in whole cents, as SQLite adds amounts as REALs.
_PLAN_SQL = """
WITH c (id, name, stage, net, cost, measured) AS ({candidates}),
r AS (
    SELECT id, name, stage, net, cost, measured,
           ROW_NUMBER() OVER w AS rank,
           SUM(cost) OVER w AS cum_cost,
           SUM(net) OVER w AS cum_net
    FROM c
    WINDOW w AS (ORDER BY net DESC, name, id ROWS UNBOUNDED PRECEDING)
),
cut AS (
    SELECT MIN(rank) FILTER (WHERE {unfit}) AS at, COUNT(*) AS total,
           COUNT(*) FILTER (WHERE measured = 0) AS estimated
    FROM r
)
SELECT r.rank, r.id, r.name, r.stage, r.net, r.cost, r.cum_cost, r.cum_net, cut.total, cut.at,
       r.measured, cut.estimated
FROM r CROSS JOIN cut
WHERE r.rank <= %s OR r.rank = COALESCE(cut.at - 1, cut.total)
ORDER BY r.rank
"""
# The budget is cast: bound client-side, Decimal("21474837") reaches PostgreSQL as the
# integer literal 21474837, and 21474837 * 100 overflows a 32-bit integer.
_UNFIT = "NOT (net > 0 AND ROUND(cum_cost * 100) <= ROUND(CAST(%s AS NUMERIC) * 100))"


_CANDIDATES = CompiledQuery(
    lambda shape, values: planner_candidates(pilots_in(shape[0], values), measured_only=shape[1])
)


_NO_CANDIDATES = "SELECT 0, '', '', 0, 0, 0 WHERE 1 = 0"


def planner(view: InView, *, budget: Decimal | None, measured_only: bool = False) -> dict:
    """plan_portfolio over the planner's candidates, computed in the database: at 10,000
    pilots there are thousands of candidates and the page shows PLANNER_LIMIT of them."""
    candidates_sql, params = _CANDIDATES.sql((view.shape, measured_only), view.values)
    if candidates_sql is None:  # no reader: nothing to plan
        candidates_sql, params = _NO_CANDIDATES, ()
    plan = _run_plan(candidates_sql, params, budget=budget, limit=PLANNER_LIMIT)
    return {"available": True, "budget": budget, "measured_only": measured_only, **plan}


def _run_plan(candidates_sql: str, params, *, budget: Decimal | None, limit: int) -> dict:
    """_PLAN_SQL over `candidates_sql` (rows of id, name, stage, net value, first-year
    cost, measured): the first `limit` rows and the totals."""
    sql = _PLAN_SQL.format(
        candidates=candidates_sql, unfit=_UNFIT if budget is not None else "1 = 0"
    )
    params = [*params, *([budget] if budget is not None else []), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    total = fetched[0][8] if fetched else 0
    cut = fetched[0][9] if fetched else None
    estimated = fetched[0][11] if fetched else 0
    rows, last_funded = [], None
    for rank, pk, name, stage, net, cost, cum_cost, cum_net, _total, _cut, measured, _e in fetched:
        funded = budget is not None and (cut is None or rank < cut)
        if rank <= limit:
            rows.append(
                {
                    "rank": rank,
                    "id": pk,
                    "url": pilot_url(pk),
                    "name": name,
                    "stage": stage,
                    "net_value": cents(net),
                    "first_year_cost": cents(cost),
                    "cumulative_cost": cents(cum_cost),
                    "funded": funded,
                    "value_basis": "measured" if measured else "estimated",
                }
            )
        if funded and rank == (cut - 1 if cut is not None else total):
            last_funded = (rank, cents(cum_cost), cents(cum_net))
    funded_count, funded_cost, funded_net = last_funded or (0, Decimal(0), Decimal(0))
    return {
        "budget": budget,
        "candidates": total,
        "estimated": estimated,
        "funded": funded_count,
        "funded_cost": funded_cost,
        "funded_net_value": funded_net,
        "cut_after_rank": (cut - 1) if cut is not None else (total if budget else None),
        "rows": rows,
    }
