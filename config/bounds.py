"""The ranges numbers may take when they enter Pilotgate, each from its domain.

Every number typed into a page, sent to the API, pulled from a monitored system or read
from a CSV file is checked against one of these at the edge, with a message naming the
field. They are chosen so that everything computed from them (the economic case, sums
over a whole portfolio, rollups of a busy day, ROI, the planner) stays far inside what
Python's decimals, floats and PostgreSQL's columns can hold: no figure the product
accepts can make a page or a rollup fail later. SECURITY.md lists them ("Numeric ranges").
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

# Any metric value (snapshots, success targets, thresholds), whatever its unit. A
# metric's own catalog range narrows it; a catalog range may not go past it.
METRIC_VALUE_LIMIT = 1_000_000_000_000.0  # 1e12
# Snapshots: the earliest observation time (no AI pilot reported metrics before 1970).
OBSERVED_AT_MIN = datetime(1970, 1, 1, tzinfo=UTC)

# Money in the strategy workbook: under a trillion a year (the column's own limit).
MONEY_MAX = Decimal("999999999999.99")
# Transactions a year at production: a trillion is about 32,000 a second.
ANNUAL_VOLUME_MAX = Decimal(1_000_000_000_000)
COST_PER_TRANSACTION_MAX = Decimal(100_000)
MINUTES_PER_REVIEW_MAX = Decimal(1_440)  # a day
LOADED_HOURLY_COST_MAX = Decimal(10_000)
MINUTES_PER_WEEK_MAX = Decimal(10_080)  # a manual step cannot take more than the week
# The planner budget (first-year cost the portfolio can fund): the filter's 16 digits.
BUDGET_MAX = Decimal("99999999999999.99")


# Workbook inputs -> (min, max), enforced by the workbook forms (pages and API alike).
WORKBOOK_FIELD_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "expected_annual_benefit": (Decimal(0), MONEY_MAX),
    "annual_volume": (Decimal(0), ANNUAL_VOLUME_MAX),
    "cost_per_transaction": (Decimal(0), COST_PER_TRANSACTION_MAX),
    "minutes_per_review": (Decimal(0), MINUTES_PER_REVIEW_MAX),
    "loaded_hourly_cost": (Decimal(0), LOADED_HOURLY_COST_MAX),
    "failure_handling_cost": (Decimal(0), MONEY_MAX),
    "one_time_build_cost": (Decimal(0), MONEY_MAX),
    "minutes_per_week": (Decimal(0), MINUTES_PER_WEEK_MAX),
}
