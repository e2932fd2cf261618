"""Query counts of the dashboard, its API and the pilot page do not grow with the portfolio."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def open_pilot(pilots):
    return next(p for p in pilots if not p.confidential)


def rebuild(built):
    """Read from the portfolio aggregates (built) or from pilot-level rollups (never built)."""
    from dashboard.aggregates import aggregates_rebuild

    if built:
        aggregates_rebuild()


@pytest.mark.parametrize("built", [False, True], ids=["rollups", "aggregates"])
@pytest.mark.parametrize(
    "params",
    [{}, {"business_unit": "Unit 1", "status": "active"}, {"flag": "stale", "budget": "1000"}],
)
def test_dashboard_queries_are_the_same_for_10_and_200_pilots(
    params, built, executive, outsider, many_pilots, client_for
):
    pilots = many_pilots(10)
    rebuild(built)
    counts = {}
    for user in (executive, outsider):
        client = client_for(user)
        counts[(user.username, 10)] = (
            count(client, "/portfolio/", params),
            count(client, "/api/portfolio/summary/", params),
            count(client, open_pilot(pilots).get_absolute_url()),
        )
    pilots += many_pilots(190)
    rebuild(built)
    for user in (executive, outsider):
        client = client_for(user)
        counts[(user.username, 200)] = (
            count(client, "/portfolio/", params),
            count(client, "/api/portfolio/summary/", params),
            count(client, open_pilot(pilots[150:]).get_absolute_url()),
        )
    assert counts[("exec", 10)] == counts[("exec", 200)]
    assert counts[("outsider", 10)] == counts[("outsider", 200)]
