"""Pull sources: configuration services, one pull, health, retries, dispatcher, CSV."""

import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent, PilotRole
from metrics import pulls
from metrics.models import (
    CsvImport,
    MetricSource,
    PullOutcome,
    PullRun,
    Snapshot,
    SourceStatus,
)
from metrics.pulls import dispatch, run
from outbox.models import Event
from portfolio.models import Status
from tests.factories import PilotFactory
from tests.metrics.pull_servers import http_server, prometheus_server
from tests.services import require_postgres

SECRET = "tok-7f3a-very-secret"
pytestmark = pytest.mark.django_db


class Stub:
    """What the stub server answers next; tests flip it between healthy and failing."""

    def __init__(self):
        self.status = 200
        self.points = [
            ["2026-11-20T10:00:00Z", 410.0],
            ["2026-11-20T10:05:00Z", 420.0],
            ["2026-11-20T10:10:00Z", 430.0],
        ]

    def route(self, handler):
        if self.status != 200:
            handler.send_json({"error": "down"}, status=self.status)
        else:
            handler.send_json({"latency": {"series": self.points, "now": 99.5}})


@pytest.fixture
def stub(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    state = Stub()
    with http_server({"/metrics": state.route}) as (base, handler):
        state.url, state.handler = f"{base}/metrics", handler
        yield state


def json_config(url):
    return {
        "url": url,
        "metrics": [
            {"metric": "p95_latency_ms", "path": "$.latency.series"},
            {"metric": "uptime_pct", "path": "$.latency.now"},
        ],
    }


@pytest.fixture
def source(pilot, owner, stub):
    return pulls.source_create(
        pilot=pilot,
        by=owner,
        name="Status page",
        kind="http_json",
        config=json_config(stub.url),
        secret_header_name="X-Api-Key",
        secret_header_value=SECRET,
    )


def everything_stored_about(source) -> str:
    """Every text the product keeps about a source, to search for the secret."""
    texts = [json.dumps(list(AuditEvent.objects.values("before", "after")), default=str)]
    texts += [json.dumps(list(PullRun.objects.values()), default=str)]
    fresh = MetricSource.objects.get(pk=source.pk)
    texts += [fresh.last_error, json.dumps(fresh.config)]
    return "\n".join(texts)


# --- configuration -----------------------------------------------------------------


def test_owner_creates_a_source_and_the_audit_never_holds_the_secret(source, pilot):
    event = AuditEvent.objects.get(action="metric_source.create")
    assert event.pilot_id == pilot.pk
    assert event.after["secret_set"] is True and event.after["secret_header_name"] == "X-Api-Key"
    assert SECRET not in json.dumps(event.after)
    assert source.status == SourceStatus.NEVER_RUN and source.next_due_at <= timezone.now()


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider"])
def test_people_without_an_owner_role_may_not_create_sources(request, actor, pilot, stub):
    with pytest.raises(PermissionDenied):
        pulls.source_create(
            pilot=pilot,
            by=request.getfixturevalue(actor),
            name="x",
            kind="http_json",
            config=json_config(stub.url),
        )
    assert not MetricSource.objects.exists()


def test_confidential_pilot_is_404_for_an_outsider(confidential_pilot, outsider, stub):
    with pytest.raises(Http404):
        pulls.source_create(
            pilot=confidential_pilot,
            by=outsider,
            name="x",
            kind="http_json",
            config=json_config(stub.url),
        )


def test_technical_owner_and_admin_may_manage_sources(pilot, technical_owner, admin_user, stub):
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    for index, person in enumerate([technical_owner, admin_user]):
        pulls.source_create(
            pilot=pilot, by=person, name=f"s{index}", kind="http_json", config=json_config(stub.url)
        )
    assert MetricSource.objects.filter(pilot=pilot).count() == 2


def test_no_source_changes_on_a_stopped_pilot(source, owner, pilot):
    type(pilot).objects.filter(pk=pilot.pk).update(status=Status.STOPPED)
    source.pilot.refresh_from_db()
    with pytest.raises(PermissionDenied):
        pulls.source_update(source=source, by=owner, name="Renamed")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "Give the source a name"),
        ({"interval_minutes": 0}, "interval_minutes", "Pull every 1 to 1440"),
        ({"config": {"url": "ftp://x/y", "metrics": []}}, "url", "Only http and https"),
        (
            {
                "config": {
                    "url": "http://169.254.169.254/",
                    "metrics": [{"metric": "uptime_pct", "path": "a"}],
                }
            },
            "url",
            "link-local",
        ),
        (
            {"config": {"url": "http://x.test/", "metrics": [{"metric": "made_up", "path": "a"}]}},
            "metrics",
            "Not in the metric catalog: made_up.",
        ),
        ({"secret_header_name": "Bad Header"}, "secret_header_name", "letters, digits and dashes"),
        ({"kind": "ftp"}, "kind", "Choose HTTP JSON or Prometheus"),
    ],
)
def test_bad_configuration_is_refused_with_the_field_named(source, owner, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        pulls.source_update(source=source, by=owner, **changes)
    assert any(message in text for text in caught.value.message_dict[field])


def test_secret_with_a_line_break_is_refused(source, owner):
    with pytest.raises(ValidationError) as caught:
        pulls.source_update(source=source, by=owner, secret_header_value="a\r\nX-Evil: 1")
    assert "secret_header_value" in caught.value.message_dict


def test_duplicate_name_is_a_field_error(source, owner, pilot, stub):
    with pytest.raises(ValidationError) as caught:
        pulls.source_create(
            pilot=pilot,
            by=owner,
            name="Status page",
            kind="http_json",
            config=json_config(stub.url),
        )
    assert "already has a source" in caught.value.message_dict["name"][0]


def test_blank_secret_on_update_keeps_it_and_a_new_one_is_audited_as_replaced(source, owner):
    pulls.source_update(source=source, by=owner, name="Status page v2", secret_header_value=None)
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == SECRET
    pulls.source_update(source=source, by=owner, secret_header_value="new-secret-value")
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == "new-secret-value"
    event = AuditEvent.objects.filter(action="metric_source.update").order_by("-id").first()
    assert event.after == {"secret": "replaced"} and event.before == {"secret": "(hidden)"}
    pulls.source_update(source=source, by=owner, clear_secret=True)
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.secret_header_value == "" and fresh.secret_header_name == ""
    assert SECRET not in everything_stored_about(source)
    assert "new-secret-value" not in everything_stored_about(source)


def test_delete_is_audited_and_keeps_the_snapshots(source, owner):
    pulls.source_pull(source_id=source.pk)
    tag = source.ingest_source
    pulls.source_delete(source=source, by=owner)
    assert not MetricSource.objects.exists()
    assert Snapshot.objects.filter(source=tag).count() == 4
    assert AuditEvent.objects.filter(action="metric_source.delete").exists()


# --- pulling -----------------------------------------------------------------------


def test_pull_stores_points_and_records_a_run(source, stub):
    report = pulls.source_pull(source_id=source.pk)
    run = report.run
    assert (run.outcome, run.points, run.stored, run.duplicate, run.rejected) == ("ok", 4, 4, 0, 0)
    assert stub.handler.seen[-1]["headers"]["X-Api-Key"] == SECRET
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.status == SourceStatus.OK and fresh.last_success_at is not None
    assert fresh.pull_lease_until is None
    values = sorted(
        Snapshot.objects.filter(metric__key="p95_latency_ms").values_list("value", flat=True)
    )
    assert values == [410.0, 420.0, 430.0]


def test_repull_is_idempotent(source, stub):
    pulls.source_pull(source_id=source.pk, now=datetime(2026, 11, 20, 11, tzinfo=UTC))
    again = pulls.source_pull(source_id=source.pk, now=datetime(2026, 11, 20, 11, tzinfo=UTC))
    assert (again.run.stored, again.run.duplicate) == (0, 4)
    assert Snapshot.objects.count() == 4


def test_transient_failure_is_retried_before_it_counts(source, stub):
    stub.status = 503
    report = pulls.source_pull(source_id=source.pk, final_attempt=False)
    assert report.retry_advised and report.run.will_retry
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.consecutive_failures == 0 and "HTTP 503" in fresh.last_error


def test_repeated_failures_degrade_the_source_and_a_success_heals_it(source, stub, settings):
    settings.PILOTGATE_SOURCE_DEGRADED_AFTER = 3
    stub.status = 500
    for expected in (1, 2):
        pulls.source_pull(source_id=source.pk)
        fresh = MetricSource.objects.get(pk=source.pk)
        assert (fresh.consecutive_failures, fresh.status) == (expected, SourceStatus.NEVER_RUN)
    pulls.source_pull(source_id=source.pk)
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.status == SourceStatus.DEGRADED and fresh.consecutive_failures == 3
    degraded = Event.objects.get(type="source.degraded")
    assert degraded.pilot_id == source.pilot_id
    assert degraded.payload["source_id"] == source.pk
    assert degraded.payload["consecutive_failures"] == 3
    assert fresh.last_error.endswith("answered HTTP 500.")
    assert PullRun.objects.filter(source=source, outcome=PullOutcome.FAILED).count() == 3
    stub.status = 200
    pulls.source_pull(source_id=source.pk)
    fresh = MetricSource.objects.get(pk=source.pk)
    assert (fresh.status, fresh.consecutive_failures, fresh.last_error) == ("ok", 0, "")
    assert SECRET not in everything_stored_about(source)


@pytest.mark.parametrize("status", [200, 404])
def test_a_source_disconnected_during_its_pull_ends_the_pull_quietly(
    source, owner, stub, monkeypatch, status
):
    stub.status = status
    fetch = run._fetch

    def fetch_then_disconnect(source_, now):
        try:
            return fetch(source_, now)
        finally:
            pulls.source_delete(source=MetricSource.objects.get(pk=source_.pk), by=owner)

    monkeypatch.setattr(run, "_fetch", fetch_then_disconnect)
    assert pulls.source_pull(source_id=source.pk) is None
    assert not MetricSource.objects.filter(pk=source.pk).exists()


def test_permanent_failure_is_not_retried(source, owner, stub):
    stub.status = 404
    report = pulls.source_pull(source_id=source.pk, final_attempt=False)
    assert not report.retry_advised
    assert MetricSource.objects.get(pk=source.pk).consecutive_failures == 1


def test_every_value_rejected_is_a_failed_pull_with_the_reasons(source, stub):
    stub.points = [["2026-11-20T10:00:00Z", -5.0]]  # latency cannot be negative
    report = pulls.source_pull(source_id=source.pk)
    assert report is not None
    # uptime_pct 99.5 is still fine, so the pull succeeds with the rejection listed.
    assert report.run.outcome == "ok" and report.run.rejected == 1
    assert "p95_latency_ms at 2026-11-20 10:00:00" in report.run.problems[0]


def test_unsafe_url_fails_without_a_request(source, stub, settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = []
    report = pulls.source_pull(source_id=source.pk, final_attempt=False)
    assert not report.retry_advised and "loopback" in report.run.error
    assert stub.handler.seen == []


def test_a_running_pull_holds_the_source(source, stub):
    now = timezone.now()
    assert run._claim_lease(source.pk, now, "task-a")
    assert pulls.source_pull(source_id=source.pk, task_id="task-b") is None
    # The same task redelivered after a crash takes over its own lease.
    assert pulls.source_pull(source_id=source.pk, task_id="task-a").run.outcome == "ok"


def test_disabled_source_and_stopped_pilot_are_not_pulled(source, owner, stub, pilot):
    pulls.source_update(source=source, by=owner, enabled=False)
    assert pulls.source_pull(source_id=source.pk) is None
    pulls.source_update(source=source, by=owner, enabled=True)
    type(pilot).objects.filter(pk=pilot.pk).update(status=Status.STOPPED)
    assert pulls.source_pull(source_id=source.pk) is None
    assert stub.handler.seen == []


def test_prometheus_outage_gap_is_backfilled(pilot, owner, settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    end = int(time.time()) - 20
    samples = [(s, 300 + (s % 7)) for s in range(end - 4 * 3600, end + 1, 15)]
    with prometheus_server({"pilot_p95_latency_ms": samples}) as base:
        source = pulls.source_create(
            pilot=pilot,
            by=owner,
            name="Prometheus",
            kind="prometheus",
            config={
                "base_url": base,
                "step_seconds": 60,
                "queries": [{"metric": "p95_latency_ms", "query": "max(pilot_p95_latency_ms)"}],
            },
        )
        now = datetime.fromtimestamp(end, tz=UTC)
        first = pulls.source_pull(source_id=source.pk, now=now - timedelta(hours=3))
        assert first.run.stored == 1  # first pull: the instant value only
        # Three hours of outage later, the next pull fills every minute in between.
        second = pulls.source_pull(source_id=source.pk, now=now)
        assert second.run.outcome == "ok" and second.run.stored >= 180
        stamps = sorted(
            int(t.timestamp())
            for t in Snapshot.objects.filter(source=source.ingest_source).values_list(
                "observed_at", flat=True
            )
            if t.timestamp() % 60 == 0
        )
        assert all(b - a == 60 for a, b in zip(stamps, stamps[1:], strict=False))
        assert stamps[0] <= (now - timedelta(hours=3)).timestamp()
        # Pulling the same window again (a redelivered task) stores nothing new.
        MetricSource.objects.filter(pk=source.pk).update(last_success_at=now - timedelta(hours=3))
        third = pulls.source_pull(source_id=source.pk, now=now)
        assert third.run.stored == 0 and third.run.duplicate == second.run.points


# --- dispatcher ----------------------------------------------------------------------


def test_dispatch_claims_due_sources_once(pilot, owner, stub):
    now = timezone.now()
    due = [
        pulls.source_create(
            pilot=pilot, by=owner, name=f"due {i}", kind="http_json", config=json_config(stub.url)
        )
        for i in range(3)
    ]
    later = pulls.source_create(
        pilot=pilot, by=owner, name="later", kind="http_json", config=json_config(stub.url)
    )
    MetricSource.objects.filter(pk=later.pk).update(next_due_at=now + timedelta(minutes=5))
    off = pulls.source_create(
        pilot=pilot,
        by=owner,
        name="off",
        kind="http_json",
        config=json_config(stub.url),
        enabled=False,
    )
    queued = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dispatch, "enqueue_pulls", lambda claimed: queued.extend(claimed))
        with django_capture_on_commit():
            claimed = pulls.sources_dispatch_due(now=now + timedelta(seconds=1))
            again = pulls.sources_dispatch_due(now=now + timedelta(seconds=2))
    assert sorted(claimed) == sorted(s.pk for s in due) and again == []
    assert sorted(q[0] for q in queued) == sorted(claimed)
    assert all(0 <= q[1] <= 20 for q in queued)
    for s in MetricSource.objects.filter(pk__in=claimed):
        assert s.next_due_at == now + timedelta(seconds=1) + timedelta(minutes=15)
    assert off.pk not in claimed and later.pk not in claimed


def test_dispatch_skips_stopped_pilots(owner, stub):
    stopped = PilotFactory(owner=owner)
    source = pulls.source_create(
        pilot=stopped, by=owner, name="s", kind="http_json", config=json_config(stub.url)
    )
    type(stopped).objects.filter(pk=stopped.pk).update(status=Status.STOPPED)
    with django_capture_on_commit():
        assert pulls.sources_dispatch_due(enqueue=lambda c: None) == []
    assert source.pk


class django_capture_on_commit:  # noqa: N801 - reads like the context manager it is
    """Run on_commit callbacks at the end of the block (tests run inside a transaction)."""

    def __enter__(self):
        from django.test import TestCase

        self._ctx = TestCase.captureOnCommitCallbacks(execute=True)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_claim_a_source_twice(owner):
    require_postgres()
    pilot = PilotFactory(owner=owner)
    MetricSource.objects.bulk_create(
        MetricSource(
            pilot=pilot,
            name=f"s{i}",
            kind="http_json",
            config={},
            next_due_at=timezone.now() - timedelta(minutes=1),
        )
        for i in range(400)
    )
    results: list[list[int]] = []
    barrier = threading.Barrier(4)

    def beat():
        barrier.wait()
        try:
            results.append(pulls.sources_dispatch_due(enqueue=lambda claimed: None))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [source_id for batch in results for source_id in batch]
    assert len(claimed) == len(set(claimed)) == 400


# --- CSV upload -----------------------------------------------------------------------


def csv_file(pilot, extra=""):
    return io.BytesIO(
        (
            "pilot,metric,observed_at,value\n"
            f"{pilot.pk},p95_latency_ms,2026-11-20T10:00:00Z,410\n"
            f",uptime_pct,2026-11-20T10:00:00Z,99.9\n"
            f"{pilot.pk},p95_latency_ms,2026-11-20T10:05:00Z,-3\n"
            f"{pilot.pk},no_such_metric,2026-11-20T10:05:00Z,1\n"
            f"{pilot.pk + 1000},p95_latency_ms,2026-11-20T10:05:00Z,1\n"
            f"{pilot.pk},p95_latency_ms,not a time,1\n" + extra
        ).encode()
    )


def test_csv_import_reports_every_row_and_keeps_the_good_ones(pilot, owner):
    record = pulls.csv_import(pilot=pilot, by=owner, file=csv_file(pilot), file_name="week.csv")
    assert (record.rows_read, record.stored, record.duplicate, record.rejected) == (6, 2, 0, 4)
    report = {r["row"]: (r["status"], r["reason"]) for r in record.row_report}
    assert report[2] == ("stored", "") and report[3] == ("stored", "")
    assert report[4][0] == "rejected" and "below the minimum" in report[4][1]
    assert report[5][0] == "rejected" and "metric" in report[5][1]
    assert report[6] == (
        "rejected",
        f"pilot: the row names pilot {pilot.pk + 1000}; this upload is for pilot {pilot.pk}",
    )
    assert report[7][0] == "rejected" and report[7][1].startswith("observed_at:")
    assert Snapshot.objects.filter(source="csv-upload").count() == 2
    event = AuditEvent.objects.get(action="metrics.csv_import")
    assert event.after["stored"] == 2 and event.pilot_id == pilot.pk


def test_uploading_the_same_file_twice_stores_nothing_new(pilot, owner):
    pulls.csv_import(pilot=pilot, by=owner, file=csv_file(pilot), file_name="a.csv")
    again = pulls.csv_import(pilot=pilot, by=owner, file=csv_file(pilot), file_name="a.csv")
    assert (again.stored, again.duplicate) == (0, 2)
    assert Snapshot.objects.count() == 2


def test_unreadable_csv_is_recorded_with_its_reason(pilot, owner):
    record = pulls.csv_import(
        pilot=pilot, by=owner, file=io.BytesIO(b"a,b\n1,2\n"), file_name="bad.csv"
    )
    assert record.error.startswith("The file cannot be read: the header row lacks pilot")
    assert record.rows_read == 0


def test_large_csv_keeps_only_rejected_rows_in_the_report(pilot, owner, settings):
    lines = ["pilot,metric,observed_at,value"]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(6_000):
        value = "x" if i % 1000 == 0 else "1"
        lines.append(f"{pilot.pk},uptime_pct,{(start + timedelta(minutes=i)).isoformat()},{value}")
    record = pulls.csv_import(
        pilot=pilot, by=owner, file=io.BytesIO("\n".join(lines).encode()), file_name="big.csv"
    )
    assert (record.stored, record.rejected, record.report_truncated) == (5_994, 6, True)
    assert [r["status"] for r in record.row_report] == ["rejected"] * 6


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider"])
def test_csv_upload_needs_a_role_on_the_pilot(request, actor, pilot):
    with pytest.raises(PermissionDenied):
        pulls.csv_import(
            pilot=pilot, by=request.getfixturevalue(actor), file=csv_file(pilot), file_name="x"
        )
    assert not CsvImport.objects.exists() and not Snapshot.objects.exists()


def test_demo_sources_show_both_health_states_and_seed_once(owner):
    from metrics import pulls_demo
    from portfolio.models import Stage

    pilots = [PilotFactory(owner=owner, stage=Stage.PILOT) for _ in range(2)]
    pulls_demo.seed({"pilots": pilots, "users": {}})
    pulls_demo.seed({"pilots": pilots, "users": {}})
    statuses = dict(MetricSource.objects.values_list("name", "status"))
    assert statuses == {pulls_demo.HEALTHY: "ok", pulls_demo.DEGRADED: "degraded"}
    assert PullRun.objects.count() == 9


def test_old_pull_runs_are_pruned_but_each_source_keeps_its_last(source, pilot, owner, stub):
    other = pulls.source_create(
        pilot=pilot, by=owner, name="Other", kind="http_json", config=json_config(stub.url)
    )
    now = timezone.now()
    for days in (40, 30, 20, 1):
        PullRun.objects.create(source=source, started_at=now - timedelta(days=days))
    old_only = PullRun.objects.create(source=other, started_at=now - timedelta(days=50))
    PullRun.objects.create(source=other, started_at=now - timedelta(days=60))
    assert pulls.pull_runs_prune(now=now, keep_days=14) == 4
    kept = sorted((r.source_id, (now - r.started_at).days) for r in PullRun.objects.all())
    assert kept == sorted([(source.pk, 1), (other.pk, 50)])
    assert PullRun.objects.filter(pk=old_only.pk).exists()


def test_sources_health_counts_enabled_sources_by_status(source, pilot, owner, stub):
    from metrics.sources.selectors import sources_health

    pulls.source_pull(source_id=source.pk)
    for name, enabled in (("b", True), ("c", False)):
        pulls.source_create(
            pilot=pilot,
            by=owner,
            name=name,
            kind="http_json",
            config=json_config(stub.url),
            enabled=enabled,
        )
    assert sources_health(pilot_ids=[pilot.pk, 999]) == {
        pilot.pk: {"total": 2, "ok": 1, "degraded": 0, "never_run": 1}
    }
