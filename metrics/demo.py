"""Demo metric history: about 90 days for the demo pilots past discovery.

Each pilot gets a profile so that every signal shows up: healthy (scale carefully),
reliability trouble (hold and harden), expensive (redesign), weak value with a high
burden (stop), drifting latency, and one whose stop condition's date has passed
(stop recommended). Values are set relative to the pilot's own workbook expectations,
so a healthy pilot meets its targets and a breaching one crosses its triggers.

Idempotent: nothing is added when demo snapshots exist already. Points every 12 hours
keep the whole load at tens of thousands of rows (a few seconds on SQLite).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from metrics import pulls_demo, rollups, signal_refresh, thresholds
from metrics.models import Alert, AlertStatus, MetricDefinition, MetricRollup, Snapshot
from metrics.services import drift_compute, snapshots_ingest
from portfolio import events
from portfolio.workbooks.models import MonitoredMetric, StopCondition
from portfolio.workbooks.selectors import economic_case_for

DEMO_SOURCE = "demo:history"
DAYS = 90
STEP = timedelta(hours=12)

# metric key -> (good value, bad value, noise as a standard deviation)
BASELINE: dict[str, tuple[float, float, float]] = {
    "error_rate": (1.0, 8.5, 0.15),
    "hallucination_rate": (1.4, 9.5, 0.2),
    "p95_latency_ms": (950.0, 3400.0, 35.0),
    "uptime_pct": (99.8, 97.2, 0.05),
    "tool_call_success_rate": (98.6, 86.0, 0.3),
    "adoption_rate": (71.0, 12.0, 1.5),
    "outcome_quality": (86.0, 61.0, 1.0),
    "bypass_rate": (6.0, 38.0, 0.8),
    "cost_per_transaction": (0.07, 0.95, 0.004),
}
RELIABILITY = {
    "error_rate",
    "hallucination_rate",
    "p95_latency_ms",
    "uptime_pct",
    "tool_call_success_rate",
}
VALUE = {"adoption_rate", "outcome_quality", "bypass_rate"}
COST = {"cost_per_transaction"}
# The most a cost per transaction may be before the economics of a demo pilot fail.
DEMO_COST_LIMIT = 0.5

PROFILES = ("healthy", "hold", "drifting", "stop", "healthy", "redesign", "stop_recommended")

# Realized economics per profile, against the pilot's own economic case: (run cost, benefit)
# as a share of the plan. A redesign pilot costs far more than planned; a stopping one
# earns little of what it promised.
ECONOMICS_SOURCE = "demo:economics"
ECONOMICS: dict[str, tuple[float, float]] = {
    "healthy": (0.92, 1.06),
    "hold": (1.12, 0.82),
    "drifting": (1.02, 0.97),
    "stop": (1.35, 0.28),
    "redesign": (1.9, 0.74),
    "stop_recommended": (1.15, 0.42),
}


def _bad_metrics(profile: str) -> set[str]:
    return {
        "hold": RELIABILITY,
        "stop": RELIABILITY | VALUE,
        "stop_recommended": VALUE | {"hallucination_rate"},
        "redesign": COST,
    }.get(profile, set())


def _fit(value: float, expectations: list, good: bool) -> float:
    """Move `value` to the right side of each expectation of the metric."""
    for e in expectations:
        limit = float(e.value)
        scale = abs(limit) or 1.0
        meets = thresholds.OPS[e.op](value, limit)
        if e.kind == "target":
            if good and not meets:
                value = limit + (0.08 * scale if e.op.startswith(">") else -0.08 * scale)
            elif not good and meets:
                value = limit + (-0.25 * scale if e.op.startswith(">") else 0.25 * scale)
        else:  # breach conditions: stop, rollback, monitor
            if good and meets:
                value = limit + (-0.2 * scale if e.op.startswith(">") else 0.005 * scale)
            elif not good and not meets:
                value = limit + (0.3 * scale if e.op.startswith(">") else -0.02 * scale)
    return value


def _clamp(value: float, metric: MetricDefinition) -> float:
    if metric.min_value is not None:
        value = max(value, metric.min_value)
    if metric.max_value is not None:
        value = min(value, metric.max_value)
    return value


def _series(
    rng: random.Random, good: float, bad: float, noise: float, profile: str, key: str, n: int
) -> Callable[[int], float]:
    """Value at step i (0 = oldest). Bad metrics slide from good to bad over the last 3 weeks."""
    per_day = int(timedelta(days=1) / STEP)
    turn = n - 21 * per_day
    bad_here = key in _bad_metrics(profile)
    drift_from = n - 7 * per_day

    def at(i: int) -> float:
        daily = math.sin(i * 2 * math.pi * STEP.total_seconds() / 86400) * noise  # day/night
        jitter = rng.gauss(0, noise)
        base = good
        if bad_here and i >= turn:
            share = min(1.0, (i - turn) / (n - turn) * 1.6)
            base = good + (bad - good) * share
        if profile == "drifting" and key == "p95_latency_ms" and i >= drift_from:
            base = good * 1.15
        return base + daily + jitter

    return at


def _live(context: dict) -> list:
    """The demo pilots that run: past discovery and not stopped."""
    return [
        p
        for p in context["pilots"]
        if p.stage in ("pilot", "readiness", "scale") and p.status != "stopped"
    ]


@transaction.atomic
def seed(context: dict) -> None:
    _seed_sources(context)
    _seed_economics(context)
    if Snapshot.objects.filter(source=DEMO_SOURCE).exists():
        return
    pilots = _live(context)
    if not pilots:
        return
    rng = random.Random(90210)  # fixed: the same demo every time
    catalog = {m.key: m for m in MetricDefinition.objects.filter(key__in=BASELINE)}
    expectations = thresholds.expectations_for([p.pk for p in pilots])
    by_pilot: dict[tuple[int, str], list] = {}
    for e in expectations:
        by_pilot.setdefault((int(e.pilot_id), e.metric_key), []).append(e)

    now = timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0, hour=now.hour - now.hour % 12)
    start = end - timedelta(days=DAYS)
    n = int((end - start) / STEP) + 1
    profiles: dict[int, str] = {}
    rows: list[dict] = []
    for index, pilot in enumerate(pilots):
        profile = PROFILES[index % len(PROFILES)]
        profiles[pilot.pk] = profile
        for key, (good, bad, noise) in BASELINE.items():
            metric = catalog[key]
            wanted = by_pilot.get((pilot.pk, key), [])
            good_v = _fit(good, wanted, good=True)
            bad_v = _fit(bad, wanted, good=False)
            value_at = _series(rng, good_v, bad_v, noise, profile, key, n)
            for i in range(n):
                rows.append(
                    {
                        "pilot": pilot.pk,
                        "metric": key,
                        "observed_at": start + STEP * i,
                        "value": round(_clamp(value_at(i), metric), 4),
                    }
                )
    for i in range(0, len(rows), 10_000):
        snapshots_ingest(rows=rows[i : i + 10_000], source=DEMO_SOURCE, process=False)

    _past_incidents(pilots, catalog, now, rng)
    # A stop condition whose date has passed, so the stop recommendation appears, and a
    # cost ceiling for the expensive pilots, so their economics visibly fail.
    _expire_stop_conditions([p.pk for p in pilots if profiles[p.pk] == "stop_recommended"])
    _watch_costs([p.pk for p in pilots if profiles[p.pk] == "redesign"], catalog)

    ids = [p.pk for p in pilots]
    spans = [(pid, m.pk, start - timedelta(days=60), end) for pid in ids for m in catalog.values()]
    rollups.refresh(spans)
    for pilot_id in ids:
        drift_compute(pilot_id=pilot_id, process=False)
    extra = MetricDefinition.objects.filter(key__in=["drift_score", "rollback_mttr_minutes"])
    rollups.refresh([(pid, m.pk, start - timedelta(days=60), now) for pid in ids for m in extra])
    thresholds.check(ids)
    # Every pilot shows a signal, including those without metrics (insufficient data).
    signal_refresh.refresh([p.pk for p in context["pilots"]])


def _past_incidents(pilots, catalog, now, rng: random.Random) -> None:
    """A few resolved alerts in the past per pilot, with their recovery times."""
    mttr_rows = []
    for pilot in pilots[::2]:
        for k in range(rng.randint(1, 3)):
            opened = now - timedelta(days=rng.randint(15, 80), hours=rng.randint(0, 23))
            minutes = rng.randint(12, 240)
            resolved = opened + timedelta(minutes=minutes)
            Alert.objects.create(
                pilot=pilot,
                metric=catalog["error_rate"],
                kind="rollback",
                op=">",
                threshold=5,
                observed_value=round(5.5 + rng.random() * 3, 2),
                observed_at=opened,
                action="disable_ai",
                status=AlertStatus.RESOLVED,
                opened_at=opened,
                acknowledged_at=opened + timedelta(minutes=min(5 + k, minutes)),
                resolved_at=resolved,
                resolution_note="Rolled back to the previous prompt version.",
            )
            mttr_rows.append(
                {
                    "pilot": pilot.pk,
                    "metric": "rollback_mttr_minutes",
                    "observed_at": resolved,
                    "value": minutes,
                }
            )
    snapshots_ingest(rows=mttr_rows, source="pilotgate:incidents", process=False)


def _expire_stop_conditions(pilot_ids: list[int]) -> None:
    StopCondition.objects.filter(pilot_id__in=pilot_ids).update(
        by_date=timezone.localdate() - timedelta(days=3)
    )


def _watch_costs(pilot_ids: list[int], catalog) -> None:
    for pilot_id in pilot_ids:
        MonitoredMetric.objects.get_or_create(
            pilot_id=pilot_id,
            metric=catalog["cost_per_transaction"],
            defaults={"source": "Billing export", "threshold": DEMO_COST_LIMIT},
        )


def _seed_sources(context: dict) -> None:
    """The metric sources demo (one healthy, one degraded); idempotent on its own."""
    pulls_demo.seed(context)


def _seed_economics(context: dict) -> None:
    """Daily realized economics for 90 days for every live pilot with an economic case:
    `monthly_run_cost` and `realized_benefit` (per month, in the installation's currency)
    and the first-year `roi_pct` they give, computed as the economic case computes the
    planned one, so the dashboard's planned-versus-realized figures and charts have data.
    Idempotent on its own (its own source), so an older demo database gains it too."""
    if Snapshot.objects.filter(source=ECONOMICS_SOURCE).exists():
        return

    pilots = _live(context)
    if not pilots:
        return
    rng = random.Random(4217)  # fixed: the same demo every time
    now = timezone.now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [end - timedelta(days=d) for d in range(DAYS, -1, -1)]
    rows: list[dict] = []
    for index, pilot in enumerate(pilots):
        case = economic_case_for(pilot)
        monthly_cost, monthly_benefit = (
            float(case.total_annual_cost) / 12,
            float(case.expected_annual_benefit) / 12,
        )
        if monthly_cost <= 0 and monthly_benefit <= 0:
            continue
        build = float(case.one_time_build_cost)
        cost_share, benefit_share = ECONOMICS[PROFILES[index % len(PROFILES)]]
        for i, day in enumerate(days):
            # Early weeks ramp up towards the profile's level; a little noise every day.
            ramp = min(1.0, 0.6 + i / 60)
            cost = monthly_cost * cost_share * (1 + rng.gauss(0, 0.03))
            benefit = monthly_benefit * benefit_share * ramp * (1 + rng.gauss(0, 0.05))
            spent = build + 12 * cost
            roi = (12 * benefit - 12 * cost - build) / spent * 100 if spent else 0.0
            for key, value in (
                ("monthly_run_cost", cost),
                ("realized_benefit", benefit),
                ("roi_pct", roi),
            ):
                rows.append(
                    {"pilot": pilot.pk, "metric": key, "observed_at": day, "value": round(value, 2)}
                )
    if not rows:
        return
    snapshots_ingest(rows=rows, source=ECONOMICS_SOURCE, process=False)
    metrics = MetricDefinition.objects.filter(
        key__in=["monthly_run_cost", "realized_benefit", "roi_pct"]
    )
    ids = sorted({row["pilot"] for row in rows})
    rollups.refresh([(pid, m.pk, days[0], now) for pid in ids for m in metrics])
    events.aggregates_stale.send(sender=MetricRollup, immediate=True)
