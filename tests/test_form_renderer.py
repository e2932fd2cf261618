"""The one field template and error summary every form renders through (FORM_RENDERER)."""

import re

import pytest
from django import forms
from django.urls import reverse

from gates.forms import DecisionForm
from portfolio.forms import PilotForm


class Sample(forms.Form):
    name = forms.CharField(help_text="What people call it.")
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )
    agree = forms.BooleanField(required=False)

    def clean(self):
        if self.data.get("name") == "clash":
            raise forms.ValidationError("These cannot go together.")
        return super().clean()


def _tag(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no element with id {element_id}"
    return match.group(0)


def test_a_field_with_an_error_is_invalid_and_described_by_its_help_and_its_message():
    form = Sample({"name": "", "kind": "a"})
    html = form.render()
    control = _tag(html, "id_name")
    assert 'aria-invalid="true"' in control
    assert 'aria-describedby="id_name_helptext id_name_error"' in control
    # Both ids the control names exist, and the message is in the one it names.
    assert 'id="id_name_helptext"' in html
    error = re.search(r'<div class="field-errors" id="id_name_error"[^>]*>(.*?)</div>', html)
    assert error and "This field is required." in error.group(1)


def test_a_field_without_an_error_is_not_marked_invalid():
    html = Sample({"name": "ok", "kind": "a"}).render()
    control = _tag(html, "id_name")
    assert "aria-invalid" not in control
    assert 'aria-describedby="id_name_helptext"' in control


def test_a_radio_group_is_a_fieldset_described_by_its_error_with_each_option_inline():
    form = DecisionForm({"decision": "bogus"})
    html = form.render()
    fieldset = re.search(r'<fieldset class="field choices has-error"[^>]*>', html).group(0)
    assert 'aria-describedby="id_decision_error"' in fieldset
    assert "<legend>Decision" in html
    # Each radio sits with its own label in one .choice row, and is marked invalid.
    option = re.search(r'<div class="choice">(<input[^>]*id="id_decision_0"[^>]*>)<label', html)
    assert option and 'aria-invalid="true"' in option.group(1)
    assert '<label for="id_decision_0">Approve</label>' in html


def test_a_checkbox_group_and_a_single_checkbox_put_the_box_before_its_label():
    html = Sample({"name": "n", "kind": "a", "tags": ["zzz"]}).render()
    assert re.search(
        r'<fieldset class="field choices has-error" aria-describedby="id_tags_error">', html
    )
    assert re.search(
        r'<div class="choice"><input type="checkbox" name="tags"[^>]*id="id_tags_0"', html
    )
    assert re.search(
        r'<div class="choice"><input type="checkbox" name="agree"[^>]*><label for="id_agree">', html
    )


def test_the_error_summary_links_every_error_to_its_field_and_names_the_field():
    form = Sample({"name": "", "kind": ""})
    html = form.render()
    summary = re.search(r'<div class="error-summary"(.*?)</div>', html, re.S).group(0)
    assert 'tabindex="-1"' in summary and "data-error-summary" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_name", "Name: This field is required."),
        ("id_kind_0", "Kind: This field is required."),  # a group: its first option
    ]
    # Every link's target exists on the page.
    for target, _ in links:
        assert f'id="{target}"' in html


def test_a_form_wide_error_links_to_the_first_field():
    html = Sample({"name": "clash", "kind": "a"}).render()
    assert '<li><a href="#id_name">These cannot go together.</a></li>' in html


def test_an_error_that_already_names_its_field_is_not_named_twice():
    form = Sample({"name": "", "kind": "a"})
    form.is_valid()
    form.errors["name"] = form.error_class(["Name: give it a name."])
    assert form["name"].named_errors == ["Name: give it a name."]


def test_a_form_without_errors_has_no_summary():
    assert "error-summary" not in Sample().render()
    assert "error-summary" not in Sample({"name": "n", "kind": "a"}).render()


@pytest.mark.django_db
def test_pilot_registration_with_errors_shows_the_summary_and_marks_the_fields(owner, client_for):
    response = client_for(owner).post(reverse("portfolio:pilot_create"), {"name": ""})
    html = response.content.decode()
    assert "data-error-summary" in html
    assert '<a href="#id_name">Name: This field is required.</a>' in html
    assert '<a href="#id_business_unit">Business unit: choose one from the list.</a>' in html
    assert 'aria-invalid="true"' in _tag(html, "id_business_unit")
    assert PilotForm  # the form the page uses


@pytest.mark.django_db
def test_workbook_autosave_answers_with_error_holders_the_controls_name(pilot, owner, client_for):
    url = reverse("portfolio:workbook", args=[pilot.pk, "strategy"])
    client = client_for(owner)
    page = client.get(url).content.decode()
    assert 'id="id_annual_volume_error"' in page and 'data-error-for="id_annual_volume"' in page
    answer = client.post(url, {"annual_volume": "lots"}, headers={"HX-Request": "true"})
    html = answer.content.decode()
    holder = re.search(r'<div class="field-errors" id="id_annual_volume_error"[^>]*>', html)
    assert holder and 'hx-swap-oob="true"' in holder.group(0)
    # The autosave refreshes the summary without taking focus from where the owner types.
    assert re.search(r"data-error-summary data-seen", html)
