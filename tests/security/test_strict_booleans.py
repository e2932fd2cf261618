"""A yes/no field takes a boolean (or the page form's own values) and refuses the rest.

Django's and DRF's boolean fields guess: "no" and 2 became true, "maybe" became unknown.
Each entry point here gets values that are not booleans and must answer 400 naming the
field, with nothing of that value stored.
"""

import importlib
import inspect

import pytest
from django import forms
from django.urls import reverse
from rest_framework import serializers

from accounts.models import AuditEvent
from config.fields import StrictBooleanField as StrictApiBoolean
from config.forms import StrictBooleanField, StrictNullBooleanField
from gates.forms import ChecklistAttachForm, CriterionForm
from metrics import pulls
from metrics.models import MetricSource
from portfolio.models import Pilot
from portfolio.workbooks import models as m
from portfolio.workbooks.forms import row_form_class, workbook_form_class
from portfolio.workbooks.spec import SPECS

pytestmark = pytest.mark.django_db

NOT_BOOLEANS_JSON = ["no", "yes", "maybe", "true", "false", "", 2, 1, 0, 0.5, "on"]
NOT_BOOLEANS_FORM = ["no", "yes", "maybe", "2", "1", "0", "TRUE!", "unknownish"]


def workbook_api(pilot, phase):
    return f"/api/pilots/{pilot.pk}/workbooks/{phase}/"


DATA_SOURCE = {
    "system": "CRM",
    "fields": "case id",
    "data_owner": "Ops",
    "extraction_method": "api",
    "freshness": "hourly",
}


# --- workbook API ------------------------------------------------------------------


@pytest.mark.parametrize("value", NOT_BOOLEANS_JSON)
def test_workbook_api_refuses_a_yes_no_field_that_is_not_a_json_boolean(
    pilot, owner, api_for, value
):
    m.DeploymentWorkbook.objects.create(pilot=pilot, prior_workflow_kept=False, fallback="old")
    response = api_for(owner).patch(
        workbook_api(pilot, "deployment"),
        {"prior_workflow_kept": value, "fallback": "manual queue"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "prior_workflow_kept" in body["errors"] and "prior_workflow_kept" in body["message"]
    workbook = m.DeploymentWorkbook.objects.get(pilot=pilot)
    assert workbook.prior_workflow_kept is False
    assert workbook.fallback == "manual queue"  # the valid field of the request is kept


@pytest.mark.parametrize("value", [True, False, None])
def test_workbook_api_stores_real_booleans_and_null_as_unknown(pilot, owner, api_for, value):
    m.DeploymentWorkbook.objects.create(pilot=pilot, prior_workflow_kept=not value)
    response = api_for(owner).patch(
        workbook_api(pilot, "deployment"), {"prior_workflow_kept": value}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["prior_workflow_kept"] is value
    assert m.DeploymentWorkbook.objects.get(pilot=pilot).prior_workflow_kept is value


@pytest.mark.parametrize("value", [*NOT_BOOLEANS_JSON, None])
def test_data_source_row_with_a_non_boolean_approval_is_refused(pilot, owner, api_for, value):
    response = api_for(owner).patch(
        workbook_api(pilot, "data"),
        {"data_sources": [{**DATA_SOURCE, "access_approved": value}]},
        format="json",
    )
    assert response.status_code == 400
    assert "data_sources[0].access_approved" in response.json()["errors"]
    assert not m.DataSource.objects.exists()
    assert not AuditEvent.objects.filter(action="workbook.update").exists()


@pytest.mark.parametrize("value", [True, False])
def test_data_source_row_with_a_boolean_approval_is_stored(pilot, owner, api_for, value):
    response = api_for(owner).patch(
        workbook_api(pilot, "data"),
        {"data_sources": [{**DATA_SOURCE, "access_approved": value}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert m.DataSource.objects.get(pilot=pilot).access_approved is value


@pytest.mark.parametrize("value", NOT_BOOLEANS_FORM)
def test_form_encoded_workbook_api_takes_only_the_forms_own_values(pilot, owner, api_for, value):
    client = api_for(owner)
    refused = client.patch(
        workbook_api(pilot, "deployment"),
        f"prior_workflow_kept={value}",
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 400
    assert "prior_workflow_kept" in refused.json()["errors"]
    assert not m.DeploymentWorkbook.objects.filter(prior_workflow_kept__isnull=False).exists()
    accepted = client.patch(
        workbook_api(pilot, "deployment"),
        "prior_workflow_kept=false",
        content_type="application/x-www-form-urlencoded",
    )
    assert accepted.status_code == 200, accepted.json()
    assert m.DeploymentWorkbook.objects.get(pilot=pilot).prior_workflow_kept is False


# --- workbook pages ----------------------------------------------------------------


@pytest.mark.parametrize("value", NOT_BOOLEANS_FORM)
def test_workbook_page_refuses_a_yes_no_value_it_never_offers(pilot, owner, client_for, value):
    url = reverse("portfolio:workbook", args=[pilot.pk, "deployment"])
    response = client_for(owner).post(url, {"prior_workflow_kept": value})
    assert response.status_code == 400
    assert "prior_workflow_kept" in response.context["result"].errors
    assert "Choose yes or no" in response.content.decode()
    assert not m.DeploymentWorkbook.objects.filter(prior_workflow_kept__isnull=False).exists()


@pytest.mark.parametrize(("sent", "stored"), [("true", True), ("false", False), ("unknown", None)])
def test_workbook_page_stores_its_own_yes_no_values(pilot, owner, client_for, sent, stored):
    url = reverse("portfolio:workbook", args=[pilot.pk, "deployment"])
    response = client_for(owner).post(url, {"prior_workflow_kept": sent, "fallback": "x"})
    assert response.status_code == 302
    assert m.DeploymentWorkbook.objects.get(pilot=pilot).prior_workflow_kept is stored


@pytest.mark.parametrize("value", NOT_BOOLEANS_FORM)
def test_data_source_row_form_refuses_a_checkbox_value_it_never_sends(
    pilot, owner, client_for, value
):
    add = reverse("portfolio:workbook_row_add", args=[pilot.pk, "data", "data_sources"])
    data = {f"data_sources-{k}": v for k, v in DATA_SOURCE.items()}
    response = client_for(owner).post(add, {**data, "data_sources-access_approved": value})
    assert response.status_code == 400
    assert "Choose yes or no" in response.content.decode()
    assert not m.DataSource.objects.exists()
    # The checkbox ticked sends "on"; unticked sends nothing.
    client_for(owner).post(add, {**data, "data_sources-access_approved": "on"})
    client_for(owner).post(add, {**data, "data_sources-system": "ERP"})
    approved = dict(m.DataSource.objects.values_list("system", "access_approved"))
    assert approved == {"CRM": True, "ERP": False}


# --- other pages and the API serializers -------------------------------------------


def test_pilot_page_form_refuses_a_non_boolean_confidential_flag(owner, client_for):
    data = {"name": "Refund bot", "business_unit": "CS", "summary": "", "risk_tier": "low"}
    response = client_for(owner).post(
        reverse("portfolio:pilot_create"), {**data, "confidential": "no"}
    )
    assert "confidential" in response.context["form"].errors
    assert not Pilot.objects.exists()
    client_for(owner).post(reverse("portfolio:pilot_create"), {**data, "confidential": "on"})
    assert Pilot.objects.get().confidential is True


@pytest.mark.parametrize("value", ["no", "maybe", 2, "true"])
def test_pilot_api_refuses_a_non_boolean_confidential_flag(owner, api_for, value):
    body = {"name": "Bot", "business_unit": "CS", "risk_tier": "low", "confidential": value}
    response = api_for(owner).post("/api/pilots/", body, format="json")
    assert response.status_code == 400 and "confidential" in response.json()["errors"]
    assert not Pilot.objects.exists()


@pytest.fixture
def source(pilot, owner):
    return pulls.source_create(
        pilot=pilot,
        by=owner,
        name="Status",
        kind="http_json",
        config={
            "url": "https://status.example.com/m.json",
            "metrics": [{"metric": "uptime_pct", "path": "$.up"}],
        },
    )


@pytest.mark.parametrize("field", ["enabled", "clear_secret"])
@pytest.mark.parametrize("value", ["no", "maybe", 2, 0, "false"])
def test_source_api_refuses_non_boolean_flags(source, owner, api_for, field, value):
    response = api_for(owner).patch(f"/api/sources/{source.pk}/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert MetricSource.objects.get(pk=source.pk).enabled is True


def test_source_page_refuses_a_non_boolean_enabled_flag(source, owner, client_for):
    form = {
        "name": "Status",
        "kind": "http_json",
        "url": "https://status.example.com/m.json",
        "mapping": "uptime_pct | $.up",
        "step_seconds": "60",
        "interval_minutes": "15",
    }
    edit = reverse("metrics:source_edit", args=[source.pk])
    response = client_for(owner).post(edit, {**form, "enabled": "no"})
    assert "Choose yes or no" in response.content.decode()
    assert MetricSource.objects.get(pk=source.pk).enabled is True
    client_for(owner).post(edit, form)  # unticked
    assert MetricSource.objects.get(pk=source.pk).enabled is False


@pytest.mark.parametrize("form_class", [CriterionForm, ChecklistAttachForm])
def test_gate_forms_refuse_a_non_boolean_mandatory_flag(form_class):
    form = form_class({"mandatory": "maybe"})
    assert not form.is_valid() and "mandatory" in form.errors


# --- guards: no lenient boolean field left anywhere --------------------------------

APP_MODULES = [
    "accounts.forms",
    "gates.forms",
    "metrics.sources.forms",
    "portfolio.forms",
    "dashboard.forms",
    "portfolio.workbooks.forms",
    "accounts.api",
    "gates.api",
    "gates.serializers",
    "metrics.api",
    "metrics.sources.api",
    "portfolio.api",
    "portfolio.serializers",
    "dashboard.api",
    "portfolio.workbooks.api",
]


def _classes(base):
    for name in APP_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__ == name:
                yield cls


def _form_booleans(form_class):
    fields = form_class.base_fields  # declared fields and, for model forms, the model's
    return {
        n: f
        for n, f in fields.items()
        if isinstance(f, forms.BooleanField | forms.NullBooleanField)
    }


def test_every_form_boolean_of_pages_and_workbooks_is_strict():
    form_classes = list(_classes(forms.BaseForm))
    for spec in SPECS.values():
        form_classes.append(workbook_form_class(spec))
        form_classes += [row_form_class(list_spec) for list_spec in spec.lists]
    found = {}
    for form_class in form_classes:
        for name, field in _form_booleans(form_class).items():
            found[f"{form_class.__name__}.{name}"] = field
    assert {"DeploymentWorkbookForm.prior_workflow_kept", "DataSourceForm.access_approved"} <= set(
        found
    )
    lenient = [
        n
        for n, f in found.items()
        if not isinstance(f, StrictBooleanField | StrictNullBooleanField)
    ]
    assert lenient == []


def test_every_writable_api_boolean_is_strict():
    found = {}
    for serializer_class in _classes(serializers.BaseSerializer):
        fields = serializer_class().fields
        for name, field in fields.items():
            if isinstance(field, serializers.BooleanField) and not field.read_only:
                found[f"{serializer_class.__name__}.{name}"] = field
    assert {"PilotSerializer.confidential", "MetricSourceSerializer.enabled"} <= set(found)
    assert [n for n, f in found.items() if not isinstance(f, StrictApiBoolean)] == []
