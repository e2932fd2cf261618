"""Obligation coverage: which applicable obligations a pilot's evidence already meets.

Coverage is judged as the last gate would judge it (every obligation due), by the same engine
and with the same waivers as a gate evaluation, so the overview never disagrees with a review.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse

from gates import engine
from gates.collect import pilot_facts
from gates.selectors import active_waivers
from regulation import selectors
from regulation.criteria import evidence_label, obligation_criterion
from regulation.models import EvidenceKind, Obligation, Profile

LAST_GATE = engine.STAGES[-1]


@dataclass(frozen=True)
class Row:
    obligation: Obligation
    evidence: str
    result: engine.Result
    url: str = ""

    @property
    def met(self) -> bool:
        return self.result.status == engine.PASS or self.result.waived


def evidence_url(o: Obligation, pilot_id: int) -> str:
    """Where the owner fills the evidence in ('' for an obligation checked by hand)."""
    if o.evidence_kind in (EvidenceKind.WORKBOOK_FIELD, EvidenceKind.WORKBOOK_LIST):
        return reverse("portfolio:workbook", args=[pilot_id, o.evidence_source])
    if o.evidence_kind == EvidenceKind.CHECKLIST_ITEM:
        return reverse("gates:checklist", args=[pilot_id, o.evidence_source])
    return ""


@dataclass
class Coverage:
    pilot: object
    profile: Profile | None
    rows: list[Row] = field(default_factory=list)
    catalogue_version: int | None = None

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.met)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.total) if self.total else None


def pilot_coverage(
    pilot, *, profile: Profile | None, obligations: list[Obligation], now: datetime
) -> Coverage:
    applicable = selectors.profile_obligations(profile, obligations)
    if not applicable:
        return Coverage(pilot=pilot, profile=profile)
    today = now.date()
    criteria = [obligation_criterion(o, to_stage=LAST_GATE, today=today) for o in applicable]
    facts = pilot_facts(pilot, now=now, criteria=criteria)
    waivers = [w.as_engine() for w in active_waivers(pilot=pilot, now=now)]
    evaluation = engine.evaluate(criteria, facts, now=now, waivers=waivers)
    rows = [
        Row(obligation=o, evidence=evidence_label(o), result=r, url=evidence_url(o, pilot.pk))
        for o, r in zip(applicable, evaluation.results, strict=True)
    ]
    return Coverage(pilot=pilot, profile=profile, rows=rows)


def latest_profiles(pilot_ids) -> dict[int, Profile]:
    """pilot id -> its newest profile version, in one query."""
    found: dict[int, Profile] = {}
    queryset = Profile.objects.filter(pilot_id__in=list(pilot_ids)).order_by("pilot_id", "-version")
    for profile in queryset.select_related("confirmed_by"):
        found.setdefault(profile.pilot_id, profile)
    return found


def by_unit(coverages: list[Coverage]) -> list[dict]:
    """Per business unit: pilots profiled, high-risk ones, obligations met of applicable."""
    units: dict[str, dict] = defaultdict(
        lambda: {"pilots": 0, "profiled": 0, "high_risk": 0, "met": 0, "total": 0}
    )
    for c in coverages:
        unit = units[c.pilot.business_unit]
        unit["pilots"] += 1
        if c.profile is not None:
            unit["profiled"] += 1
            unit["high_risk"] += c.profile.classification == "high_risk"
        unit["met"] += c.met
        unit["total"] += c.total
    return [
        {
            "name": name,
            **u,
            "percent": round(100 * u["met"] / u["total"]) if u["total"] else None,
        }
        for name, u in sorted(units.items())
    ]
