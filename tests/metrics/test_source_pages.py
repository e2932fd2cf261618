"""Metric sources pages: who sees and does what, the write-only secret, htmx, CSV report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from metrics import pulls
from metrics.models import CsvImport, MetricSource, PullRun, Snapshot
from metrics.pulls import dispatch
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db
SECRET = "s3cr3t-header-value-123"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """ "Pull now" queues a task; record it instead of needing a broker."""
    queued = []
    monkeypatch.setattr(dispatch, "_enqueue_pull", lambda source_id, **kw: queued.append(source_id))
    return queued


def form_data(**overrides):
    data = {
        "name": "Status page",
        "kind": "http_json",
        "url": "https://status.example.com/metrics.json",
        "mapping": "p95_latency_ms | $.latency.p95 | $.generated_at\nerror_rate | $.series.errors",
        "step_seconds": "60",
        "interval_minutes": "15",
        "enabled": "on",
        "secret_header_name": "X-Api-Key",
        "secret_header_value": SECRET,
    }
    data.update(overrides)
    return data


@pytest.fixture
def source(pilot, owner):
    return pulls.source_create(
        pilot=pilot,
        by=owner,
        name="Status page",
        kind="http_json",
        config={
            "url": "https://status.example.com/m.json",
            "metrics": [{"metric": "uptime_pct", "path": "$.up"}],
        },
        secret_header_name="X-Api-Key",
        secret_header_value=SECRET,
    )


def test_owner_adds_a_source_through_the_form(pilot, owner, client_for):
    client = client_for(owner)
    response = client.post(reverse("metrics:source_create", args=[pilot.pk]), form_data())
    assert response.status_code == 302
    source = MetricSource.objects.get(pilot=pilot)
    assert source.config == {
        "url": "https://status.example.com/metrics.json",
        "metrics": [
            {"metric": "p95_latency_ms", "path": "$.latency.p95", "time_path": "$.generated_at"},
            {"metric": "error_rate", "path": "$.series.errors"},
        ],
    }
    assert source.secret_header_value == SECRET
    page = client.get(reverse("metrics:source_list", args=[pilot.pk])).content.decode()
    assert "Status page" in page and "Not pulled yet" in page


def test_prometheus_form_keeps_bars_inside_the_query(pilot, owner, client_for):
    client_for(owner).post(
        reverse("metrics:source_create", args=[pilot.pk]),
        form_data(
            kind="prometheus",
            url="https://prom.example.com",
            mapping='p95_latency_ms | max(lat{job=~"a|b"})',
            step_seconds="30",
        ),
    )
    source = MetricSource.objects.get(pilot=pilot)
    assert source.config == {
        "base_url": "https://prom.example.com",
        "step_seconds": 30,
        "queries": [{"metric": "p95_latency_ms", "query": 'max(lat{job=~"a|b"})'}],
    }


def test_form_errors_land_on_the_field_typed_into(pilot, owner, client_for):
    response = client_for(owner).post(
        reverse("metrics:source_create", args=[pilot.pk]),
        form_data(url="http://10.0.0.8/x", mapping="nope | $.a"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "private" in errors["url"][0]
    assert "Not in the metric catalog: nope." in errors["mapping"][0]
    assert not MetricSource.objects.exists()


def test_html_typed_in_is_stored_as_typed_and_shown_escaped(pilot, owner, client_for):
    client = client_for(owner)
    client.post(reverse("metrics:source_create", args=[pilot.pk]), form_data(name="<b>bold</b>"))
    assert MetricSource.objects.get().name == "<b>bold</b>"
    page = client.get(reverse("metrics:source_list", args=[pilot.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


def test_the_secret_is_never_rendered_back(source, owner, client_for):
    client = client_for(owner)
    for url in (
        reverse("metrics:source_list", args=[source.pilot_id]),
        reverse("metrics:source_detail", args=[source.pk]),
        reverse("metrics:source_edit", args=[source.pk]),
        reverse("portfolio:pilot_detail", args=[source.pilot_id]),
    ):
        page = client.get(url).content.decode()
        assert SECRET not in page, url
    edit = client.get(reverse("metrics:source_edit", args=[source.pk])).content.decode()
    assert 'type="password"' in edit and "A secret is stored (hidden)" in edit


def test_saving_the_edit_form_with_an_empty_secret_keeps_it(source, owner, client_for):
    response = client_for(owner).post(
        reverse("metrics:source_edit", args=[source.pk]),
        form_data(
            name="Renamed",
            url="https://status.example.com/m.json",
            mapping="uptime_pct | $.up",
            secret_header_value="",
        ),
    )
    assert response.status_code == 302
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.name == "Renamed" and fresh.secret_header_value == SECRET
    event = AuditEvent.objects.filter(action="metric_source.update").latest("id")
    assert event.after == {"name": "Renamed"}


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider"])
def test_readers_see_status_but_not_errors_or_controls(request, actor, source, client_for):
    MetricSource.objects.filter(pk=source.pk).update(
        status="degraded",
        consecutive_failures=3,
        last_error="https://status.example.com/m.json answered HTTP 500.",
    )
    client = client_for(request.getfixturevalue(actor))
    page = client.get(reverse("metrics:source_list", args=[source.pilot_id])).content.decode()
    assert "Degraded" in page and "3 failed pulls in a row" in page
    assert "answered HTTP 500" not in page and "Pull now" not in page and "Add a source" not in page


def test_owner_sees_why_a_source_is_degraded(source, owner, client_for):
    MetricSource.objects.filter(pk=source.pk).update(
        status="degraded",
        consecutive_failures=3,
        last_error="https://status.example.com/m.json answered HTTP 500.",
    )
    client = client_for(owner)
    for url in (
        reverse("metrics:source_list", args=[source.pilot_id]),
        reverse("metrics:source_detail", args=[source.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Degraded" in page and "answered HTTP 500." in page


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider"])
def test_wrong_actor_gets_403_on_every_write(request, actor, source, client_for, _no_broker):
    client = client_for(request.getfixturevalue(actor))
    pilot_id = source.pilot_id
    assert client.get(reverse("metrics:source_create", args=[pilot_id])).status_code == 403
    assert (
        client.post(
            reverse("metrics:source_create", args=[pilot_id]), form_data(name="x")
        ).status_code
        == 403
    )
    assert client.get(reverse("metrics:source_edit", args=[source.pk])).status_code == 403
    assert (
        client.post(
            reverse("metrics:source_edit", args=[source.pk]), form_data(name="x")
        ).status_code
        == 403
    )
    assert client.post(reverse("metrics:source_delete", args=[source.pk])).status_code == 403
    assert client.post(reverse("metrics:source_pull", args=[source.pk])).status_code == 403
    assert client.get(reverse("metrics:csv_upload", args=[pilot_id])).status_code == 403
    assert MetricSource.objects.get(pk=source.pk).name == "Status page"
    assert _no_broker == []


def test_confidential_pilot_sources_are_404_for_outsiders(
    confidential_pilot, owner, outsider, client_for
):
    source = pulls.source_create(
        pilot=confidential_pilot,
        by=owner,
        name="Hidden",
        kind="http_json",
        config={
            "url": "https://x.example.com/",
            "metrics": [{"metric": "uptime_pct", "path": "a"}],
        },
    )
    record = pulls.csv_import(
        pilot=confidential_pilot,
        by=owner,
        file=SimpleUploadedFile("a.csv", b"pilot,metric,observed_at,value\n"),
        file_name="a.csv",
    )
    client = client_for(outsider)
    for url in (
        reverse("metrics:source_list", args=[confidential_pilot.pk]),
        reverse("metrics:source_detail", args=[source.pk]),
        reverse("metrics:source_edit", args=[source.pk]),
        reverse("metrics:csv_upload", args=[confidential_pilot.pk]),
        reverse("metrics:csv_report", args=[record.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("metrics:source_pull", args=[source.pk])).status_code == 404
    assert client.post(reverse("metrics:source_delete", args=[source.pk])).status_code == 404


def test_pull_now_with_htmx_swaps_the_row_and_queues_a_pull(source, owner, client_for, _no_broker):
    client = client_for(owner)
    with pytest.MonkeyPatch.context():
        response = client.post(
            reverse("metrics:source_pull", args=[source.pk]), HTTP_HX_REQUEST="true"
        )
    body = response.content.decode()
    assert response.status_code == 200 and body.strip().startswith(f'<tr id="source-{source.pk}"')
    assert "Pull queued" in body
    assert AuditEvent.objects.filter(action="metric_source.pull_request").exists()


def test_pull_now_without_js_redirects_back(source, owner, client_for):
    response = client_for(owner).post(reverse("metrics:source_pull", args=[source.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("metrics:source_list", args=[source.pilot_id])


def test_pull_now_queues_after_commit(
    source, owner, client_for, _no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(reverse("metrics:source_pull", args=[source.pk]))
    assert _no_broker == [source.pk]


def test_owner_removes_a_source(source, owner, client_for):
    response = client_for(owner).post(reverse("metrics:source_delete", args=[source.pk]))
    assert response.status_code == 302 and not MetricSource.objects.exists()


def test_csv_upload_page_stores_rows_and_shows_the_report(pilot, owner, client_for):
    client = client_for(owner)
    body = (
        "pilot,metric,observed_at,value\n"
        f"{pilot.pk},uptime_pct,2026-11-20T10:00:00Z,99.5\n"
        f"{pilot.pk},uptime_pct,2026-11-20T11:00:00Z,<script>x</script>\n"
    ).encode()
    response = client.post(
        reverse("metrics:csv_upload", args=[pilot.pk]),
        {"file": SimpleUploadedFile("week 47.csv", body, content_type="text/csv")},
    )
    record = CsvImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("metrics:csv_report", args=[record.pk])
    page = client.get(response["Location"]).content.decode()
    assert "week 47.csv" in page and "Rejected" in page
    assert "&lt;script&gt;" in page and "<script>x" not in page
    rejected = client.get(response["Location"] + "?status=rejected").context["page"].object_list
    assert [r["row"] for r in rejected] == [3]
    assert Snapshot.objects.count() == 1


def test_operations_lead_may_upload_but_not_manage_sources(pilot, client_for):
    from tests.factories import UserFactory

    ops = UserFactory(username="ops", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    client = client_for(ops)
    assert client.get(reverse("metrics:csv_upload", args=[pilot.pk])).status_code == 200
    assert client.get(reverse("metrics:source_create", args=[pilot.pk])).status_code == 403


def test_pilot_page_links_to_its_sources(source, executive, client_for):
    page = client_for(executive).get(reverse("portfolio:pilot_detail", args=[source.pilot_id]))
    body = page.content.decode()
    assert reverse("metrics:source_list", args=[source.pilot_id]) in body
    assert "Status page" in body


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add(pilot, owner, count, start=0):
    for i in range(start, start + count):
        source = pulls.source_create(
            pilot=pilot,
            by=owner,
            name=f"Source {i}",
            kind="http_json",
            config={
                "url": "https://x.example.com/",
                "metrics": [{"metric": "uptime_pct", "path": "a"}],
            },
        )
        PullRun.objects.create(source=source, outcome="failed", error="x")
        pulls.csv_import(
            pilot=pilot,
            by=owner,
            file=SimpleUploadedFile(
                "a.csv",
                f"pilot,metric,observed_at,value\n,uptime_pct,2026-11-20T10:{i:02d}:00Z,1\n".encode(),
            ),
            file_name=f"{i}.csv",
        )


def test_query_counts_do_not_grow_with_data(pilot, owner, client_for):
    client = client_for(owner)
    _add(pilot, owner, 2)
    source = MetricSource.objects.filter(pilot=pilot).first()
    record = CsvImport.objects.filter(pilot=pilot).first()
    urls = [
        reverse("metrics:source_list", args=[pilot.pk]),
        reverse("metrics:source_detail", args=[source.pk]),
        reverse("metrics:csv_report", args=[record.pk]),
        reverse("portfolio:pilot_detail", args=[pilot.pk]),
        f"/api/pilots/{pilot.pk}/sources/",
    ]
    small = [_queries(client, url) for url in urls]
    _add(pilot, owner, 6, start=2)
    for _ in range(5):
        PullRun.objects.create(source=source, outcome="ok")
    large = [_queries(client, url) for url in urls]
    assert small == large


def test_other_pilots_sources_are_not_listed(pilot, owner, client_for):
    other = PilotFactory(owner=owner, name="Other")
    _add(other, owner, 1)
    page = client_for(owner).get(reverse("metrics:source_list", args=[pilot.pk])).content.decode()
    assert "Source 0" not in page


def test_csv_over_the_size_limit_is_refused_with_a_message(pilot, owner, client_for, settings):
    settings.PILOTGATE_UPLOAD_MAX_BYTES = 100
    response = client_for(owner).post(
        reverse("metrics:csv_upload", args=[pilot.pk]),
        {"file": SimpleUploadedFile("big.csv", b"pilot,metric,observed_at,value\n" * 10)},
    )
    assert response.status_code == 200
    assert "the limit is 100" in response.context["form"].errors["file"][0]
    assert not CsvImport.objects.exists()
