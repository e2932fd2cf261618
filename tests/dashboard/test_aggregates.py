"""Portfolio aggregates: the rebuild, how groups combine, aggregate versus rollup answers,
confidentiality, the beat task, and the risk flags kept on the stored signal.

Numbers are hand-computed on portfolio_facts (conftest.py). Daily rollups yesterday:

| pilot  | group (unit, stage, status, risk, confidential) | hallucination total/count | p95 |
| Alpha  | Claims, discovery, active, low, no              | 0.2 / 4                   | 400 |
| Bravo  | Claims, discovery, active, high, no             | 0.3 / 2                   | 600 |
| Secret | Claims, readiness, stopped, high, yes           | 5.0 / 5                   |     |

Alpha also reports roi_pct 100 and 140 (mean 120) and monthly_run_cost 1,000.
"""

from datetime import timedelta

import pytest

from dashboard import selectors
from dashboard.aggregates import aggregates_rebuild, aggregates_state
from dashboard.filters import DashboardFilters
from dashboard.models import PortfolioAggregateState, PortfolioRealized, PortfolioTrendDay
from dashboard.rebuilds import aggregates_request_rebuild
from tests.dashboard.conftest import add_rollup

pytestmark = pytest.mark.django_db


def summary_for(user, now, **filters):
    return selectors.portfolio_summary(user=user, filters=DashboardFilters(**filters), now=now)


def values(summary, key):
    return [p["value"] for p in summary["reliability"]["series"][key]]


def comparable(summary):
    """The numbers the aggregates feed, without the "as of" stamps."""
    totals = {k: v for k, v in summary["economics"]["totals"].items() if k != "realized_as_of"}
    return summary["reliability"]["series"], totals


def test_rebuild_sums_daily_rollups_per_group(portfolio_facts, frozen_now):
    state = aggregates_rebuild(now=frozen_now)

    assert state.built_at == frozen_now
    day = (frozen_now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = {
        (r.metric_key, r.risk_tier, r.stage, r.confidential): (
            r.day,
            r.pilots,
            r.observations,
            r.total,
            r.p95_sum,
        )
        for r in PortfolioTrendDay.objects.all()
    }
    # Alpha's 90-day-old rollup is outside the window; roi and cost are not trends.
    assert rows == {
        ("hallucination_rate", "low", "discovery", False): (day, 1, 4, 0.2, 0.2 / 4),
        ("hallucination_rate", "high", "discovery", False): (day, 1, 2, 0.3, 0.3 / 2),
        ("hallucination_rate", "high", "readiness", True): (day, 1, 5, 5.0, 1.0),
        ("p95_latency_ms", "low", "discovery", False): (day, 1, 1, 300.0, 400.0),
        ("p95_latency_ms", "high", "discovery", False): (day, 1, 1, 300.0, 600.0),
    }
    realized = {
        (r.metric_key, r.business_unit, r.has_case): (r.pilots, r.mean_sum)
        for r in PortfolioRealized.objects.all()
    }
    assert realized == {
        ("roi_pct", "Claims", True): (1, 120.0),
        ("monthly_run_cost", "Claims", True): (1, 1000.0),
    }


def test_rebuild_replaces_the_previous_rows(portfolio_facts, frozen_now):
    aggregates_rebuild(now=frozen_now)
    aggregates_rebuild(now=frozen_now)
    assert PortfolioTrendDay.objects.count() == 5
    assert PortfolioAggregateState.objects.count() == 1


def test_means_combine_across_groups_by_sums_not_by_averaging_means(
    executive, portfolio_facts, frozen_now
):
    aggregates_rebuild(now=frozen_now)
    summary = summary_for(executive, frozen_now)

    assert summary["aggregates_as_of"] == frozen_now
    # (0.2 + 0.3 + 5.0) / (4 + 2 + 5) = 0.5, not the mean of the means (0.4).
    assert values(summary, "hallucination_rate") == [0.5]
    # Latency is the mean of the pilots' daily p95: (400 + 600) / 2.
    assert values(summary, "p95_latency_ms") == [500.0]
    assert [p["pilots"] for p in summary["reliability"]["series"]["hallucination_rate"]] == [3]
    totals = summary["economics"]["totals"]
    assert totals["realized_roi_mean"] == 120.0
    assert totals["realized_annual_cost"] == 12_000
    assert totals["realized_as_of"] == frozen_now


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"business_unit": "Claims"},
        {"stage": "discovery", "risk_tier": "high"},
        {"status": "stopped"},
        {"business_unit": "Finance"},
    ],
)
def test_aggregates_answer_like_the_rollups(
    filters, executive, outsider, owner, portfolio_facts, frozen_now
):
    for user in (executive, outsider, owner):
        from_rollups = summary_for(user, frozen_now, **filters)
        assert from_rollups["aggregates_as_of"] is None
        aggregates_rebuild(now=frozen_now)
        from_aggregates = summary_for(user, frozen_now, **filters)
        assert from_aggregates["aggregates_as_of"] == frozen_now
        assert comparable(from_aggregates) == comparable(from_rollups), (user, filters)
        PortfolioAggregateState.objects.all().delete()


@pytest.mark.parametrize(
    "filters", [{"owner": "owner"}, {"signal": "hold"}, {"age": "31-90"}, {"flag": "alerts"}]
)
def test_pilot_level_filters_are_answered_from_rollups(
    filters, executive, owner, portfolio_facts, frozen_now
):
    if filters.get("owner"):
        filters = {"owner": owner.pk}
    aggregates_rebuild(now=frozen_now)
    # A rollup stored after the rebuild: only a view read from rollups sees it.
    add_rollup(portfolio_facts["bravo"], "uptime_pct", frozen_now - timedelta(days=1), total=99)

    summary = summary_for(executive, frozen_now, **filters)

    assert summary["aggregates_as_of"] is None
    assert values(summary, "uptime_pct") == [99.0]
    assert values(summary_for(executive, frozen_now), "uptime_pct") == []


def test_only_those_who_see_every_pilot_read_whole_aggregates(
    executive, governance_lead, admin_user, owner, outsider
):
    from accounts import rules

    assert all(rules.sees_whole_aggregates(u) for u in (executive, governance_lead, admin_user))
    assert not any(rules.sees_whole_aggregates(u) for u in (owner, outsider))


def test_outsider_aggregates_leave_out_confidential_pilots(outsider, portfolio_facts, frozen_now):
    aggregates_rebuild(now=frozen_now)
    summary = summary_for(outsider, frozen_now)
    # Secret's 5.0 / 5 stays out: 0.5 / 6.
    assert values(summary, "hallucination_rate") == [round(0.5 / 6, 4)]
    assert [p["pilots"] for p in summary["reliability"]["series"]["hallucination_rate"]] == [2]
    # Filtered to Secret's own group, nothing is left.
    assert values(summary_for(outsider, frozen_now, status="stopped"), "hallucination_rate") == []


def test_a_pilot_made_confidential_leaves_outsiders_numbers_before_the_next_rebuild(
    owner,
    outsider,
    executive,
    portfolio_facts,
    frozen_now,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from dashboard import tasks
    from portfolio.services import pilot_update

    queued = []
    monkeypatch.setattr(tasks.rebuild_aggregates, "apply_async", lambda **kw: queued.append(kw))
    aggregates_rebuild(now=frozen_now - timedelta(minutes=1))
    assert values(summary_for(outsider, frozen_now), "hallucination_rate") == [round(0.5 / 6, 4)]

    with django_capture_on_commit_callbacks(execute=True):
        pilot_update(pilot=portfolio_facts["alpha"], by=owner, confidential=True)

    # Alpha's 0.2 / 4 still sits in a non-confidential group: outsiders are answered from
    # rollups until a rebuild has run, which the change queued; the executive is not.
    outsider_view = summary_for(outsider, frozen_now)
    assert outsider_view["aggregates_as_of"] is None
    assert values(outsider_view, "hallucination_rate") == [0.15]  # Bravo's 0.3 / 2 alone
    assert summary_for(executive, frozen_now)["aggregates_as_of"] is not None
    assert queued
    aggregates_rebuild()
    rebuilt = summary_for(outsider, frozen_now)
    assert rebuilt["aggregates_as_of"] is not None
    assert values(rebuilt, "hallucination_rate") == [0.15]


def test_a_role_holder_sees_their_confidential_pilot_in_the_aggregates(
    owner, portfolio_facts, frozen_now
):
    # The owner holds a role on Secret but does not see every pilot: the groups without
    # confidential pilots, plus Secret read from its own rollups.
    aggregates_rebuild(now=frozen_now)
    summary = summary_for(owner, frozen_now)
    assert summary["aggregates_as_of"] == frozen_now
    assert values(summary, "hallucination_rate") == [0.5]
    secret_only = summary_for(owner, frozen_now, status="stopped")
    assert values(secret_only, "hallucination_rate") == [1.0]


def test_dashboard_page_says_as_of_when_read_from_aggregates(
    client_for, executive, portfolio_facts, frozen_now
):
    client = client_for(executive)
    assert "computed now from each pilot" in client.get("/portfolio/").content.decode()
    aggregates_rebuild(now=frozen_now)
    html = client.get("/portfolio/").content.decode()
    assert f"as of {frozen_now:%Y-%m-%d %H:%M} UTC" in html
    owner_view = client.get("/portfolio/", {"signal": "hold"}).content.decode()
    assert "computed now from each pilot" in owner_view


# --- the beat task and rebuild requests ---------------------------------------------------


def test_beat_schedules_the_rebuild_task(settings):
    from config.celery import app

    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "portfolio.rebuild_aggregates" in entries
    app.loader.import_default_modules()
    assert "portfolio.rebuild_aggregates" in app.tasks


def test_rebuild_task_builds_the_aggregates_and_clears_a_request(portfolio_facts):
    from dashboard.tasks import rebuild_aggregates

    assert aggregates_state() is None
    rebuild_aggregates.apply().get()
    state = aggregates_state()
    assert state is not None and PortfolioTrendDay.objects.count() == 5

    assert aggregates_request_rebuild() is True
    assert aggregates_request_rebuild() is False  # one task per burst of ingest batches
    rebuild_aggregates.apply().get()
    assert aggregates_state().rebuild_requested_at is None
    assert aggregates_request_rebuild() is True


def test_ingest_asks_for_a_rebuild_once_built(
    portfolio_facts, django_capture_on_commit_callbacks, monkeypatch
):
    from django.utils import timezone

    from dashboard import tasks
    from metrics.models import MetricDefinition
    from metrics.services import snapshots_process

    queued = []
    monkeypatch.setattr(tasks.rebuild_aggregates, "apply_async", lambda **kw: queued.append(kw))
    aggregates_rebuild()
    alpha = portfolio_facts["alpha"]
    metric = MetricDefinition.objects.get(key="uptime_pct")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_process(spans=[(alpha.pk, metric.pk, now, now)])
    assert aggregates_state().rebuild_requested_at is not None
    assert len(queued) == 1


# --- stage and status changes ask for a rebuild --------------------------------------------


@pytest.fixture
def queued_rebuilds(monkeypatch):
    """The rebuild tasks queued (their apply_async keyword arguments), none of them run."""
    from dashboard import tasks

    queued = []
    monkeypatch.setattr(tasks.rebuild_aggregates, "apply_async", lambda **kw: queued.append(kw))
    return queued


@pytest.fixture
def open_gates(db):
    """An empty criteria version on every gate, so any review may be requested."""
    from gates.models import CriteriaVersion, Gate

    for gate in Gate.objects.all():
        CriteriaVersion.objects.create(
            gate=gate, number=gate.versions.count() + 1, criteria=[], note="test"
        )


def trend_groups():
    """(stage, status, risk tier) of each hallucination-rate group in the aggregates."""
    rows = PortfolioTrendDay.objects.filter(metric_key="hallucination_rate")
    return sorted((r.stage, r.status, r.risk_tier) for r in rows)


def transitions_of(pilot):
    from accounts.models import AuditEvent

    return list(
        AuditEvent.objects.filter(action="pilot.transition", pilot_id=pilot.pk).values_list(
            "before", "after"
        )
    )


def test_an_approved_gate_asks_for_a_rebuild_that_regroups_the_pilot(
    owner,
    governance_lead,
    portfolio_facts,
    open_gates,
    queued_rebuilds,
    django_capture_on_commit_callbacks,
):
    from dashboard.tasks import rebuild_aggregates
    from gates import services

    alpha = portfolio_facts["alpha"]
    aggregates_rebuild()
    review = services.review_request(pilot=alpha, to_stage="pilot", by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, decision="approve", by=governance_lead)

    assert aggregates_state().rebuild_requested_at is not None
    assert len(queued_rebuilds) == 1
    [(before, after)] = transitions_of(alpha)
    assert (before["stage"], after["stage"]) == ("discovery", "pilot")
    # Until the queued rebuild runs, Alpha's numbers sit in its old group...
    assert ("discovery", "active", "low") in trend_groups()
    rebuild_aggregates.apply().get()
    # ...and after it, in its new one.
    assert trend_groups() == [
        ("discovery", "active", "high"),
        ("pilot", "active", "low"),
        ("readiness", "stopped", "high"),
    ]
    assert aggregates_state().rebuild_requested_at is None


def _decide(decision, **extra):
    def move(pilots, actors):
        from gates import services

        review = services.review_request(
            pilot=pilots["delta"], to_stage="readiness", by=actors["technical_owner"]
        )
        services.review_decide(
            review=review, decision=decision, by=actors["governance_lead"], rationale="Why", **extra
        )
        return pilots["delta"]

    return move


def _resume(pilots, actors):
    from gates import services

    return services.pilot_resume(
        pilot=pilots["charlie"], by=actors["governance_lead"], reason="Hardened"
    )


def _admin_moves(pilots, actors):
    from gates.services import pilot_transition

    return pilot_transition(pilot=pilots["bravo"], by=actors["admin_user"], to_stage="pilot")


@pytest.mark.parametrize(
    ("move", "stage", "status"),
    [
        (_decide("hold"), "pilot", "on_hold"),
        (_decide("stop"), "pilot", "stopped"),
        (_decide("redesign", scope_note="Smaller"), "discovery", "active"),
        (_resume, "pilot", "active"),
        (_admin_moves, "pilot", "active"),
    ],
    ids=["hold", "stop", "redesign", "resume", "admin-transition"],
)
def test_every_stage_or_status_change_asks_for_one_rebuild(
    move,
    stage,
    status,
    request,
    portfolio_facts,
    open_gates,
    queued_rebuilds,
    django_capture_on_commit_callbacks,
):
    actors = {
        name: request.getfixturevalue(name)
        for name in ("technical_owner", "governance_lead", "admin_user")
    }
    aggregates_rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        moved = move(portfolio_facts, actors)

    moved.refresh_from_db()
    assert (moved.stage, moved.status) == (stage, status)
    assert len(transitions_of(moved)) == 1
    assert aggregates_state().rebuild_requested_at is not None
    assert len(queued_rebuilds) == 1


def test_a_burst_of_moves_queues_one_rebuild(
    admin_user, portfolio_facts, queued_rebuilds, django_capture_on_commit_callbacks
):
    from gates.services import pilot_transition

    aggregates_rebuild()
    for name in ("alpha", "bravo", "delta"):
        with django_capture_on_commit_callbacks(execute=True):
            pilot_transition(pilot=portfolio_facts[name], by=admin_user, to_status="on_hold")
    assert len(queued_rebuilds) == 1


def test_a_move_still_succeeds_when_the_broker_is_down(
    admin_user, portfolio_facts, monkeypatch, django_capture_on_commit_callbacks
):
    from dashboard import tasks
    from gates.services import pilot_transition

    def unreachable(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.rebuild_aggregates, "apply_async", unreachable)
    aggregates_rebuild()
    bravo = portfolio_facts["bravo"]
    with django_capture_on_commit_callbacks(execute=True):
        moved = pilot_transition(pilot=bravo, by=admin_user, to_status="on_hold")

    assert moved.status == "on_hold" and len(transitions_of(bravo)) == 1
    # The request stays pending: the beat task's rebuild clears it.
    assert aggregates_state().rebuild_requested_at is not None


def test_a_rejected_gate_moves_nothing_and_asks_for_nothing(
    owner,
    governance_lead,
    portfolio_facts,
    open_gates,
    queued_rebuilds,
    django_capture_on_commit_callbacks,
):
    from gates import services

    alpha = portfolio_facts["alpha"]
    aggregates_rebuild()
    review = services.review_request(pilot=alpha, to_stage="pilot", by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, decision="reject", by=governance_lead, rationale="No")
    assert transitions_of(alpha) == []
    assert aggregates_state().rebuild_requested_at is None
    assert queued_rebuilds == []


def test_refused_or_stale_moves_ask_for_no_rebuild(
    owner,
    outsider,
    technical_owner,
    admin_user,
    portfolio_facts,
    queued_rebuilds,
    django_capture_on_commit_callbacks,
):
    from django.core.exceptions import PermissionDenied

    from config.errors import Conflict
    from gates import services
    from portfolio.models import Pilot

    bravo, charlie = portfolio_facts["bravo"], portfolio_facts["charlie"]
    aggregates_rebuild()
    stale = Pilot.objects.get(pk=bravo.pk)
    services.pilot_transition(pilot=bravo, by=admin_user, to_status="on_hold")
    queued_rebuilds.clear()
    PortfolioAggregateState.objects.update(rebuild_requested_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PermissionDenied):  # only admins move a pilot outside a gate
            services.pilot_transition(pilot=bravo, by=owner, to_status="active")
        with pytest.raises(PermissionDenied):  # a role holder on the pilot may not resume it
            services.pilot_resume(pilot=charlie, by=technical_owner, reason="Please")
        with pytest.raises(PermissionDenied):
            services.pilot_resume(pilot=charlie, by=outsider, reason="Please")
        with pytest.raises(Conflict):  # from a copy read before the hold
            services.pilot_transition(pilot=stale, by=admin_user, to_stage="pilot")

    assert len(transitions_of(bravo)) == 1 and transitions_of(charlie) == []
    assert aggregates_state().rebuild_requested_at is None
    assert queued_rebuilds == []


# --- risk flags on the stored signal ------------------------------------------------------


def test_signal_refresh_stores_open_alerts_and_degraded_sources(pilot):
    from metrics import signal_refresh as signals
    from metrics.models import MetricSource, PilotSignal
    from tests.dashboard.conftest import add_alert

    add_alert(pilot, "hallucination_rate", "monitor")
    add_alert(pilot, "uptime_pct", "monitor", status="resolved")
    MetricSource.objects.create(pilot=pilot, kind="http_json", name="A", status="degraded")
    MetricSource.objects.create(pilot=pilot, kind="http_json", name="B", status="ok")
    signals.refresh([pilot.pk])
    stored = PilotSignal.objects.get(pilot=pilot)
    assert (stored.open_alerts, stored.degraded_sources) == (1, 1)


def test_a_source_turning_degraded_or_healthy_refreshes_the_signal(
    pilot, settings, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from metrics.models import MetricSource, PilotSignal, PullRun
    from metrics.pulls import run as pull

    settings.PILOTGATE_SOURCE_DEGRADED_AFTER = 1
    source = MetricSource.objects.create(pilot=pilot, kind="http_json", name="A", status="ok")
    run = PullRun.objects.create(source=source, trigger="test", started_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        pull._finish_failed(source, run, "unreachable", False, True, "")
    assert PilotSignal.objects.get(pilot=pilot).degraded_sources == 1
    source.refresh_from_db()
    run = PullRun.objects.create(source=source, trigger="test", started_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        pull._finish_ok(source, run, timezone.now(), "", {}, [])
    assert PilotSignal.objects.get(pilot=pilot).degraded_sources == 0


def test_at_risk_flags_follow_the_stored_signal(executive, portfolio_facts, frozen_now):
    from metrics.models import PilotSignal

    PilotSignal.objects.filter(pilot=portfolio_facts["alpha"]).update(degraded_sources=2)
    at_risk = summary_for(executive, frozen_now)["at_risk"]
    assert at_risk["counts"]["degraded"] == 1
    alpha = next(p for p in at_risk["pilots"] if p["name"] == "Alpha")
    assert alpha["degraded_sources"] == 2


# --- a strategy workbook that gains or loses an economic case asks for a rebuild -----------


@pytest.mark.parametrize(
    ("phase", "data", "asks"),
    [
        ("strategy", {"one_time_build_cost": "2500"}, True),
        ("strategy", {"annual_volume": ""}, True),
        ("strategy", {"business_problem": "A sharper problem."}, False),
        ("strategy", {"one_time_build_cost": "not a number"}, False),
    ],
    ids=["case field set", "case field cleared", "other field", "invalid value"],
)
def test_a_strategy_save_that_touches_the_case_asks_for_a_rebuild(
    phase, data, asks, portfolio_facts, queued_rebuilds, django_capture_on_commit_callbacks
):
    from accounts.models import AuditEvent
    from portfolio.workbooks.services import workbook_save

    delta = portfolio_facts["delta"]  # its case: benefit, volume and cost per transaction
    owner = delta.roles.get(role="business_owner").user
    aggregates_rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        result = workbook_save(pilot=delta, phase=phase, by=owner, data=data)

    assert bool(result.after) is not bool(result.errors)
    assert AuditEvent.objects.filter(action="workbook.update", pilot_id=delta.pk).exists() is bool(
        result.after
    )
    assert (aggregates_state().rebuild_requested_at is not None) is asks
    assert len(queued_rebuilds) == (1 if asks else 0)


def test_an_api_replace_of_the_strategy_case_asks_for_a_rebuild(
    portfolio_facts, queued_rebuilds, django_capture_on_commit_callbacks
):
    from portfolio.workbooks.services import workbook_replace

    delta = portfolio_facts["delta"]
    owner = delta.roles.get(role="business_owner").user
    aggregates_rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        result = workbook_replace(
            pilot=delta, phase="strategy", by=owner, data={"kpi": "Handle time"}, partial=True
        )
    assert result.after and aggregates_state().rebuild_requested_at is None
    with django_capture_on_commit_callbacks(execute=True):
        result = workbook_replace(
            pilot=delta, phase="strategy", by=owner, data={"annual_volume": None}, partial=True
        )
    assert "annual_volume" in result.after
    assert aggregates_state().rebuild_requested_at is not None
    assert len(queued_rebuilds) == 1
