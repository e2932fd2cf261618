"""Business units as a managed list: the model, the migration from free text, the services,
the forms, the API and the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import AuditEvent
from portfolio import services
from portfolio.models import BusinessUnit, Pilot
from tests.factories import PilotFactory

BEFORE = ("portfolio", "0003_portfolio_aggregates")
AFTER = ("portfolio", "0004_business_units")


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_messy_free_text_into_one_row_per_unit():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps
        OldPilot = old.get_model("portfolio", "Pilot")
        texts = ["Claims", "claims ", "  CLAIMS", "Claims", "Customer   Service",
                 "customer service", "Legal"]  # fmt: skip
        for index, text in enumerate(texts):
            OldPilot.objects.create(name=f"P{index}", business_unit=text)
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps
        Unit = new.get_model("portfolio", "BusinessUnit")
        NewPilot = new.get_model("portfolio", "Pilot")
        # The spelling most pilots used wins; ties go to the first in sort order.
        assert sorted(Unit.objects.values_list("name", flat=True)) == [
            "Claims",
            "Customer Service",
            "Legal",
        ]
        assert all(u.active for u in Unit.objects.all())
        for pilot in NewPilot.objects.select_related("unit"):
            assert pilot.unit is not None and pilot.business_unit == pilot.unit.name
        claims = Unit.objects.get(name="Claims")
        assert NewPilot.objects.filter(unit=claims).count() == 4
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_names_are_unique_whatever_their_case():
    BusinessUnit.objects.create(name="Treasury")
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessUnit.objects.create(name="TREASURY")
    unit = BusinessUnit(name="  treasury ")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "already exists" in str(error.value)


@pytest.mark.django_db
def test_registering_takes_the_name_in_any_case_and_spacing(owner):
    pilot = services.pilot_create(by=owner, name="Bot", business_unit="  customer   service ")
    assert pilot.unit.name == "Customer Service" and pilot.business_unit == "Customer Service"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "message"),
    [("Nowhere", "“Nowhere” is not on the list"), ("", "choose one from the list")],
)
def test_a_name_not_on_the_list_is_refused_naming_the_field(owner, given, message):
    with pytest.raises(ValidationError) as error:
        services.pilot_create(by=owner, name="Bot", business_unit=given)
    assert message in error.value.message_dict["business_unit"][0]
    assert not Pilot.objects.filter(name="Bot").exists()


@pytest.mark.django_db
def test_a_retired_unit_is_refused_for_others_but_kept_by_its_pilots(owner):
    retired = BusinessUnit.objects.create(name="Retired", active=True)
    pilot = services.pilot_create(by=owner, name="Old", business_unit="Retired")
    BusinessUnit.objects.filter(pk=retired.pk).update(active=False)
    with pytest.raises(ValidationError):
        services.pilot_create(by=owner, name="New", business_unit="Retired")
    # Editing something else keeps the retired unit; moving to it from elsewhere is refused.
    services.pilot_update(pilot=pilot, by=owner, business_unit="Retired", summary="s")
    other = services.pilot_create(by=owner, name="Other", business_unit="Legal")
    with pytest.raises(ValidationError):
        services.pilot_update(pilot=other, by=owner, business_unit="Retired")


@pytest.mark.django_db
def test_moving_a_pilot_to_another_unit_is_audited_by_name(owner):
    pilot = services.pilot_create(by=owner, name="Mover", business_unit="Claims")
    services.pilot_update(pilot=pilot, by=owner, business_unit="legal")
    pilot.refresh_from_db()
    assert pilot.unit.name == "Legal" and pilot.business_unit == "Legal"
    event = AuditEvent.objects.filter(action="pilot.update", object_id=str(pilot.pk)).last()
    assert event.before == {"business_unit": "Claims"} and event.after == {"business_unit": "Legal"}


@pytest.mark.django_db
def test_the_form_offers_only_active_units_as_a_select(owner, client_for):
    BusinessUnit.objects.create(name="Gone", active=False)
    body = client_for(owner).get(reverse("portfolio:pilot_create")).content.decode()
    start = body.index('<select name="business_unit"')
    select = body[start : body.index("</select>", start)]
    assert '<option value="Claims">Claims</option>' in select and "Gone" not in select


@pytest.mark.django_db
def test_the_edit_form_keeps_a_legacy_text_unit_selected(owner, client_for):
    pilot = PilotFactory(name="Legacy", business_unit="Legal", owner=owner)  # text only
    body = client_for(owner).get(reverse("portfolio:pilot_edit", args=[pilot.pk]))
    assert '<option value="Legal" selected>Legal</option>' in body.content.decode()


@pytest.mark.django_db
def test_the_api_keeps_taking_the_name_and_refuses_one_not_on_the_list(owner, api_for):
    api = api_for(owner)
    made = api.post("/api/pilots/", {"name": "API", "business_unit": " claims"}, format="json")
    assert made.status_code == 201 and made.json()["business_unit"] == "Claims"
    refused = api.post("/api/pilots/", {"name": "API2", "business_unit": "Mars"}, format="json")
    assert refused.status_code == 400
    assert "not on the list" in str(refused.json())
    schema = api.get("/api/schema/", {"format": "json"})
    if schema.status_code == 200:
        assert "managed list of business units" in schema.content.decode()


@pytest.mark.django_db
def test_an_admin_adds_and_renames_units_audited_and_pilots_follow(admin_user, owner, client):
    client.force_login(admin_user)
    add = reverse("admin:portfolio_businessunit_add")
    assert client.post(add, {"name": "Research", "active": "on"}).status_code == 302
    unit = BusinessUnit.objects.get(name="Research")
    assert AuditEvent.objects.filter(action="admin.business_unit.create").exists()
    pilot = services.pilot_create(by=owner, name="Lab bot", business_unit="Research")
    change = reverse("admin:portfolio_businessunit_change", args=[unit.pk])
    assert client.post(change, {"name": "R&D", "active": "on"}).status_code == 302
    pilot.refresh_from_db()
    assert pilot.business_unit == "R&D"  # the dashboard's filters and groups follow
    assert AuditEvent.objects.filter(action="admin.business_unit.update").exists()
    duplicate = client.post(add, {"name": "r&d", "active": "on"})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()


@pytest.mark.django_db
def test_a_governance_lead_with_admin_access_cannot_manage_units(governance_lead, client):
    governance_lead.is_staff = True
    governance_lead.save(update_fields=["is_staff"])
    client.force_login(governance_lead)
    add = reverse("admin:portfolio_businessunit_add")
    assert client.post(add, {"name": "Shadow", "active": "on"}).status_code == 403
    unit = BusinessUnit.objects.get(name="Claims")
    change = reverse("admin:portfolio_businessunit_change", args=[unit.pk])
    assert client.post(change, {"name": "Hijacked", "active": "on"}).status_code == 403
    unit.refresh_from_db()
    assert unit.name == "Claims" and not BusinessUnit.objects.filter(name="Shadow").exists()
    assert not AuditEvent.objects.filter(action__startswith="admin.business_unit").exists()


@pytest.mark.django_db
def test_no_one_deletes_a_unit_in_the_admin(admin_user, client):
    client.force_login(admin_user)
    unit = BusinessUnit.objects.get(name="Claims")
    delete = reverse("admin:portfolio_businessunit_delete", args=[unit.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert BusinessUnit.objects.filter(pk=unit.pk).exists()
