"""Evaluate the criteria of a gate against a pilot's facts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gates.engine.checks import CHECKS
from gates.engine.criteria import Criterion, CriterionError
from gates.engine.facts import PilotFacts, Waiver
from gates.engine.results import Evaluation, Result
from gates.engine.vocabulary import FAIL, PASS


def evaluate(
    criteria: Sequence[Criterion],
    facts: PilotFacts,
    *,
    now: datetime,
    waivers: Sequence[Waiver] = (),
) -> Evaluation:
    """Evaluate every criterion that applies to the pilot's risk tier, in order.

    A waiver covers a result that does not pass only while `now < expires_at` and it is
    not revoked (`revoked_at` unset or later than `now`), and never a criterion that says it
    is not waivable.
    """
    waived_keys = {w.criterion_key for w in waivers if w.active_at(now)}
    results = []
    for criterion in criteria:
        if not criterion.applies_to(facts.risk_tier):
            continue
        status, reason = _evaluate_one(criterion, facts, now)
        results.append(
            Result(
                criterion_key=criterion.key,
                label=criterion.label,
                status=status,
                reason=reason,
                mandatory=criterion.mandatory,
                waived=status != PASS and criterion.key in waived_keys and criterion.waivable,
            )
        )
    return Evaluation(results=tuple(results))


def _evaluate_one(criterion: Criterion, facts: PilotFacts, now: datetime) -> tuple[str, str]:
    check = CHECKS.get(criterion.kind)
    if check is None:
        return FAIL, f"Unknown criterion kind {criterion.kind!r}; ask a governance lead to fix it"
    try:
        return check(criterion.key, criterion.params, facts, now)
    except (CriterionError, KeyError, TypeError, ValueError) as exc:
        detail = f"missing parameter {exc}" if isinstance(exc, KeyError) else str(exc)
        return FAIL, f"Criterion {criterion.key!r} is misconfigured: {detail}"
