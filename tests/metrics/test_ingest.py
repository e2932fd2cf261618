from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from metrics.ingest import CODE_FORBIDDEN, CODE_INVALID, CODE_NOT_FOUND
from metrics.models import Snapshot
from metrics.services import MAX_ROWS_PER_BATCH, snapshots_ingest
from tests.factories import PilotFactory

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def row(pilot, metric="error_rate", at=T0, value=1.5):
    return {"pilot": pilot.pk, "metric": metric, "observed_at": at, "value": value}


@pytest.mark.django_db
def test_good_rows_are_stored_with_counts(pilot):
    rows = [row(pilot, at=T0 + timedelta(minutes=i), value=i) for i in range(5)]
    result = snapshots_ingest(rows=rows, source="push:test")
    assert result.counts() == {"received": 5, "stored": 5, "duplicate": 0, "rejected": 0}
    assert result.statuses == ["stored"] * 5
    stored = Snapshot.objects.filter(pilot=pilot).order_by("observed_at")
    assert [s.value for s in stored] == [0, 1, 2, 3, 4]
    assert {s.source for s in stored} == {"push:test"}


@pytest.mark.django_db
def test_repush_of_the_same_rows_stores_nothing_new(pilot):
    rows = [row(pilot, at=T0 + timedelta(minutes=i)) for i in range(3)]
    snapshots_ingest(rows=rows, source="push:test")
    again = snapshots_ingest(
        rows=rows + [row(pilot, at=T0 + timedelta(hours=5))], source="push:test"
    )
    assert again.statuses == ["duplicate", "duplicate", "duplicate", "stored"]
    assert (again.stored, again.duplicate) == (1, 3)
    assert Snapshot.objects.count() == 4


@pytest.mark.django_db
def test_same_observation_from_another_source_is_a_separate_row(pilot):
    snapshots_ingest(rows=[row(pilot)], source="a")
    result = snapshots_ingest(rows=[row(pilot)], source="b")
    assert result.stored == 1
    assert Snapshot.objects.count() == 2


@pytest.mark.django_db
def test_repeat_within_one_batch_is_a_duplicate(pilot):
    same_instant_other_zone = T0.astimezone(timezone.get_fixed_timezone(120)).isoformat()
    result = snapshots_ingest(rows=[row(pilot), row(pilot, at=same_instant_other_zone)], source="s")
    assert result.statuses == ["stored", "duplicate"]
    assert Snapshot.objects.count() == 1


@pytest.mark.django_db
def test_iso_strings_and_numeric_strings_are_accepted(pilot):
    result = snapshots_ingest(
        rows=[
            {
                "pilot": str(pilot.pk),
                "metric": "error_rate",
                "observed_at": "2026-11-20T12:00:00Z",
                "value": "2.5",
            },
            {
                "pilot": pilot.pk,
                "metric": "error_rate",
                "observed_at": "2026-11-20T13:00:00+01:00",
                "value": 3,
            },
        ],
        source="s",
    )
    assert result.statuses == ["stored", "duplicate"]  # 13:00+01:00 is 12:00Z


BAD_ROWS = [
    # (description, row change, field named, code)
    ("unknown pilot", {"pilot": 999_999}, "pilot", CODE_NOT_FOUND),
    ("pilot as float", {"pilot": 1.5}, "pilot", CODE_INVALID),
    ("pilot as bool", {"pilot": True}, "pilot", CODE_INVALID),
    ("pilot as text", {"pilot": "claims"}, "pilot", CODE_INVALID),
    ("unknown metric", {"metric": "happiness"}, "metric", CODE_INVALID),
    ("metric as number", {"metric": 7}, "metric", CODE_INVALID),
    ("NaN float", {"value": float("nan")}, "value", CODE_INVALID),
    ("infinity float", {"value": float("inf")}, "value", CODE_INVALID),
    ("NaN string", {"value": "NaN"}, "value", CODE_INVALID),
    ("Infinity string", {"value": "Infinity"}, "value", CODE_INVALID),
    ("-inf string", {"value": "-inf"}, "value", CODE_INVALID),
    ("value text", {"value": "lots"}, "value", CODE_INVALID),
    ("value bool", {"value": True}, "value", CODE_INVALID),
    ("value list", {"value": [1]}, "value", CODE_INVALID),
    ("above max", {"value": 100.5}, "value", CODE_INVALID),
    ("below min", {"value": -0.1}, "value", CODE_INVALID),
    ("naive datetime", {"observed_at": datetime(2026, 11, 20, 12, 0)}, "observed_at", CODE_INVALID),
    ("naive string", {"observed_at": "2026-11-20T12:00:00"}, "observed_at", CODE_INVALID),
    ("date only", {"observed_at": "2026-11-20"}, "observed_at", CODE_INVALID),
    ("garbage time", {"observed_at": "yesterday"}, "observed_at", CODE_INVALID),
    ("epoch number", {"observed_at": 1795698072}, "observed_at", CODE_INVALID),
    ("missing value", {"value": None}, "value", CODE_INVALID),
]


@pytest.mark.django_db
@pytest.mark.parametrize("description,change,field,code", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_each_bad_row_is_rejected_naming_its_field_and_good_rows_still_stored(
    pilot, description, change, field, code
):
    bad = {**row(pilot, at=T0 + timedelta(hours=1)), **change}
    result = snapshots_ingest(
        rows=[row(pilot), bad, row(pilot, at=T0 + timedelta(hours=2))], source="s"
    )
    assert result.statuses == ["stored", "rejected", "stored"]
    assert list(result.errors[1]) == [field]
    assert result.errors[1][field][0]
    assert result.codes[1] == code
    assert Snapshot.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["pilot", "metric", "observed_at", "value"])
def test_missing_field_is_named(pilot, missing):
    bad = row(pilot)
    del bad[missing]
    result = snapshots_ingest(rows=[bad], source="s")
    assert result.errors[0] == {missing: ["This field is required."]}


@pytest.mark.django_db
def test_row_that_is_not_an_object_is_rejected(pilot):
    result = snapshots_ingest(rows=[["a", "b"], "x", 5, row(pilot)], source="s")
    assert result.statuses == ["rejected", "rejected", "rejected", "stored"]
    assert list(result.errors[0]) == ["row"]


@pytest.mark.django_db
def test_row_with_several_problems_names_each_field(pilot):
    result = snapshots_ingest(
        rows=[{"pilot": pilot.pk, "metric": "nope", "observed_at": "soon", "value": "NaN"}],
        source="s",
    )
    assert set(result.errors[0]) == {"metric", "observed_at", "value"}


@pytest.mark.django_db
def test_future_time_beyond_skew_is_rejected_within_skew_accepted(pilot, settings):
    settings.PILOTGATE_METRICS_FUTURE_SKEW = 60
    now = timezone.now()
    result = snapshots_ingest(
        rows=[
            row(pilot, at=now + timedelta(seconds=30)),
            row(pilot, at=now + timedelta(minutes=5)),
        ],
        source="s",
    )
    assert result.statuses == ["stored", "rejected"]
    assert "future" in result.errors[1]["observed_at"][0]


@pytest.mark.django_db
def test_metric_without_bounds_accepts_negative_values(pilot):
    result = snapshots_ingest(
        rows=[row(pilot, metric="realized_benefit", value=-1200.0)], source="s"
    )
    assert result.stored == 1


@pytest.mark.django_db
def test_too_many_rows_is_refused_naming_the_limit(pilot):
    with pytest.raises(ValidationError) as info:
        snapshots_ingest(rows=[row(pilot)] * (MAX_ROWS_PER_BATCH + 1), source="s")
    assert "10,000" in str(info.value)
    assert Snapshot.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["", "   ", "x" * 101])
def test_source_label_is_required_and_bounded(pilot, source):
    with pytest.raises(ValidationError) as info:
        snapshots_ingest(rows=[row(pilot)], source=source)
    assert "source" in info.value.message_dict


@pytest.mark.django_db
def test_one_audit_event_per_batch_with_counts(pilot, owner):
    before = AuditEvent.objects.count()
    snapshots_ingest(
        rows=[row(pilot, at=T0 + timedelta(minutes=i)) for i in range(20)] + [{"bad": 1}],
        source="push:owner",
        by=owner,
    )
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert len(events) == 1
    event = events[0]
    assert event.action == "snapshots.ingest"
    assert event.actor == owner
    assert event.pilot_id == pilot.pk
    assert event.after["stored"] == 20 and event.after["rejected"] == 1
    assert event.after["source"] == "push:owner"


@pytest.mark.django_db
def test_owner_and_operations_lead_may_write(pilot_with_ops, owner, ops_lead):
    assert snapshots_ingest(rows=[row(pilot_with_ops)], source="s", by=owner).stored == 1
    result = snapshots_ingest(
        rows=[row(pilot_with_ops, at=T0 + timedelta(1))], source="s", by=ops_lead
    )
    assert result.stored == 1


@pytest.mark.django_db
def test_visible_pilot_without_role_is_forbidden_per_row(pilot, outsider, executive):
    other = PilotFactory(owner=outsider)
    for user in (outsider, executive):
        result = snapshots_ingest(rows=[row(pilot), row(other)], source=f"s-{user.pk}", by=user)
        assert result.codes[0] == CODE_FORBIDDEN
        assert "may not write metrics" in result.errors[0]["pilot"][0]
    assert Snapshot.objects.filter(pilot=pilot).count() == 0
    assert Snapshot.objects.filter(pilot=other).count() == 1  # outsider owns `other`


@pytest.mark.django_db
def test_hidden_pilot_looks_exactly_like_a_missing_one(confidential_pilot, outsider):
    result = snapshots_ingest(
        rows=[row(confidential_pilot), {**row(confidential_pilot), "pilot": 999_999}],
        source="s",
        by=outsider,
    )
    assert result.codes == {0: CODE_NOT_FOUND, 1: CODE_NOT_FOUND}
    assert result.errors[0]["pilot"] == [f"No pilot with id {confidential_pilot.pk}."]
    assert Snapshot.objects.count() == 0


@pytest.mark.django_db
def test_stopped_pilot_takes_no_pushed_metrics(pilot, owner, admin_user):
    from gates.services import pilot_transition

    pilot_transition(pilot=pilot, by=admin_user, to_status="stopped", reason="test")
    result = snapshots_ingest(rows=[row(pilot)], source="s", by=owner)
    assert result.codes[0] == CODE_FORBIDDEN
    assert "stopped" in result.errors[0]["pilot"][0]


@pytest.mark.django_db
def test_admin_may_write_to_any_pilot(pilot, admin_user):
    assert snapshots_ingest(rows=[row(pilot)], source="s", by=admin_user).stored == 1


@pytest.mark.django_db
@pytest.mark.parametrize("micro", [0, 123456])
def test_row_written_by_the_orm_is_seen_as_duplicate(pilot, micro):
    from metrics.models import MetricDefinition

    at = T0.replace(microsecond=micro)
    metric = MetricDefinition.objects.get(key="error_rate")
    Snapshot.objects.create(pilot=pilot, metric=metric, observed_at=at, value=1, source="s")
    result = snapshots_ingest(
        rows=[row(pilot, at=at), row(pilot, at=at + timedelta(1))], source="s"
    )
    assert result.statuses == ["duplicate", "stored"]
    assert Snapshot.objects.filter(observed_at=at + timedelta(1)).count() == 1


@pytest.mark.django_db
def test_longest_source_label_is_accepted_and_audited_whole(pilot):
    source = "s" * 100
    assert snapshots_ingest(rows=[row(pilot)], source=source).stored == 1
    event = AuditEvent.objects.get(action="snapshots.ingest")
    assert event.after["source"] == source
