"""Bulk import of pilots: the dry run, per-row errors, all-or-nothing, who may, bad files."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.audit import audit_verify
from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from onboarding import services
from onboarding.models import BatchStatus, ImportBatch
from outbox.models import Event
from portfolio.models import Pilot
from portfolio.workbooks.models import StrategyWorkbook
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "name,business_unit,business_owner,technical_owner,stage,risk_tier,confidential,"
    "summary,business_problem,kpi,expected_annual_benefit,annual_volume\n"
)


@pytest.fixture
def people(db):
    return {
        "olivia": UserFactory(username="olivia", email="olivia@example.com", roles=["contributor"]),
        "tom": UserFactory(username="tom", email="tom@example.com", roles=["contributor"]),
    }


def csv_file(body: str, name: str = "pilots.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + body).encode(), content_type="text/csv")


GOOD = (
    "Invoice matching,Finance,olivia,tom@example.com,Scale,High,no,Matches invoices,"
    "Manual matching is slow,Days to close,250000,120000\n"
    "Claims summariser,Claims,OLIVIA@example.com,,pilot,medium,yes,,,,,\n"
)


def portfolio_writes() -> dict:
    return {
        "pilots": Pilot.objects.count(),
        "roles": PilotRole.objects.count(),
        "workbooks": StrategyWorkbook.objects.count(),
        "pilot_audit": AuditEvent.objects.exclude(pilot_id=None).count(),
    }


def test_dry_run_writes_nothing_then_the_import_writes_everything(admin_user, people):
    before = portfolio_writes()
    batch = services.import_preview(by=admin_user, upload=csv_file(GOOD))
    assert portfolio_writes() == before
    assert batch.plan["counts"] == {"create": 2, "update": 0, "unchanged": 0, "error": 0}
    first = batch.plan["rows"][0]
    assert first["changes"][0] == "New pilot in Finance, Scale, high risk"
    assert services.import_confirm(by=admin_user, batch=batch) == {"created": 2, "updated": 0}
    invoice = Pilot.objects.get(name="Invoice matching")
    assert (invoice.stage, invoice.risk_tier, invoice.confidential) == ("scale", "high", False)
    assert invoice.holder("business_owner") == people["olivia"]
    assert invoice.holder("technical_owner") == people["tom"]
    assert not PilotRole.objects.filter(pilot=invoice, user=admin_user).exists()
    workbook = StrategyWorkbook.objects.get(pilot=invoice)
    assert workbook.kpi == "Days to close" and workbook.annual_volume == 120000
    claims = Pilot.objects.get(name="Claims summariser")
    assert (claims.stage, claims.confidential) == ("pilot", True)
    # The stage is an administrative move by the importer, not a review.
    move = AuditEvent.objects.get(action="pilot.transition", pilot_id=invoice.pk)
    assert move.actor_id == admin_user.pk
    assert move.after["reason"] == "Imported from pilots.csv"
    assert not invoice.reviews.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED
    assert AuditEvent.objects.filter(action="import.confirm").exists()
    # Every write is in the audit chain, and the chain still holds.
    actions = AuditEvent.objects.filter(pilot_id=invoice.pk).values_list("action", flat=True)
    assert sorted(actions) == [
        "pilot.create", "pilot.transition", "pilot_role.assign", "pilot_role.assign",
        "workbook.update",
    ]  # fmt: skip
    assert audit_verify().ok
    assert Event.objects.filter(type="pilot.stage_changed", pilot_id=invoice.pk).exists()


def test_each_bad_row_names_its_column_and_nothing_is_imported(admin_user, people):
    body = (
        GOOD
        + "Ghost owner,Finance,nobody,,,,,,,,,\n"
        + "Bad stage,Finance,olivia,,Production,,,,,,,\n"
        + "Bad number,Finance,olivia,,,,,,,,lots,\n"
        + "Bad unit,Atlantis,olivia,,,,,,,,,\n"
        + "Invoice Matching,Finance,olivia,,,,,,,,,\n"
        + ",Finance,olivia,,,,,,,,,\n"
    )
    batch = services.import_preview(by=admin_user, upload=csv_file(body))
    errors = {r["key"]: r["errors"] for r in batch.plan["rows"] if r["errors"]}
    assert errors["Ghost owner"] == ["business_owner: no user has the username or email “nobody”"]
    assert errors["Bad stage"][0].startswith("stage: “Production” is not one of")
    assert errors["Bad number"][0].startswith("expected_annual_benefit: ")
    assert errors["Bad unit"] == ["business_unit: “Atlantis” is not on the list of business units"]
    assert errors["Invoice Matching"] == [
        "name: “Invoice Matching” is also on row 2; give one row per pilot"
    ]
    assert errors["(row 9)"] == ["name: required; give the pilot's name"]
    assert batch.plan["counts"]["error"] == 6
    before = portfolio_writes()
    with pytest.raises(Conflict):
        services.import_confirm(by=admin_user, batch=batch)
    assert portfolio_writes() == before


def test_a_missing_required_column_refuses_the_file(admin_user, people):
    upload = SimpleUploadedFile("p.csv", b"name,stage\nA,pilot\n")
    with pytest.raises(ValidationError) as exc:
        services.import_preview(by=admin_user, upload=upload)
    assert exc.value.message_dict["file"] == [
        "File: the header row lacks the required columns business_unit, business_owner."
    ]
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "content, name",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv"),
        (b"PK\x03\x04not really a zip", "book.xlsx"),
        ("name;x\n".encode("utf-16"), "wide.csv"),
    ],
)
def test_a_file_that_is_not_csv_or_excel_is_refused(admin_user, content, name):
    with pytest.raises(ValidationError) as exc:
        services.import_preview(by=admin_user, upload=SimpleUploadedFile(name, content))
    assert exc.value.message_dict["file"][0].startswith("File: ")


def test_an_oversized_file_is_refused(admin_user, people, settings):
    settings.PILOTGATE_IMPORT_MAX_BYTES = 200
    with pytest.raises(ValidationError) as exc:
        services.import_preview(by=admin_user, upload=csv_file(GOOD * 5))
    assert "the limit is" in exc.value.message_dict["file"][0]


def test_too_many_rows_are_refused(admin_user, people, settings):
    settings.PILOTGATE_IMPORT_MAX_ROWS = 1
    with pytest.raises(ValidationError) as exc:
        services.import_preview(by=admin_user, upload=csv_file(GOOD))
    assert "more than 1 rows" in exc.value.message_dict["file"][0]


def test_excel_imports_like_csv(admin_user, people):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Business unit", "Business owner", "Stage", "Annual volume", "Notes"])
    sheet.append(["Forecasting", "Sales", "tom", "Readiness", 1500.0, "ignored"])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("pilots.xlsx", data.getvalue())
    batch = services.import_preview(by=admin_user, upload=upload)
    assert batch.plan["ignored_columns"] == ["notes"]
    assert batch.plan["counts"]["create"] == 1
    services.import_confirm(by=admin_user, batch=batch)
    pilot = Pilot.objects.get(name="Forecasting")
    assert pilot.stage == "readiness" and pilot.strategyworkbook.annual_volume == 1500


def test_an_existing_pilot_is_changed_and_an_equal_one_left(admin_user, people, owner):
    existing = PilotFactory(name="Invoice matching", owner=owner, risk_tier="low")
    batch = services.import_preview(by=admin_user, upload=csv_file(
        "invoice MATCHING,Finance,olivia,,Pilot,High,,,,,,\n"
    ))  # fmt: skip
    row = batch.plan["rows"][0]
    assert row["action"] == "update" and row["target_id"] == existing.pk
    assert "Risk tier: Low → High" in row["changes"]
    assert "Business owner: owner → olivia" in row["changes"]
    assert "Stage: Discovery → Pilot" in row["changes"]
    services.import_confirm(by=admin_user, batch=batch)
    existing.refresh_from_db()
    assert (existing.risk_tier, existing.stage) == ("high", "pilot")
    assert existing.holder("business_owner") == people["olivia"]
    again = services.import_preview(by=admin_user, upload=csv_file(
        "Invoice matching,Finance,olivia,,Pilot,High,,,,,,\n"
    ))  # fmt: skip
    assert again.plan["counts"] == {"create": 0, "update": 0, "unchanged": 1, "error": 0}, (
        again.plan
    )


def test_an_existing_pilots_workbook_is_not_changed_by_import(admin_user, people, owner):
    PilotFactory(name="Invoice matching", owner=owner)
    batch = services.import_preview(by=admin_user, upload=csv_file(
        "Invoice matching,Finance,olivia,,,,,,,New KPI,,\n"
    ))  # fmt: skip
    assert batch.plan["rows"][0]["errors"][0].startswith("kpi: the pilot exists")


def test_a_change_between_preview_and_import_refuses_the_import(admin_user, people, owner):
    batch = services.import_preview(by=admin_user, upload=csv_file(GOOD))
    PilotFactory(name="Claims summariser", owner=owner)  # someone registered it meanwhile
    with pytest.raises(services.PlanChanged):
        services.import_confirm(by=admin_user, batch=batch)
    assert not Pilot.objects.filter(name="Invoice matching").exists()


def test_a_batch_imports_once(admin_user, people):
    batch = services.import_preview(by=admin_user, upload=csv_file(GOOD))
    services.import_confirm(by=admin_user, batch=batch)
    with pytest.raises(Conflict):
        services.import_confirm(by=admin_user, batch=batch)
    assert Pilot.objects.filter(name="Invoice matching").count() == 1


@pytest.mark.parametrize("actor", ["governance_lead", "owner", "executive"])
def test_only_admins_import(request, admin_user, people, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        services.import_preview(by=user, upload=csv_file(GOOD))
    batch = services.import_preview(by=admin_user, upload=csv_file(GOOD))
    with pytest.raises(PermissionDenied):
        services.import_confirm(by=user, batch=batch)
    assert not Pilot.objects.exists()


# --- pages ------------------------------------------------------------------------------


def test_upload_preview_import_through_the_pages(admin_user, people, client_for):
    client = client_for(admin_user)
    page = client.get(reverse("onboarding:upload"))
    assert page.status_code == 200 and "business_owner" in page.content.decode()
    response = client.post(reverse("onboarding:upload"), {"file": csv_file(GOOD)})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    preview = client.get(reverse("onboarding:preview", args=[batch.pk])).content.decode()
    assert "Every row can be imported" in preview and "Import 2 pilots" in preview
    assert not Pilot.objects.exists()
    done = client.post(reverse("onboarding:confirm", args=[batch.pk]), follow=True)
    assert "2 pilots created, 0 updated" in done.content.decode()
    assert Pilot.objects.count() == 2


def test_the_upload_page_says_what_is_wrong_with_a_file(admin_user, client_for):
    client = client_for(admin_user)
    bad = SimpleUploadedFile("x.csv", b"just,a,header\n")
    response = client.post(reverse("onboarding:upload"), {"file": bad})
    assert response.status_code == 400
    assert "the header row lacks the required columns" in response.content.decode()


def test_the_pages_refuse_non_admins(governance_lead, client_for):
    client = client_for(governance_lead)
    assert client.get(reverse("onboarding:upload")).status_code == 403
    assert client.get(reverse("onboarding:template_csv")).status_code == 403


def test_the_template_lists_every_column(admin_user, client_for):
    body = client_for(admin_user).get(reverse("onboarding:template_csv")).content.decode()
    assert body.splitlines()[0].startswith("name,business_unit,business_owner,technical_owner")
