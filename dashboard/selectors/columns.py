"""Per-pilot facts for lists and the CSV export: owner, signal, risk flags and economics,
as joins and correlated subqueries so a list of any length is one query."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse

from accounts.models import PilotRoleKind

# has_case_q and realized_means are defined beside the stored aggregates built from them.
from dashboard.aggregates import has_case_q, realized_means, realized_since
from dashboard.compiled import CompiledQuery
from dashboard.selectors.pilots import signal_expr, stale_q, stop_q
from metrics.signal import SIGNAL_LABELS
from portfolio.economics import first_year_roi
from portfolio.models import Pilot
from portfolio.workbooks.spec import CASE_FIELDS, ECONOMIC_FIELDS

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=30, decimal_places=6)


# Review minutes at an hourly cost, with the review rate in percent: / 60 / 100.
REVIEW_DIVISOR = 6000


def case_terms(value) -> dict[str, Any]:
    """The economic case's terms (portfolio/economics.py) from `value(field)`, one input of
    the strategy workbook: a Decimal in Python or an expression in SQL, so the dashboard's
    per-pilot SQL, its sums and its Python path for short lists share one formula."""
    volume = value("annual_volume")
    return {
        "benefit": value("expected_annual_benefit"),
        "build": value("one_time_build_cost"),
        "run": volume * value("cost_per_transaction"),
        "review": volume
        * value("human_review_rate_pct")
        * value("minutes_per_review")
        * value("loaded_hourly_cost"),
        "failure": value("failure_handling_cost"),
    }


def annual_cost(terms: dict[str, Any], divisor: Any = REVIEW_DIVISOR) -> Any:
    """Run cost + review cost + failure handling, from case_terms (or their sums)."""
    return terms["run"] + terms["review"] / divisor + terms["failure"]


def economics_annotations() -> dict[str, Any]:
    """The economic case of portfolio/economics.py computed in SQL, for many pilots at once.

    Same formulas; a missing input counts as zero. Amounts are rounded to cents in Python
    when shown, so the totals can differ from the sum of per-pilot figures by a cent.
    """

    def z(field: str):
        return Coalesce(
            Cast(F(f"strategyworkbook__{field}"), MONEY), Value(Decimal(0), output_field=MONEY)
        )

    terms = case_terms(z)
    total = ExpressionWrapper(
        annual_cost(terms, Value(Decimal(REVIEW_DIVISOR), output_field=MONEY)), output_field=MONEY
    )
    return {
        "has_case": Case(
            When(has_case_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "benefit": ExpressionWrapper(terms["benefit"], output_field=MONEY),
        "build_cost": ExpressionWrapper(terms["build"], output_field=MONEY),
        "annual_cost": total,
        "net_value": ExpressionWrapper(terms["benefit"] - total, output_field=MONEY),
    }


def realized_annotations(now: datetime) -> dict[str, Any]:
    """Mean of the last REALIZED_DAYS days of daily rollups of roi_pct and monthly_run_cost."""
    since = realized_since(now)

    def mean_of(key: str):
        rows = realized_means(since, pilot=OuterRef("pk"), metric__key=key).values("mean")
        return Subquery(rows, output_field=FloatField())

    return {
        "realized_roi": mean_of("roi_pct"),
        "realized_monthly_cost": mean_of("monthly_run_cost"),
    }


def with_facts(
    queryset: QuerySet, *, now: datetime, realized: bool = True, economics: bool = True
) -> QuerySet:
    """Annotate pilots with owner, signal, risk facts and economics (one query for a list).

    economics=False leaves the economic case out (facts_by_id works it out in Python)."""
    annotations: dict[str, Any] = {
        "signal_code": signal_expr(),
        # Kept on the signal row by metrics (alert and source services, after ingest).
        "open_alerts": Coalesce(F("signal__open_alerts"), 0),
        "degraded_sources": Coalesce(F("signal__degraded_sources"), 0),
        "stop_recommended": Case(
            When(stop_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "stale": Case(
            When(stale_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "owner_id": F("bo__user_id"),
        "owner_username": F("bo__user__username"),
        "owner_display": F("bo__user__display_name"),
        "owner_first": F("bo__user__first_name"),
        "owner_last": F("bo__user__last_name"),
    }
    if economics:
        annotations.update(economics_annotations())
    if realized:
        annotations.update(realized_annotations(now))
    return queryset.annotate(
        bo=FilteredRelation("roles", condition=Q(roles__role=PilotRoleKind.BUSINESS_OWNER))
    ).annotate(**annotations)


def owner_label(row: dict) -> str:
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
    return _pilot_url_prefix() + f"{pk}/"


@functools.cache
def _pilot_url_prefix() -> str:
    return reverse("portfolio:pilot_detail", args=[0])[: -len("0/")]


def fact_row(raw: dict, now: datetime) -> dict:
    row = dict(raw)
    row["url"] = pilot_url(row["id"])
    row["owner"] = owner_label(row)
    row["signal_label"] = SIGNAL_LABELS.get(row["signal_code"], row["signal_code"])
    row["days_in_stage"] = (now - row["stage_entered_at"]).days
    for key in ("benefit", "build_cost", "annual_cost", "net_value"):
        row[key] = cents(row.get(key)) if row.get("has_case") else None
    row["planned_roi"] = roi(row["net_value"], row["build_cost"], row["annual_cost"])
    return row


def _exact(*values: Decimal) -> Context:
    """A context with digits enough to round any of `values` (and their sums) exactly.

    The default 28 digits are not enough for a portfolio's sums at the input bounds
    (quantize then raises InvalidOperation: the dashboard answered 500 for everyone)."""
    digits = max((v.adjusted() for v in values if v.is_finite() and v), default=0)
    return Context(prec=max(digits, 0) + 40, rounding=ROUND_HALF_UP)


def cents(value) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(value)
    with localcontext(_exact(value)):
        return value.quantize(CENT) + 0


def roi(net, build, annual) -> Decimal | None:
    """First-year ROI as in portfolio/economics.py."""
    if net is None or build is None or annual is None:
        return None
    with localcontext(_exact(net, build, annual)):
        return first_year_roi(net, build, annual)


_CASE_FIELDS = ("has_case", "benefit", "build_cost", "annual_cost", "net_value")


def case_amounts(inputs: dict) -> dict:
    """economics_annotations in Python, for one pilot's workbook inputs (None where there
    is no workbook or the field is empty; a missing input counts as zero)."""

    def z(field: str) -> Decimal:
        value = inputs.get(field)
        return Decimal(0) if value is None else Decimal(value)

    terms = case_terms(z)
    total = annual_cost(terms)
    return {
        "has_case": any(inputs.get(f) is not None for f in CASE_FIELDS),
        "benefit": terms["benefit"],
        "build_cost": terms["build"],
        "annual_cost": total,
        "net_value": terms["benefit"] - total,
    }


# The workbook's economic inputs as columns of a pilot query -> their names.
CASE_INPUTS = {f"strategyworkbook__{name}": name for name in ECONOMIC_FIELDS}


def _facts_query(count: int, values) -> QuerySet:
    fields = [f for f in FACT_FIELDS if f not in _CASE_FIELDS]
    return with_facts(
        Pilot.objects.filter(pk__in=values["ids"]),
        now=values["now"],
        realized=False,
        economics=False,
    ).values(*fields, *CASE_INPUTS)


_FACTS = CompiledQuery(_facts_query)  # shape: how many ids


def facts_by_id(ids: Sequence[int], *, now: datetime) -> dict[int, dict]:
    """Every fact of these pilots, by id (one query, for short lists of ids).

    The economic case is worked out here from the workbook's inputs: for a short list
    that is cheaper than compiling its SQL expressions."""
    if not ids:
        return {}
    ids = list(dict.fromkeys(ids))
    facts = {}
    for raw in _FACTS.dicts(len(ids), {"ids": ids, "now": now}):
        case = {name: raw.pop(column) for column, name in CASE_INPUTS.items()}
        raw.update(case_amounts(case))
        facts[raw["id"]] = fact_row(raw, now)
    return facts


def pilot_rows(queryset: QuerySet, *, now: datetime, realized: bool = True):
    """Iterate the pilots of `queryset` as dicts with every fact (the CSV and the table)."""
    fields = FACT_FIELDS + (("realized_roi", "realized_monthly_cost") if realized else ())
    rows = with_facts(queryset, now=now, realized=realized).values(*fields).order_by("name", "id")
    for raw in rows.iterator(chunk_size=2000):
        yield fact_row(raw, now)
