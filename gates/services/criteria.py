"""Editing gate criteria: every change writes a new, immutable criteria version."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record
from gates import engine
from gates.checklists import CHECKLISTS, checklist_criteria
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
)


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


def checklist_attach(*, gate: Gate, checklist: str, by, mandatory: bool = False) -> CriteriaVersion:
    """Add a scored checklist's items to `gate` as criteria (a new version)."""
    rules.ensure(rules.can_edit_criteria(by), by, "edit_criteria", f"gate:{gate.pk}")
    if checklist not in CHECKLISTS:
        raise ValidationError({"checklist": f"Unknown checklist {checklist!r}."})
    current = gate.versions.order_by("-number").first()
    criteria = list(current.criteria) if current else []
    present = {c["key"] for c in criteria}
    added = [c.to_dict() for c in checklist_criteria(checklist, mandatory=mandatory)]
    criteria += [c for c in added if c["key"] not in present]
    return criteria_version_create(
        gate=gate, criteria=criteria, by=by, note=f"Attached {CHECKLISTS[checklist].title}"
    )
