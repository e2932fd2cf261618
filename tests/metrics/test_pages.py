from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import Alert, MetricDefinition
from metrics.services import snapshots_ingest, snapshots_process
from metrics.signal_refresh import refresh
from metrics.thresholds import MetricExpectation

pytestmark = pytest.mark.django_db
METRICS = ["error_rate", "hallucination_rate", "bypass_rate", "adoption_rate", "uptime_pct"]


def seed(pilot, n_metrics, value=50.0):
    keys = METRICS[:n_metrics]
    expectations = [MetricExpectation(pilot.pk, k, "rollback", ">", 10, "disable_ai") for k in keys]
    start = timezone.now() - timedelta(hours=3)
    rows = [
        {"pilot": pilot.pk, "metric": k, "observed_at": start + timedelta(hours=i), "value": value}
        for k in keys
        for i in range(3)
    ]
    snapshots_ingest(rows=rows, source="t")
    ids = dict(MetricDefinition.objects.values_list("key", "id"))
    spans = [(pilot.pk, ids[k], start, start + timedelta(hours=2)) for k in keys]
    snapshots_process(spans=spans, expectations_provider=lambda pids: expectations)
    # Some alerts resolved, so every branch of the table renders.
    first = Alert.objects.filter(pilot=pilot).order_by("id").first()
    Alert.objects.filter(pk=first.pk).update(
        status="resolved", resolved_at=timezone.now(), acknowledged_at=timezone.now()
    )


def page_queries(client, pilot):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/pilots/{pilot.pk}/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_pilot_page_shows_signal_metrics_and_alerts(pilot, owner, client_for):
    seed(pilot, 2)
    _, html = page_queries(client_for(owner), pilot)
    assert '<h2 id="metrics-heading">Metrics</h2>' in html
    # The alert names its metric as the catalog labels it, never by its key.
    assert "<td>Error rate</td>" in html and "<code>error_rate</code>" not in html
    assert "Disable the AI component" in html
    assert "Acknowledge" in html and "Resolve" in html


def test_pilot_page_query_count_does_not_grow_with_metrics_and_alerts(
    owner, client_for, django_capture_on_commit_callbacks
):
    from tests.factories import PilotFactory

    small, large = PilotFactory(owner=owner), PilotFactory(owner=owner)
    seed(small, 2)
    seed(large, 5)
    client = client_for(owner)
    small_count, _ = page_queries(client, small)
    large_count, html = page_queries(client, large)
    assert html.count('name="alert"') >= 4  # one checkbox per unresolved alert, one form
    assert small_count == large_count


def test_readers_see_alerts_without_manage_buttons(pilot, executive, client_for):
    seed(pilot, 1)
    _, html = page_queries(client_for(executive), pilot)
    assert "<td>Error rate</td>" in html
    assert "Acknowledge" not in html


def test_plain_form_acknowledge_then_resolve_redirects_back(pilot_with_ops, ops_lead, client_for):
    seed(pilot_with_ops, 2)
    alert = Alert.objects.filter(status="open").get()
    client = client_for(ops_lead)
    response = client.post(f"/metrics/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/pilots/{pilot_with_ops.pk}/#alerts")
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    response = client.post(f"/metrics/alerts/{alert.pk}/resolve/", {"note": "<script>x</script>"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolution_note == "<script>x</script>"
    html = client.get(f"/pilots/{pilot_with_ops.pk}/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_htmx_acknowledge_returns_the_alerts_fragment(pilot, owner, client_for):
    seed(pilot, 2)
    alert = Alert.objects.filter(status="open").get()
    response = client_for(owner).post(
        f"/metrics/alerts/{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="pilot-alerts">')
    assert "Acknowledged" in html


def test_acknowledging_twice_shows_the_conflict(pilot, owner, client_for):
    seed(pilot, 2)
    alert = Alert.objects.filter(status="open").get()
    client = client_for(owner)
    client.post(f"/metrics/alerts/{alert.pk}/acknowledge/")
    response = client.post(f"/metrics/alerts/{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert "already acknowledged" in response.content.decode()


def test_wrong_actor_gets_403_and_hidden_pilot_404(pilot, confidential_pilot, outsider, client_for):
    seed(pilot, 2)
    seed(confidential_pilot, 2)
    client = client_for(outsider)
    visible = Alert.objects.filter(pilot=pilot, status="open").get()
    hidden = Alert.objects.filter(pilot=confidential_pilot, status="open").get()
    assert client.post(f"/metrics/alerts/{visible.pk}/acknowledge/").status_code == 403
    assert client.post(f"/metrics/alerts/{visible.pk}/resolve/").status_code == 403
    assert client.post(f"/metrics/alerts/{hidden.pk}/resolve/").status_code == 404
    assert client.post("/metrics/alerts/999999/resolve/").status_code == 404
    assert Alert.objects.filter(status="open").count() == 2


def test_get_is_not_allowed(pilot, owner, client_for):
    seed(pilot, 2)
    alert = Alert.objects.filter(status="open").get()
    assert client_for(owner).get(f"/metrics/alerts/{alert.pk}/resolve/").status_code == 405


def test_signal_is_shown_with_stop_recommended(pilot, owner, client_for, monkeypatch):
    from metrics import thresholds

    stop = MetricExpectation(pilot.pk, "bypass_rate", "stop", ">", 30, "end", None)
    snapshots_ingest(
        rows=[
            {"pilot": pilot.pk, "metric": "bypass_rate", "observed_at": timezone.now(), "value": 60}
        ],
        source="t",
    )
    bypass = MetricDefinition.objects.get(key="bypass_rate").pk
    now = timezone.now()
    snapshots_process(spans=[(pilot.pk, bypass, now, now)], expectations_provider=lambda p: [stop])
    refresh([pilot.pk], expectations_provider=lambda p: [stop])
    monkeypatch.setattr(thresholds, "default_expectations_provider", lambda: lambda p: [stop])
    _, html = page_queries(client_for(owner), pilot)
    # One recommendation: the signal itself says stop, with the stop condition as reason.
    assert 'Recommendation: <span class="signal signal-stop">Stop</span>' in html
    assert "Stop condition met: Bypass rate is 60% (&gt; 30%); agreed action: end the pilot" in html
    assert "Stop recommended" not in html
