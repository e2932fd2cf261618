"""Editing gate criteria: every change writes a new, immutable criteria version."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record
from gates import engine
from gates.checklists import (
    CHECKLISTS,
    checklist_criteria,
    checklist_score_facts,
    min_score_criterion,
    min_score_key,
    score_facts,
)
from gates.models import CriteriaVersion, Gate

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_PROBE_NOW = datetime(2000, 1, 1, tzinfo=UTC)
# Facts with every limit known, so that only a criterion's own params can be "misconfigured".
_PROBE_FACTS = engine.PilotFacts(
    risk_tier="high",
    workbooks={},
    roles={},
    test_results={},
    metrics={},
    metric_targets={},
    metric_thresholds={},
    open_alerts=0,
    checklists=checklist_score_facts(()),
)
ATTACH_MODES = ("min_score", "items")


def criterion_problems(data) -> dict[str, str]:
    """Field -> problem for one criterion dict; empty when it can be evaluated."""
    if not isinstance(data, dict):
        return {"criterion": "Each criterion must be an object."}
    problems = {}
    key = str(data.get("key") or "")
    if not KEY_PATTERN.match(key):
        problems["key"] = "Use lower-case letters, digits and _ (start with a letter)."
    if data.get("kind") not in engine.KINDS:
        problems["kind"] = f"Kind must be one of {', '.join(engine.KINDS)}."
    if not str(data.get("label") or "").strip():
        problems["label"] = "Give a label a person understands."
    if not isinstance(data.get("params", {}), dict):
        problems["params"] = "Params must be an object."
    tiers = data.get("risk_tiers") or []
    if not isinstance(tiers, list) or not set(tiers) <= set(engine.RISK_TIERS):
        problems["risk_tiers"] = f"Risk tiers must be among {', '.join(engine.RISK_TIERS)}."
    if problems:
        return problems
    criterion = engine.Criterion.from_dict({**data, "risk_tiers": []})
    # The engine reports bad params as a failing result; we refuse them before they land.
    metric = str(criterion.params.get("metric"))
    facts = replace(_PROBE_FACTS, metric_targets={metric: 1.0}, metric_thresholds={metric: 1.0})
    result = engine.evaluate([criterion], facts, now=_PROBE_NOW).results[0]
    if "misconfigured" in result.reason:
        problems["params"] = result.reason
    elif criterion.kind == engine.METRIC_RULE and "against" not in criterion.params:
        value = criterion.params.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems["params"] = "A metric rule needs a numeric value or against target/threshold."
    return problems


@transaction.atomic
def criteria_version_create(*, gate: Gate, criteria: list, by, note: str = "") -> CriteriaVersion:
    """Write a new version of `gate`'s criteria. Earlier versions and their reviews stay."""
    rules.ensure(rules.can_edit_criteria(by), by, "edit_criteria", f"gate:{gate.pk}")
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError({"criteria": "A gate needs at least one criterion."})
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    cleaned = []
    for index, item in enumerate(criteria):
        for field, problem in criterion_problems(item).items():
            errors.setdefault(f"criteria[{index}].{field}", []).append(problem)
        if isinstance(item, dict):
            if item.get("key") in seen:
                errors.setdefault(f"criteria[{index}].key", []).append("Keys must be unique.")
            seen.add(item.get("key"))
            if not errors:
                cleaned.append(engine.Criterion.from_dict(item).to_dict())
    if errors:
        raise ValidationError(errors)
    note = (note or "").strip()[:500]
    gate = Gate.objects.select_for_update().get(pk=gate.pk)
    previous = gate.versions.order_by("-number").first()
    if previous is not None and previous.criteria == cleaned:
        return previous
    version = CriteriaVersion.objects.create(
        gate=gate,
        number=(previous.number + 1) if previous else 1,
        criteria=cleaned,
        note=note,
        created_by=by,
    )
    old = {c["key"]: c for c in (previous.criteria if previous else [])}
    new = {c["key"]: c for c in cleaned}
    audit_record(
        actor=by,
        action="criteria.version",
        obj=version,
        before={"version": previous.number if previous else None},
        after={
            "gate": str(gate),
            "version": version.number,
            "note": note,
            "added": sorted(set(new) - set(old)),
            "removed": sorted(set(old) - set(new)),
            "changed": sorted(k for k in set(new) & set(old) if new[k] != old[k]),
        },
    )
    return version


@transaction.atomic
def checklist_attach(
    *,
    gate: Gate,
    checklist: str,
    by,
    mode: str = "min_score",
    min_score=None,
    mandatory: bool = True,
) -> CriteriaVersion:
    """Attach a scored checklist to `gate` (a new criteria version), in one of two modes.

    - "min_score": one criterion, the checklist's overall score (lowest section) must reach
      `min_score`; it replaces the checklist's per-item criteria and an earlier minimum.
    - "items": one criterion per item (28 for the ML Test Score); it replaces a minimum.
    """
    rules.ensure(rules.can_edit_criteria(by), by, "edit_criteria", f"gate:{gate.pk}")
    spec = CHECKLISTS.get(checklist)
    if spec is None:
        choices = ", ".join(CHECKLISTS)
        raise ValidationError({"checklist": f"Unknown checklist {checklist!r}; use {choices}."})
    if mode not in ATTACH_MODES:
        raise ValidationError({"mode": f"Mode must be one of {', '.join(ATTACH_MODES)}."})
    items = [c.to_dict() for c in checklist_criteria(checklist, mandatory=mandatory)]
    item_keys = {c["key"] for c in items}
    if mode == "min_score":
        if not spec.scored_in_points:
            raise ValidationError(
                {"mode": f"The {spec.title} has no overall score in points; attach its items."}
            )
        minimum = _min_score(spec, min_score)
        added = [min_score_criterion(checklist, minimum, mandatory=mandatory).to_dict()]
        replaced = item_keys | {min_score_key(checklist)}
        note = f"{spec.title}: minimum score {engine.format_number(minimum)} (lowest section)"
    else:
        added = items
        replaced = item_keys | {min_score_key(checklist)}
        note = f"{spec.title}: each of its {len(items)} items as a criterion"
    current = Gate.objects.select_for_update().get(pk=gate.pk).versions.order_by("-number").first()
    criteria = [c for c in (current.criteria if current else []) if c["key"] not in replaced]
    return criteria_version_create(gate=gate, criteria=criteria + added, by=by, note=note)


def _min_score(spec, value) -> float:
    """A minimum score from a form or a caller, or a ValidationError naming min_score."""
    if value is None or value == "":
        raise ValidationError({"min_score": "Give the minimum score the gate requires."})
    if isinstance(value, Decimal):
        value = float(value)
    elif isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = value.strip()
    try:
        return engine.checklist_min_score(value, score_facts(spec, {}))
    except engine.CriterionError as exc:
        raise ValidationError({"min_score": f"{exc}."}) from exc
