"""Reads behind the portfolio dashboard, its CSV export and the summary API.

- pilots: the pilots in view (confidential rule first, then filters) and the risk flags;
- facts: per-pilot facts for lists and the export;
- sections: funnel and time in stage, signal matrix, pilots at risk, review cycle times;
- economics: planned versus realized ROI and cost, the portfolio planner;
- trends: reliability trends;
- scope: when the portfolio aggregates may answer, and for whom;
- summary: all of it at once, and the filter form's choices.

The number of queries does not grow with the portfolio: aggregates are GROUP BY queries,
lists are LIMITed, per-pilot facts are joins or correlated subqueries. Metrics come from
the portfolio aggregates or the daily rollups, never from raw snapshots.
"""

from dashboard.selectors.columns import (
    FACT_FIELDS,
    fact_row,
    pilot_rows,
    pilot_url,
    with_facts,
)
from dashboard.selectors.economics import Candidate, plan_portfolio
from dashboard.selectors.pilots import dashboard_pilots
from dashboard.selectors.sections import MEMBERS_PER_SIGNAL
from dashboard.selectors.summary import filter_choices, portfolio_summary

__all__ = [
    "FACT_FIELDS",
    "MEMBERS_PER_SIGNAL",
    "Candidate",
    "dashboard_pilots",
    "fact_row",
    "filter_choices",
    "pilot_rows",
    "pilot_url",
    "plan_portfolio",
    "portfolio_summary",
    "with_facts",
]
