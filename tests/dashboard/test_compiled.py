"""dashboard.compiled: a query shape compiled once, its values bound per call.

Every test compares against the queryset itself, compiled the ordinary way, on the same
data; the suite runs on SQLite and on PostgreSQL, which bind times differently."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import selectors
from dashboard.compiled import CompiledQuery
from dashboard.filters import parse_filters
from portfolio.models import Pilot
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def _counts(shape, values):
    now = values["now"]
    pilots = Pilot.objects.filter(business_unit=values["unit"])
    if shape == "old only":
        pilots = pilots.filter(stage_entered_at__lte=now - timedelta(days=30))
    return (
        pilots.values("stage")
        .annotate(
            n=Count("id"),
            older=Count("id", filter=Q(stage_entered_at__lt=now - timedelta(days=90))),
        )
        .order_by("stage")
    )


@pytest.fixture
def pilots():
    now = timezone.now()
    made = []
    for i, (unit, stage, days) in enumerate(
        [
            ("Claims", "discovery", 5),
            ("Claims", "discovery", 45),
            ("Claims", "pilot", 120),
            ("Finance", "pilot", 10),
            ("Finance", "scale", 400),
            ("Finance", "discovery", 95),
        ]
    ):
        made.append(
            PilotFactory(
                name=f"P{i}",
                business_unit=unit,
                stage=stage,
                stage_entered_at=now - timedelta(days=days),
            )
        )
    return made


@pytest.mark.parametrize("shape", ["all", "old only"])
def test_each_call_binds_its_own_values_to_the_shape_compiled_once(pilots, shape):
    built = []

    def build(shape, values):
        built.append(shape)
        return _counts(shape, values)

    query = CompiledQuery(build)
    now = timezone.now()
    for unit, moment in [
        ("Claims", now),
        ("Finance", now),
        ("Claims", now - timedelta(days=60)),
        ("Nowhere", now),
    ]:
        values = {"unit": unit, "now": moment}
        assert query.dicts(shape, values) == list(_counts(shape, values)), (unit, moment)
    # Compiled on stand-in values and once more on real ones to check them; never again.
    assert built == [shape, shape]
    assert query.cached_shapes() == 1


def test_lists_bind_item_by_item_and_their_length_is_the_shape(pilots):
    query = CompiledQuery(
        lambda count, values: (
            Pilot.objects.filter(pk__in=values["ids"]).order_by("id").values_list("name", flat=True)
        )
    )
    first, second = [p.pk for p in pilots[:3]], [p.pk for p in pilots[3:]]
    assert [r[0] for r in query.rows(3, {"ids": first})] == ["P0", "P1", "P2"]
    assert [r[0] for r in query.rows(3, {"ids": second})] == ["P3", "P4", "P5"]


def test_results_go_through_the_querysets_converters(pilots):
    query = CompiledQuery(
        lambda shape, values: Pilot.objects.filter(name=values["name"]).values(
            "stage_entered_at", "confidential"
        )
    )
    (row,) = query.dicts("one", {"name": "P3"})
    expected = Pilot.objects.filter(name="P3").values("stage_entered_at", "confidential").get()
    assert row == expected
    assert row["stage_entered_at"].tzinfo is not None
    assert row["confidential"] is False


def test_a_builder_that_computes_with_a_value_is_never_cached_but_stays_correct(pilots, caplog):
    def build(shape, values):
        # .replace() leaves the stand-in's bookkeeping behind: the trace cannot follow it.
        midnight = (values["now"] - timedelta(days=30)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return (
            Pilot.objects.filter(stage_entered_at__gte=midnight)
            .order_by("name")
            .values_list("name", flat=True)
        )

    query = CompiledQuery(build)
    now = timezone.now()
    with caplog.at_level(logging.WARNING, logger="dashboard.compiled"):
        recent = [r[0] for r in query.rows("x", {"now": now})]
        older = [r[0] for r in query.rows("x", {"now": now - timedelta(days=100)})]
    assert recent == ["P0", "P3"]
    assert older == ["P0", "P1", "P2", "P3", "P5"]
    assert query.cached_shapes() == 0
    assert "cannot be cached" in caplog.text


def test_a_query_that_can_match_nothing_runs_nothing(pilots):
    query = CompiledQuery(lambda shape, values: Pilot.objects.none().values("id"))
    with CaptureQueriesContext(connection) as ctx:
        assert query.dicts("none", {}) == []
    assert len(ctx.captured_queries) == 0


def test_a_boolean_value_is_refused_it_belongs_in_the_shape(pilots):
    query = CompiledQuery(lambda shape, values: Pilot.objects.filter(confidential=values["flag"]))
    with pytest.raises(TypeError, match="flag"):
        query.rows("x", {"flag": True})


def _summary(user, params, now):
    filters, _ = parse_filters(params)
    summary = selectors.portfolio_summary(user=user, filters=filters, now=now)
    return summary | {"choices": selectors.filter_choices(user=user)}


def _cold(monkeypatch):
    """Forget every compiled shape (as a new process would)."""
    import gc

    for query in [o for o in gc.get_objects() if type(o) is CompiledQuery]:
        monkeypatch.setattr(query, "_shapes", type(query._shapes)())


@pytest.mark.parametrize(
    ("warm", "then"),
    [
        (
            {"business_unit": "Claims", "status": "active"},
            {"business_unit": "Finance", "status": "on_hold"},
        ),
        ({"stage": "pilot", "risk_tier": "medium"}, {"stage": "discovery", "risk_tier": "high"}),
        ({"signal": "stop", "flag": "stale"}, {"signal": "stop", "flag": "stale"}),
        ({"owner": "owner"}, {"owner": "technical_owner"}),
        (
            {"age": "91-180", "business_unit": "Finance"},
            {"age": "91-180", "business_unit": "Claims"},
        ),
    ],
)
@pytest.mark.parametrize("reader", ["executive", "contributor"])
def test_the_dashboard_reads_the_same_from_a_warm_shape_as_from_a_cold_compile(
    reviews_and_sources,
    owner,
    technical_owner,
    frozen_now,
    monkeypatch,
    caplog,
    warm,
    then,
    reader,
):
    """Same shape, other values (and another moment): what a long-running process serves
    after its first request equals what a fresh one computes. Aggregates are built, so
    group filters read them."""
    from dashboard.aggregates import aggregates_rebuild

    portfolio_facts = reviews_and_sources
    aggregates_rebuild()
    people = {"owner": owner, "technical_owner": technical_owner}
    user = UserFactory(roles=[reader])
    # The reader holds a role on the confidential pilot, so a restricted reader's view
    # mixes aggregate groups with that pilot's own rows.
    from accounts.models import PilotRole, PilotRoleKind

    PilotRole.objects.create(
        pilot=portfolio_facts["secret"], user=user, role=PilotRoleKind.RISK_LEAD
    )

    def params(p):
        return {k: (people[v].pk if k == "owner" else v) for k, v in p.items()}

    later = frozen_now + timedelta(days=3)
    _cold(monkeypatch)
    cold = _summary(user, params(then), later)
    _summary(user, params(warm), frozen_now)
    warm_result = _summary(user, params(then), later)
    assert warm_result == cold
    # And the warm shapes were really served from the cache, none compiled per request.
    assert "cannot be cached" not in caplog.text
