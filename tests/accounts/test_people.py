"""People pickers: active users, the pilot's role holders first; the server checks the name."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from accounts.people import EVERYONE_ELSE, NOT_ACTIVE, ON_THIS_PILOT, PersonField, people_choices
from portfolio import selectors
from portfolio.workbooks.forms import workbook_form_class
from portfolio.workbooks.spec import SPECS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(pilot, owner):
    tech = UserFactory(username="zed", first_name="Zed", last_name="Tech")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)
    UserFactory(username="amy")
    UserFactory(username="bob", is_active=False)
    return tech


def test_role_holders_come_first_in_role_order_then_everyone_else(pilot, owner, crew):
    choices = people_choices(selectors.pilot_get(user=owner, pk=pilot.pk))
    assert choices[0] == ("", "Choose a person")
    groups = dict(choices[1:])
    assert list(groups) == [ON_THIS_PILOT, EVERYONE_ELSE]
    # The business owner before the technical owner, whatever their names.
    assert [value for value, _ in groups[ON_THIS_PILOT]] == ["owner", "zed"]
    assert groups[ON_THIS_PILOT][1][1] == "Zed Tech (zed) · Technical owner"
    others = [value for value, _ in groups[EVERYONE_ELSE]]
    assert "amy" in others and "owner" not in others
    assert "bob" not in others  # inactive people are not offered


def test_a_stored_person_no_longer_active_stays_visible(pilot, crew):
    choices = dict(people_choices(pilot.pk, keep=("bob",))[1:])
    assert choices[NOT_ACTIVE] == [("bob", "bob (not active)")]


def test_the_choices_take_two_queries_and_are_kept_for_the_pages_other_fields(
    pilot, owner, crew, django_assert_num_queries
):
    loaded = selectors.pilot_get(user=owner, pk=pilot.pk)  # roles prefetched, as pages do
    with django_assert_num_queries(1):
        people_choices(loaded)
        people_choices(loaded, keep=("someone",))


def test_the_field_refuses_an_unknown_or_inactive_person_naming_the_field(crew):
    field = PersonField(label="Quality reviewer")
    with pytest.raises(Exception) as unknown:
        field.clean("ghost")
    assert "Quality reviewer: no user named “ghost”" in str(unknown.value)
    with pytest.raises(Exception) as inactive:
        field.clean("bob")
    assert "Quality reviewer: “bob” is not an active user" in str(inactive.value)
    assert field.clean("amy").username == "amy"
    assert field.clean("") is None


def test_the_workbook_offers_a_select_with_the_pilots_people_first(pilot, owner, crew, client_for):
    html = client_for(owner).get(reverse("portfolio:workbook", args=[pilot.pk, "strategy"]))
    body = html.content.decode()
    start = body.index('<select name="business_owner"')
    select = body[start : body.index("</select>", start)]
    assert select.index('<optgroup label="On this pilot">') < select.index(
        '<optgroup label="Everyone else">'
    )
    assert '<option value="zed">' in select and "bob" not in select
    assert 'list="active-usernames"' not in body  # no more typed usernames


def test_the_workbook_form_still_takes_usernames_as_the_api_sends_them(pilot, crew):
    form_class = workbook_form_class(SPECS["strategy"], ("business_owner", "delivery_lead"))
    form = form_class({"business_owner": "zed", "delivery_lead": "bob"}, instance=None)
    assert not form.is_valid()
    assert form.cleaned_data["business_owner"].username == "zed"
    assert "not an active user" in form.errors["delivery_lead"][0]


def test_assigning_a_role_picks_a_person_by_username(pilot, owner, crew, client_for):
    url = reverse("portfolio:pilot_roles", args=[pilot.pk])
    page = client_for(owner).get(url).content.decode()
    assert '<optgroup label="On this pilot">' in page and "Nobody (clear the role)" in page
    response = client_for(owner).post(url, {"role": "risk_lead", "user": "amy"})
    assert response.status_code == 302
    assert PilotRole.objects.get(pilot=pilot, role="risk_lead").user.username == "amy"
    assert AuditEvent.objects.filter(action="pilot_role.assign", pilot_id=pilot.pk).exists()


def test_assigning_an_inactive_person_is_refused_with_the_field_named(
    pilot, owner, crew, client_for
):
    url = reverse("portfolio:pilot_roles", args=[pilot.pk])
    response = client_for(owner).post(url, {"role": "risk_lead", "user": "bob"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Person: “bob” is not an active user" in body and "data-error-summary" in body
    assert not PilotRole.objects.filter(pilot=pilot, role="risk_lead").exists()


def test_someone_without_a_role_cannot_assign_one(pilot, outsider, crew, client_for):
    url = reverse("portfolio:pilot_roles", args=[pilot.pk])
    response = client_for(outsider).post(url, {"role": "risk_lead", "user": "amy"})
    assert response.status_code in (403, 404)
    assert not PilotRole.objects.filter(pilot=pilot, role="risk_lead").exists()
