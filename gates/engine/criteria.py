"""What a gate asks for: one `Criterion` per requirement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.engine.vocabulary import CONDITION


@dataclass(frozen=True)
class Criterion:
    """One requirement of a gate. Empty `risk_tiers` means it applies to every tier.

    `params` by `kind`:

    - workbook_complete: phase
    - field_present: phase, field; optional `equals` (the value must equal it, e.g. True);
      optional wording for the reason: `subject` (what the field is, instead of "<Phase>
      workbook: <field>"), `filled` / `unfilled` (instead of "is filled in" / "is not ...")
    - list_min_rows: phase, list, min (default 1)
    - tests_passed: categories (default TEST_CATEGORIES); each must be passed or waived
    - roles_named: roles (default REQUIRED_ROLES)
    - metric_rule: metric, aggregate (last/mean/p95/min/max, default mean), window_days
      (default 7), min_snapshots (default 1), op (<=, <, >=, >), and either `value` or
      `against` ("target" / "threshold": the limit the workbooks set for the metric);
      optional `unit` for the reason text ("ms", "%")
    - no_open_alerts: none
    - condition: text; passes when the criterion key is in `PilotFacts.met_conditions`
    - manual_steps_cost: none; fails (a warning when not mandatory) while the data
      workbook lists manual steps, with their hours a week and yearly labour cost at the
      economic case's loaded hourly cost
    - checklist_min_score: checklist (a slug in `PilotFacts.checklists`, e.g.
      "ml_test_score"), min_score (0 up to the items of a section, in steps of 0.5); passes
      when the checklist's lowest section score reaches min_score, as the ML Test Score
      paper scores a system; unanswered items count 0
    - statement: holds (bool), pass_reason, fail_reason; optional `waivable` (default True:
      False keeps a waiver from covering it, as for a prohibited practice). Not configurable
      on a gate: another app contributes it through `gates.extensions`
    """

    key: str
    kind: str
    label: str
    params: Mapping[str, Any]
    mandatory: bool = True
    risk_tiers: tuple[str, ...] = ()

    @property
    def waivable(self) -> bool:
        return self.params.get("waivable", True) is not False

    def applies_to(self, risk_tier: str) -> bool:
        return not self.risk_tiers or risk_tier in self.risk_tiers

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "params": dict(self.params),
            "mandatory": self.mandatory,
            "risk_tiers": list(self.risk_tiers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        return cls(
            key=str(data["key"]),
            kind=str(data["kind"]),
            label=str(data.get("label") or data["key"]),
            params=dict(data.get("params") or {}),
            mandatory=bool(data.get("mandatory", True)),
            risk_tiers=tuple(data.get("risk_tiers") or ()),
        )


def condition_criterion(key: str, text: str) -> Criterion:
    """A mandatory criterion for one condition of an "approve with conditions" decision.

    It passes once `key` is listed in `PilotFacts.met_conditions`.
    """
    return Criterion(key=key, kind=CONDITION, label=f"Condition: {text}", params={"text": text})


class CriterionError(ValueError):
    """A criterion whose params cannot be evaluated."""
