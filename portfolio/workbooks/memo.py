"""The decision memo: one page from the strategy workbook, as HTML, Markdown or PDF (the
PDF is the memo page's HTML laid out by WeasyPrint: config/pdf.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.text import slugify

from config.money import format_money, number_unit
from gates.engine import format_number
from gates.engine.wording import with_unit
from portfolio.economics import EconomicCase
from portfolio.models import Pilot
from portfolio.workbooks import models as m
from portfolio.workbooks.selectors import economic_case_of

NOT_SET = "Not set yet"


@dataclass(frozen=True)
class MemoItem:
    label: str
    text: str


@dataclass(frozen=True)
class Memo:
    pilot_name: str
    business_unit: str
    stage: str
    generated_on: str
    filename: str
    items: tuple[MemoItem, ...]
    upside: tuple[MemoItem, ...]
    stop_conditions: tuple[str, ...] = field(default_factory=tuple)
    case: EconomicCase | None = None


def _money(value) -> str:
    """The amount with the currency, to the cent ("€180,000.00"): the memo's figures are
    the economic case's, whose parts add up to its totals. Formatted here, so the HTML,
    Markdown and PDF memos all show the same text."""
    return format_money(value, exact=True, missing=NOT_SET)


def _measure(value, unit: str) -> str:
    return with_unit(format_number(value), number_unit(unit))


def _person(user) -> str:
    if user is None:
        return NOT_SET
    full = str(user)
    return full if full == user.get_username() else f"{full} ({user.get_username()})"


def _operational_owner(pilot: Pilot, workbook) -> str:
    """The pilot's operations lead when named; until then the delivery lead runs it."""
    operations_lead = pilot.holder("operations_lead")
    if operations_lead is not None:
        return f"{_person(operations_lead)}, operations lead"
    if workbook.delivery_lead is not None:
        return f"{_person(workbook.delivery_lead)}, delivery lead"
    return NOT_SET


def memo_data(pilot: Pilot) -> Memo:
    workbook = (
        m.StrategyWorkbook.objects.select_related("business_owner", "delivery_lead")
        .filter(pilot_id=pilot.pk)
        .first()
    ) or m.StrategyWorkbook(pilot=pilot)
    metrics = list(m.SuccessMetric.objects.filter(pilot_id=pilot.pk).select_related("metric"))
    stops = list(
        m.StopCondition.objects.filter(pilot_id=pilot.pk)
        .select_related("metric")
        .order_by("by_date", "id")
    )
    case = economic_case_of(workbook)
    if metrics:
        first = metrics[0]
        unit = first.unit or number_unit(first.metric.unit)
        success = (
            f"{first.metric.name}: from {with_unit(format_number(first.baseline), unit)} "
            f"to {with_unit(format_number(first.target), unit)}"
        )
        if first.how_measured:
            success += f" (measured by {first.how_measured})"
    else:
        success = NOT_SET
    items = (
        MemoItem("Business owner", _person(workbook.business_owner)),
        MemoItem("Operational owner", _operational_owner(pilot, workbook)),
        MemoItem("Business problem", workbook.business_problem or NOT_SET),
        MemoItem("Target workflow", workbook.target_workflow or NOT_SET),
        MemoItem("Decision improved", workbook.decision_improved or NOT_SET),
        MemoItem("Tracked KPI", workbook.kpi or NOT_SET),
        MemoItem("Primary success metric", success),
        MemoItem("Primary risk", workbook.primary_risk or NOT_SET),
        MemoItem("Criteria for moving to readiness", workbook.readiness_criteria or NOT_SET),
    )
    upside = (
        MemoItem("Expected annual benefit", _money(workbook.expected_annual_benefit)),
        MemoItem("Total annual cost", _money(case.total_annual_cost)),
        MemoItem("Net annual value", _money(case.net_annual_value)),
        MemoItem("Payback", case.payback_label),
        MemoItem(
            "First-year ROI",
            f"{format_number(float(case.roi_pct))}%" if case.roi_pct is not None else "n/a",
        ),
    )
    stop_lines = tuple(
        f"{s.metric.name} crosses {_measure(s.threshold, s.metric.unit)} by {s.by_date:%Y-%m-%d}: "
        f"{s.get_action_display().lower()}"
        for s in stops
    )
    return Memo(
        pilot_name=pilot.name,
        business_unit=pilot.business_unit,
        stage=pilot.get_stage_display(),
        generated_on=timezone.localdate().isoformat(),
        filename=f"decision-memo-{slugify(pilot.name) or pilot.pk}",
        items=items,
        upside=upside,
        stop_conditions=stop_lines,
        case=case,
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown syntax so typed text (even HTML) renders as typed."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(memo: Memo) -> str:
    lines = [
        f"# Decision memo: {md_escape(memo.pilot_name)}",
        "",
        f"{md_escape(memo.business_unit)} · stage {memo.stage} · {memo.generated_on}",
        "",
    ]
    for item in memo.items:
        lines += [f"## {item.label}", "", md_escape(item.text), ""]
    lines += ["## Expected upside", ""]
    lines += [f"- **{item.label}:** {md_escape(item.text)}" for item in memo.upside]
    lines += ["", "## Stop conditions", ""]
    lines += [f"- {md_escape(line)}" for line in memo.stop_conditions] or [f"- {NOT_SET}"]
    return "\n".join(lines) + "\n"
