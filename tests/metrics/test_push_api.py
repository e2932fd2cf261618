import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import token_create
from metrics.models import Snapshot
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
URL = "/api/snapshots/"


def bearer(user) -> APIClient:
    _, secret = token_create(by=user, name="pusher")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def rows(pilot, n=3, metric="error_rate", start=T0):
    return [
        {
            "pilot": pilot.pk,
            "metric": metric,
            "observed_at": (start + timedelta(minutes=i)).isoformat(),
            "value": 1.0 + i % 50,
        }
        for i in range(n)
    ]


def test_push_with_token_stores_rows_and_answers_counts(pilot, owner):
    response = bearer(owner).post(URL, {"source": "exporter", "rows": rows(pilot)}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["stored"], body["duplicate"], body["rejected"]) == (3, 3, 0, 0)
    assert body["rejected_rows"] == []
    assert set(Snapshot.objects.values_list("source", flat=True)) == {"exporter"}


def test_plain_list_body_uses_the_user_as_source(pilot, owner):
    response = bearer(owner).post(URL, rows(pilot), format="json")
    assert response.status_code == 200
    assert response.json()["source"] == "push:owner"


def test_repush_is_idempotent(pilot, owner):
    api = bearer(owner)
    api.post(URL, rows(pilot), format="json")
    response = api.post(URL, rows(pilot), format="json")
    assert response.status_code == 200
    assert (response.json()["stored"], response.json()["duplicate"]) == (0, 3)
    assert Snapshot.objects.count() == 3


def test_mixed_batch_is_207_with_reasons_by_row_and_field(pilot, owner):
    batch = rows(pilot, 2)
    batch.insert(
        1, {**batch[0], "value": 250, "observed_at": T0.isoformat().replace("12:00", "18:00")}
    )
    response = bearer(owner).post(URL, batch, format="json")
    assert response.status_code == 207
    body = response.json()
    assert body["stored"] == 2 and body["rejected"] == 1
    assert body["rejected_rows"][0]["index"] == 1
    assert "maximum 100" in body["rejected_rows"][0]["errors"]["value"][0]
    assert "rows[1].value" in body["errors"]


def test_nan_and_infinity_literals_reject_only_their_rows(pilot, owner):
    good = rows(pilot, 1)[0]

    def literal(hour, constant):
        at = f"2026-11-10T{hour}:00:00Z"
        head = json.dumps({"pilot": pilot.pk, "metric": "error_rate", "observed_at": at})
        return head[:-1] + f', "value": {constant}}}'

    text = f"[{json.dumps(good)}, {literal(13, 'NaN')}, {literal(14, 'Infinity')}]"
    api = bearer(owner)
    response = api.post(URL, text, content_type="application/json")
    assert response.status_code == 207
    assert [r["index"] for r in response.json()["rejected_rows"]] == [1, 2]
    assert Snapshot.objects.count() == 1


def test_more_than_ten_thousand_rows_is_400_naming_the_limit(pilot, owner):
    batch = rows(pilot, 1) * 10_001
    response = bearer(owner).post(URL, batch, format="json")
    assert response.status_code == 400
    assert "10,000" in response.json()["message"]
    assert Snapshot.objects.count() == 0


def test_exactly_ten_thousand_rows_is_accepted(pilot, owner):
    response = bearer(owner).post(URL, rows(pilot, 10_000), format="json")
    assert response.status_code == 200
    assert response.json()["stored"] == 10_000


@pytest.mark.parametrize(
    "body",
    [
        {"rows": "x"},
        {"nothing": 1},
        "just text",
        5,
        {"rows": [], "source": None},
        {"rows": [], "source": "  "},
        {"rows": [], "errors": {}},  # the envelope takes rows and source, nothing else
    ],
)
def test_malformed_body_is_400(owner, body):
    response = bearer(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_invalid_json_is_400_not_500(owner):
    response = bearer(owner).post(URL, "[{", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_all_rows_invalid_is_400(pilot, owner):
    response = bearer(owner).post(URL, [{"pilot": pilot.pk}], format="json")
    assert response.status_code == 400


def test_without_token_is_401(pilot):
    response = APIClient().post(URL, rows(pilot), format="json")
    assert response.status_code in (401, 403)
    assert Snapshot.objects.count() == 0


def test_wrong_actor_on_visible_pilot_is_403(pilot, outsider):
    response = bearer(outsider).post(URL, rows(pilot), format="json")
    assert response.status_code == 403
    assert {r["code"] for r in response.json()["rejected_rows"]} == {"forbidden"}
    assert Snapshot.objects.count() == 0


def test_hidden_pilot_is_404(confidential_pilot, outsider):
    response = bearer(outsider).post(URL, rows(confidential_pilot), format="json")
    assert response.status_code == 404
    assert Snapshot.objects.count() == 0


def test_forbidden_rows_do_not_block_allowed_ones(pilot, outsider):
    mine = PilotFactory(owner=outsider)
    response = bearer(outsider).post(URL, rows(pilot, 2) + rows(mine, 2), format="json")
    assert response.status_code == 207
    assert Snapshot.objects.filter(pilot=mine).count() == 2
    assert Snapshot.objects.filter(pilot=pilot).count() == 0


def test_push_writes_one_audit_event(pilot, owner):
    before = AuditEvent.objects.filter(action="snapshots.ingest").count()
    bearer(owner).post(URL, rows(pilot, 50), format="json")
    assert AuditEvent.objects.filter(action="snapshots.ingest").count() == before + 1
