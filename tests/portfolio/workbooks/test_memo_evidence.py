from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from portfolio.workbooks import models as m
from portfolio.workbooks.demo import fill
from portfolio.workbooks.memo import md_escape
from portfolio.workbooks.provides import economic_case_for, workbook_facts
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def strategy(pilot, owner):
    workbook = m.StrategyWorkbook.objects.create(
        pilot=pilot,
        business_owner=owner,
        delivery_lead=owner,
        target_workflow="Claims intake <to> routing",
        primary_risk="Wrong *queue*",
        readiness_criteria="Accuracy over 95%",
        expected_annual_benefit=Decimal("250000"),
        annual_volume=Decimal("100000"),
        cost_per_transaction=Decimal("0.25"),
        human_review_rate_pct=Decimal("10"),
        minutes_per_review=Decimal("3"),
        loaded_hourly_cost=Decimal("60"),
        failure_handling_cost=Decimal("5000"),
        one_time_build_cost=Decimal("90000"),
    )
    m.SuccessMetric.objects.create(
        pilot=pilot, metric_id="hallucination_rate", baseline=6, target=2, how_measured="QA"
    )
    m.StopCondition.objects.create(
        pilot=pilot,
        metric_id="hallucination_rate",
        threshold=8,
        by_date=date.today() + timedelta(days=30),
        action="end",
    )
    return workbook


def test_economic_case_for_reads_the_strategy_workbook(strategy, pilot):
    case = economic_case_for(pilot)
    assert case.annual_run_cost == Decimal("25000.00")
    assert case.annual_review_cost == Decimal("30000.00")
    assert case.total_annual_cost == Decimal("60000.00")
    assert case.net_annual_value == Decimal("190000.00")
    assert case.payback_months == Decimal("5.7")
    assert case.roi_pct == Decimal("66.7")
    assert case.complete


def test_economic_case_of_an_empty_workbook_is_never_paid_back(owner):
    case = economic_case_for(PilotFactory(owner=owner))
    assert case.payback_label == "never" and case.roi_pct is None and not case.complete


def test_memo_page_markdown_and_pdf(strategy, pilot, executive, client_for):
    client = client_for(executive)
    page = client.get(reverse("portfolio:memo", args=[pilot.pk])).content.decode()
    assert "Claims intake &lt;to&gt; routing" in page and "5.7 months" in page
    assert "€190,000.00" in page and "€60,000.00" in page
    assert "Hallucination rate: from 6% to 2%" in page
    md = client.get(reverse("portfolio:memo_markdown", args=[pilot.pk]))
    assert md["Content-Type"].startswith("text/markdown")
    assert 'filename="decision-memo-claims-triage.md"' in md["Content-Disposition"]
    text = md.content.decode()
    assert "# Decision memo: Claims triage" in text
    assert "Claims intake \\<to\\> routing" in text and "Wrong \\*queue\\*" in text
    assert "**Net annual value:** €190,000.00" in text and "**Payback:** 5.7 months" in text
    pdf = client.get(reverse("portfolio:memo_pdf", args=[pilot.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_memo_of_hidden_pilot_is_404(confidential_pilot, outsider, client_for):
    for name in ("memo", "memo_markdown", "memo_pdf"):
        url = reverse(f"portfolio:{name}", args=[confidential_pilot.pk])
        assert client_for(outsider).get(url).status_code == 404


def test_pdf_survives_characters_outside_latin1(pilot, owner, client_for):
    m.StrategyWorkbook.objects.create(pilot=pilot, primary_risk="“Quoted” — 日本語 ✓")
    pdf = client_for(owner).get(reverse("portfolio:memo_pdf", args=[pilot.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_md_escape_neutralises_markdown_and_html():
    assert md_escape("<b>[x](y)</b> *a*") == "\\<b\\>\\[x\\](y)\\</b\\> \\*a\\*"


def _upload(name, content, client, pilot, category="functional"):
    url = reverse("portfolio:workbook_row_add", args=[pilot.pk, "deployment", "test_results"])
    return client.post(
        url,
        {
            "test_results-category": category,
            "test_results-status": "passed",
            "test_results-evidence_upload": SimpleUploadedFile(name, content),
        },
    )


def test_evidence_upload_is_served_only_to_readers(
    pilot, confidential_pilot, owner, executive, outsider, client_for
):
    assert _upload("report.pdf", PDF, client_for(owner), pilot).status_code == 302
    stored = m.EvidenceFile.objects.get()
    assert m.TestResult.objects.get().evidence_file == stored
    url = reverse("portfolio:evidence", args=[pilot.pk, stored.pk])
    response = client_for(executive).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    # The same file asked for under another pilot's URL does not exist.
    wrong = reverse("portfolio:evidence", args=[confidential_pilot.pk, stored.pk])
    assert client_for(owner).get(wrong).status_code == 404
    event = AuditEvent.objects.get(action="workbook.row_add")
    assert event.after["evidence_file"] == "report.pdf"


def test_evidence_of_a_confidential_pilot_is_404_for_outsiders(
    confidential_pilot, owner, outsider, client_for
):
    assert _upload("r.pdf", PDF, client_for(owner), confidential_pilot).status_code == 302
    stored = m.EvidenceFile.objects.get()
    url = reverse("portfolio:evidence", args=[confidential_pilot.pk, stored.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(owner).get(url).status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<script>alert(1)</script>", "are not accepted"),
        ("run.exe", b"MZ....", "are not accepted"),
        ("fake.pdf", b"<html>not a pdf</html>", "not a real .pdf file"),
        ("big.txt", b"x" * 2048, "larger than"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_bad_evidence_files_are_refused_with_a_reason(
    name, content, message, pilot, owner, client_for, settings
):
    settings.PILOTGATE_UPLOAD_MAX_BYTES = 1024
    response = _upload(name, content, client_for(owner), pilot)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not m.EvidenceFile.objects.exists() and not m.TestResult.objects.exists()


def test_bias_review_evidence_file_on_the_data_workbook(pilot, owner, client_for):
    url = reverse("portfolio:workbook", args=[pilot.pk, "data"])
    response = client_for(owner).post(
        url,
        {
            "bias_review": "Checked regions",
            "bias_review_evidence_upload": SimpleUploadedFile("review.txt", b"findings"),
        },
    )
    assert response.status_code == 302
    workbook = m.DataWorkbook.objects.get(pilot=pilot)
    assert workbook.bias_review_evidence_file.name == "review.txt"
    page = client_for(owner).get(url).content.decode()
    assert "review.txt" in page and "8\xa0bytes" in page and "uploaded by" in page
    bad = client_for(owner).post(
        url,
        {
            "acceptance_criteria": "Kept",
            "bias_review_evidence_upload": SimpleUploadedFile("x.svg", b"<svg/>"),
        },
    )
    assert bad.status_code == 400 and "are not accepted" in bad.content.decode()
    assert m.DataWorkbook.objects.get(pilot=pilot).acceptance_criteria == "Kept"


@pytest.mark.parametrize(
    ("stage", "complete"),
    [
        ("discovery", [False] * 5),
        ("pilot", [True, False, False, False, False]),
        ("readiness", [True, True, False, False, False]),
        ("scale", [True] * 5),
    ],
)
def test_demo_fills_workbooks_to_fit_the_stage(stage, complete, owner, technical_owner):
    from accounts.models import PilotRole

    pilot = PilotFactory(owner=owner, stage=stage)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    assert fill(pilot, {"rita": owner}) is True
    facts = workbook_facts(pilot)
    assert [f.complete for f in facts.values()] == complete
    assert facts["strategy"].lists["success_metrics"] >= 1
    assert fill(pilot, {"rita": owner}) is False  # idempotent


def test_memo_names_the_operations_lead_as_operational_owner(strategy, pilot, owner, client_for):
    from accounts.models import PilotRole
    from tests.factories import UserFactory

    md_url = reverse("portfolio:memo_markdown", args=[pilot.pk])
    assert ", delivery lead" in client_for(owner).get(md_url).content.decode()
    ops = UserFactory(username="olly", first_name="Olly", last_name="Ops", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    assert "Olly Ops (olly), operations lead" in client_for(owner).get(md_url).content.decode()


def test_memo_and_economic_case_show_every_amount_with_the_currency(
    strategy, pilot, owner, client_for
):
    from tests.money_scan import bare_amounts, money_cells, section

    client = client_for(owner)
    memo = client.get(reverse("portfolio:memo", args=[pilot.pk])).content.decode()
    assert bare_amounts(memo) == [] and money_cells(memo) == 3
    assert "-€" not in memo and "€250,000.00" in memo
    text = client.get(reverse("portfolio:memo_markdown", args=[pilot.pk])).content.decode()
    assert "- **Expected annual benefit:** €250,000.00" in text
    assert "- **Total annual cost:** €60,000.00" in text
    page = client.get(reverse("portfolio:workbook", args=[pilot.pk, "strategy"])).content.decode()
    case = section(page, 'id="economic-case"')
    assert bare_amounts(case) == [] and money_cells(case) == 6
    # The inputs say which currency to type amounts in; volumes and rates do not.
    for label in (
        "Expected annual benefit (EUR)",
        "Cost per transaction (EUR)",
        "Loaded hourly cost of a reviewer (EUR)",
        "Failure-handling cost per year (EUR)",
        "One-time build cost (EUR)",
    ):
        assert label in page, label
    assert "Annual volume at production (EUR)" not in page


def test_memo_without_a_case_says_not_set_rather_than_a_bare_zero(pilot, owner, client_for):
    from tests.money_scan import bare_amounts

    memo = client_for(owner).get(reverse("portfolio:memo", args=[pilot.pk])).content.decode()
    assert bare_amounts(memo) == []
    assert "Not set yet" in memo
