"""The economic case of a pilot, computed from the strategy workbook's inputs.

Formulas (all amounts per year unless named otherwise):

    annual_run_cost     = annual_volume * cost_per_transaction
    annual_review_hours = annual_volume * human_review_rate_pct / 100 * minutes_per_review / 60
    annual_review_cost  = annual_review_hours * loaded_hourly_cost
    total_annual_cost   = annual_run_cost + annual_review_cost + failure_handling_cost
    net_annual_value    = expected_annual_benefit - total_annual_cost
    payback_months      = one_time_build_cost / (net_annual_value / 12)
                          None ("never") when net_annual_value <= 0,
                          0 ("immediate") when there is no build cost
    roi_pct             = (net_annual_value - one_time_build_cost)
                          / (one_time_build_cost + total_annual_cost) * 100
                          i.e. first-year return on everything spent in the first year;
                          None when nothing is spent at all

Money is rounded to cents with ROUND_HALF_UP, each cost before it is summed, so the
totals always add up to the parts shown. Payback, ROI and review hours are rounded to
one decimal. A missing input counts as zero, and the case says so through `complete`
and `missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class EconomicInputs:
    """What the business owner estimates. Every field is optional while drafting.

    Values may be given as Decimal, int or str; floats are accepted through their
    shortest decimal form. Negative or non-finite values, and a review rate above
    100, raise ValueError.
    """

    expected_annual_benefit: Decimal | None = None
    annual_volume: Decimal | None = None
    cost_per_transaction: Decimal | None = None
    human_review_rate_pct: Decimal | None = None
    minutes_per_review: Decimal | None = None
    loaded_hourly_cost: Decimal | None = None
    failure_handling_cost: Decimal | None = None
    one_time_build_cost: Decimal | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            raw = getattr(self, f.name)
            if raw is None:
                continue
            value = _to_decimal(f.name, raw)
            if value < 0:
                raise ValueError(f"{f.name} cannot be negative")
            object.__setattr__(self, f.name, value)
        rate = self.human_review_rate_pct
        if rate is not None and rate > HUNDRED:
            raise ValueError("human_review_rate_pct must be between 0 and 100")

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is None)


@dataclass(frozen=True)
class EconomicCase:
    expected_annual_benefit: Decimal
    annual_run_cost: Decimal
    annual_review_hours: Decimal
    annual_review_cost: Decimal
    failure_handling_cost: Decimal
    total_annual_cost: Decimal
    net_annual_value: Decimal
    one_time_build_cost: Decimal
    payback_months: Decimal | None
    roi_pct: Decimal | None
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def payback_label(self) -> str:
        """'never', 'immediate', '1 month', '7.5 months', '1,234 months'."""
        if self.payback_months is None:
            return "never"
        if self.payback_months == 0:
            return "immediate"
        text = f"{self.payback_months:,.1f}".removesuffix(".0")
        return f"{text} month" if self.payback_months == 1 else f"{text} months"

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: amounts as strings so no precision is lost."""
        data: dict[str, Any] = {
            f.name: None if getattr(self, f.name) is None else str(getattr(self, f.name))
            for f in fields(self)
            if f.name != "missing"
        }
        data.update(
            missing=list(self.missing), complete=self.complete, payback_label=self.payback_label
        )
        return data


def economic_case(inputs: EconomicInputs) -> EconomicCase:
    values = {f.name: getattr(inputs, f.name) or ZERO for f in fields(inputs)}
    # Enough digits that even absurd inputs round exactly instead of raising.
    digits = 40 + sum(max(v.adjusted(), 0) for v in values.values())
    with localcontext(Context(prec=digits, rounding=ROUND_HALF_UP)):
        volume = values["annual_volume"]
        benefit = _money(values["expected_annual_benefit"])
        build = _money(values["one_time_build_cost"])
        failure = _money(values["failure_handling_cost"])
        run = _money(volume * values["cost_per_transaction"])
        review_hours = (
            volume * values["human_review_rate_pct"] / HUNDRED * values["minutes_per_review"] / 60
        )
        review = _money(review_hours * values["loaded_hourly_cost"])
        total = run + review + failure
        net = benefit - total

        if net <= 0:
            payback = None
        elif build == 0:
            payback = Decimal("0.0")
        else:
            payback = _tenth(build * 12 / net)

        roi = first_year_roi(net, build, total)

        return EconomicCase(
            expected_annual_benefit=benefit,
            annual_run_cost=run,
            annual_review_hours=_tenth(review_hours),
            annual_review_cost=review,
            failure_handling_cost=failure,
            total_annual_cost=total,
            net_annual_value=net,
            one_time_build_cost=build,
            payback_months=payback,
            roi_pct=roi,
            missing=inputs.missing,
        )


def first_year_roi(net: Decimal, build: Decimal, annual_cost: Decimal) -> Decimal | None:
    """First-year ROI in percent, to a tenth: what the first year returns over what it
    costs, (net annual value - build cost) / (build cost + total annual cost). None when
    nothing is spent. Also the dashboard's (dashboard.selectors.columns.roi)."""
    spent = build + annual_cost
    return None if spent == 0 else _tenth((net - build) / spent * HUNDRED)


def _money(value: Decimal) -> Decimal:
    # Adding zero turns a rounded "-0.00" into "0.00".
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + ZERO


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP) + ZERO


def _to_decimal(name: str, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"{name} must be a number")
    try:
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return value


# --- realised economics ------------------------------------------------------------------


@dataclass(frozen=True)
class RealisedEconomics:
    """The case with measured figures in place of the owner's estimates where measured.

    annual_run_cost = monthly_run_cost * 12 when reported, else
                      measured cost_per_transaction * the case's annual_volume;
    benefit         = realized_benefit (reported per month) * 12 when reported, else
                      the case's expected annual benefit;
    review and failure-handling costs stay as planned (no metric measures them in money).
    `measured` names what came from metrics; `planned` what still comes from the case.
    """

    annual_benefit: Decimal
    annual_run_cost: Decimal
    annual_review_cost: Decimal
    failure_handling_cost: Decimal
    total_annual_cost: Decimal
    net_annual_value: Decimal
    measured: tuple[str, ...]
    planned: tuple[str, ...]

    @property
    def basis(self) -> str:
        text = "measured " + " and ".join(self.measured)
        if self.planned:
            text += "; planned " + " and ".join(self.planned)
        return text

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("measured", "planned")
        }
        data.update(measured=list(self.measured), planned=list(self.planned), basis=self.basis)
        return data


def annual_from_monthly(monthly: float | Decimal, *, name: str = "monthly_run_cost") -> Decimal:
    """A measured monthly amount (a metric's mean) as a year's, to the cent: 12 x the
    month. The realised case's and the dashboard's realized annual cost
    (dashboard.selectors.economics.realized_for_pilots) both read it here."""
    value = _to_decimal(name, monthly)
    with localcontext(Context(prec=40 + max(value.adjusted(), 0), rounding=ROUND_HALF_UP)):
        return _money(value * 12)


def realised_economics(
    inputs: EconomicInputs,
    *,
    monthly_run_cost: float | Decimal | None = None,
    cost_per_transaction: float | Decimal | None = None,
    monthly_benefit: float | Decimal | None = None,
) -> RealisedEconomics | None:
    """None unless a run cost is measured (monthly, or per transaction with a planned
    volume) and a benefit is known (measured or planned): too little to call realised."""
    planned = economic_case(inputs)
    measured: list[str] = []
    if monthly_run_cost is not None:
        run = annual_from_monthly(monthly_run_cost)
        measured.append("run cost")
    elif cost_per_transaction is not None and inputs.annual_volume is not None:
        unit = _to_decimal("cost_per_transaction", cost_per_transaction)
        run = _money(unit * inputs.annual_volume)
        measured.append("cost per transaction")
    else:
        return None
    if monthly_benefit is not None:
        benefit = annual_from_monthly(monthly_benefit, name="realized_benefit")
        measured.append("benefit")
    elif inputs.expected_annual_benefit is not None:
        benefit = planned.expected_annual_benefit
    else:
        return None
    planned_parts = [] if monthly_benefit is not None else ["benefit"]
    if planned.annual_review_cost or planned.failure_handling_cost:
        planned_parts.append("review and failure-handling costs")
    total = run + planned.annual_review_cost + planned.failure_handling_cost
    return RealisedEconomics(
        annual_benefit=benefit,
        annual_run_cost=run,
        annual_review_cost=planned.annual_review_cost,
        failure_handling_cost=planned.failure_handling_cost,
        total_annual_cost=total,
        net_annual_value=benefit - total,
        measured=tuple(measured),
        planned=tuple(planned_parts),
    )
