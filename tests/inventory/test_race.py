"""Two material changes to one live pilot at once, on real concurrent PostgreSQL
connections: one opens its change review, the other is refused 409 naming it."""

import pytest

from config.errors import Conflict
from gates.models import Review
from inventory import services
from inventory.models import AIModel, ChangeRequest, PilotAsset
from tests.gates.test_concurrency import run_at_once
from tests.inventory.conftest import make_pilot
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_two_material_changes_at_once_yield_one_open_request(
    owner, technical_owner, change_rules, vendor, round_
):
    require_postgres()
    pilot = make_pilot(owner, technical_owner, stage="scale")
    old = AIModel.objects.create(provider="P", name="M", version="1", vendor=vendor)
    link = PilotAsset.objects.create(pilot=pilot, kind="model", model=old, purpose="x")
    targets = [
        AIModel.objects.create(provider="P", name="M", version=f"{2 + i}", vendor=vendor)
        for i in range(2)
    ]

    def change_to(target, by):
        def call():
            return services.change_request(
                pilot=pilot, by=by, kind="model", link=link, to_asset=target
            )

        return call

    outcomes = run_at_once(change_to(targets[0], owner), change_to(targets[1], technical_owner))
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    winner = next(value for kind, value in outcomes if kind == "ok").change
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, Conflict) and f"#{winner.pk}" in loser.message
    assert ChangeRequest.objects.filter(pilot=pilot).count() == 1
    assert Review.objects.filter(pilot=pilot, kind="change", status="pending").count() == 1


def test_the_same_external_id_twice_at_once_stores_one_change(
    owner, technical_owner, change_rules, vendor
):
    require_postgres()
    pilot = make_pilot(owner, technical_owner, stage="discovery")

    def post():
        return services.change_request(
            pilot=pilot, by=owner, kind="vendor", to_asset=vendor, purpose="Hosting",
            external_id="deploy-7",
        )  # fmt: skip

    outcomes = run_at_once(post, post)
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    created = sorted(value.created for _, value in outcomes)
    assert created == [False, True]
    assert len({value.change.pk for _, value in outcomes}) == 1
    assert ChangeRequest.objects.filter(pilot=pilot).count() == 1
