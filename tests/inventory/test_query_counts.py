"""The inventory's list and detail pages and the pilot page's section read a fixed number
of queries whatever the amount of data (pinned at two sizes)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import AIModel, PilotAsset, Vendor
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def grow(vendor, owner, n: int) -> None:
    start = AIModel.objects.count()
    for i in range(n):
        model = AIModel.objects.create(provider="P", name="M", version=f"{start + i}",
                                       vendor=vendor)  # fmt: skip
        pilot = PilotFactory(owner=owner, stage="scale")
        PilotAsset.objects.create(pilot=pilot, kind="model", model=model, purpose="x")
        PilotAsset.objects.create(pilot=pilot, kind="vendor", vendor=vendor, purpose="y")


def test_list_and_detail_pages_do_not_grow_with_the_data(client_for, owner):
    vendor = Vendor.objects.create(name="V")
    client = client_for(owner)
    grow(vendor, owner, 2)
    small = [queries(client, "/inventory/model/"), queries(client, vendor.get_absolute_url())]
    grow(vendor, owner, 8)
    large = [queries(client, "/inventory/model/"), queries(client, vendor.get_absolute_url())]
    assert small == large


def test_the_pilot_section_does_not_grow_with_links(client_for, owner):
    vendor = Vendor.objects.create(name="V")
    pilot = PilotFactory(owner=owner, stage="scale")
    client = client_for(owner)
    PilotAsset.objects.create(pilot=pilot, kind="vendor", vendor=vendor, purpose="x")
    small = queries(client, pilot.get_absolute_url())
    for i in range(6):
        model = AIModel.objects.create(provider="P", name="M", version=str(i), vendor=vendor)
        PilotAsset.objects.create(pilot=pilot, kind="model", model=model, purpose="x")
    assert queries(client, pilot.get_absolute_url()) == small
