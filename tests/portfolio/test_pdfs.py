"""PDFs made from the pages' HTML (config/pdf.py): the decision memo and the dashboard's
board pack. Each is read back with pypdf and its text checked whole, as a reader would see it."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from portfolio.workbooks import models as m
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db

# User text with characters outside Latin-1, and long enough to wrap over several lines.
PROBLEM = (
    "Claims from the Łódź office wait three days for triage; each day of delay costs about "
    "€1,200 in penalties, and the backlog “doubles” every quarter — see Kraków’s report."
)
WORKFLOW = "Intake in Łódź → routing → adjuster queue (€ per claim: 4.50)"


def _text(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(BytesIO(pdf))
    words = " ".join(page.extract_text() for page in reader.pages).split()
    return " ".join(words), reader


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def polish_pilot(owner):
    pilot = PilotFactory(owner=owner, name="Łódź claims triage", business_unit="Operations €")
    m.StrategyWorkbook.objects.create(
        pilot=pilot,
        business_owner=owner,
        business_problem=PROBLEM,
        target_workflow=WORKFLOW,
        primary_risk="Wrong queue",
        expected_annual_benefit=Decimal("250000"),
        annual_volume=Decimal("100000"),
        cost_per_transaction=Decimal("0.25"),
        one_time_build_cost=Decimal("90000"),
    )
    return pilot


def test_memo_pdf_holds_every_field_whole_with_euro_and_polish_letters(
    polish_pilot, owner, client_for
):
    response = client_for(owner).get(reverse("portfolio:memo_pdf", args=[polish_pilot.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "claims-triage.pdf" in response["Content-Disposition"]
    text, reader = _text(response.content)
    assert "Decision memo: Łódź claims triage" in text
    assert "Operations €" in text
    assert _normal(PROBLEM) in text
    assert _normal(WORKFLOW) in text
    assert "?" not in text.replace("measured by", "")  # nothing replaced by "?"
    # The page's print stylesheet hides its buttons and the site's navigation.
    assert "Download PDF" not in text and "Log out" not in text
    assert len(reader.pages) == 1


def test_memo_pdf_text_starts_inside_the_page(polish_pilot, owner, client_for):
    """The hand-laid memo drew values at x≈570 pt on a 595 pt page, so only their first
    letters showed; every run of text must now start well inside the page's width."""
    response = client_for(owner).get(reverse("portfolio:memo_pdf", args=[polish_pilot.pk]))
    page = PdfReader(BytesIO(response.content)).pages[0]
    width = float(page.mediabox.width)
    starts = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            starts.append((cm[4] + tm[4] * cm[0], text))

    page.extract_text(visitor_text=visit)
    assert starts
    right_margin = 14 / 25.4 * 72  # print.css: 14 mm
    assert max(x for x, _ in starts) < width - right_margin, max(starts)
    assert min(x for x, _ in starts) > 20


def test_memo_pdf_of_a_pilot_the_reader_may_not_see_is_404(
    confidential_pilot, outsider, client_for
):
    url = reverse("portfolio:memo_pdf", args=[confidential_pilot.pk])
    assert client_for(outsider).get(url).status_code == 404


def test_board_pack_is_the_dashboard_as_a_pdf_with_its_numbers_as_tables(
    polish_pilot, executive, client_for
):
    response = client_for(executive).get(reverse("dashboard:board_pack"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="board-pack-')
    text, reader = _text(response.content)
    assert text.startswith("Portfolio Board pack, ")
    assert "Every pilot you may see." in text
    # The charts' numbers, as the tables the page carries under each chart.
    assert "Pilots by stage and status" in text and "Pilots per signal and stage" in text
    assert "Łódź claims triage" in text
    # Filters, exports and the paged list of every pilot stay on screen.
    assert "Apply" not in text and "Download as CSV" not in text
    assert "Pilots behind these numbers" not in text
    assert "?" not in text


def test_board_pack_says_which_filters_it_shows(polish_pilot, executive, client_for):
    url = reverse("dashboard:board_pack") + "?stage=discovery&business_unit=Operations+€"
    text, _ = _text(client_for(executive).get(url).content)
    assert "Filters: Business unit: Operations €; Stage: Discovery." in text


def test_board_pack_shows_only_pilots_the_reader_may_see(owner, outsider, client_for):
    for name, confidential in (("Secret merger screener", True), ("Open invoice matcher", False)):
        pilot = PilotFactory(owner=owner, name=name, confidential=confidential)
        # An economic case puts the pilot in the board pack's economics and planner tables.
        m.StrategyWorkbook.objects.create(
            pilot=pilot,
            expected_annual_benefit=Decimal("100000"),
            annual_volume=Decimal("1000"),
            cost_per_transaction=Decimal("1"),
            one_time_build_cost=Decimal("5000"),
        )
    url = reverse("dashboard:board_pack")
    outsiders, _ = _text(client_for(outsider).get(url).content)
    owners, _ = _text(client_for(owner).get(url).content)
    assert "Open invoice matcher" in outsiders and "Secret merger screener" not in outsiders
    assert "Open invoice matcher" in owners and "Secret merger screener" in owners


def test_board_pack_needs_a_login(client):
    response = client.get(reverse("dashboard:board_pack"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_board_pack_of_the_demo_portfolio_is_at_most_two_pages(client_for):
    call_command("seed_demo")
    erin = User.objects.get(username="erin")
    assert erin.groups.filter(pk__in=Group.objects.all()).exists()
    text, reader = _text(client_for(erin).get(reverse("dashboard:board_pack")).content)
    assert 1 <= len(reader.pages) <= 2
    for heading in ("Return and run cost", "Portfolio planner", "Pilots at risk"):
        assert heading in text


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # another host
        "https://testserver/static/css/print.css",  # another scheme: another origin
        "http://testserver/admin/",  # this host, not a static file
        "http://testserver/static/../config/settings.py",  # out of the static folders
        "file:///etc/passwd",
    ],
)
def test_pdfs_refuse_to_load_anything_but_this_sites_static_files(url):
    from config.pdf import _fetcher

    with pytest.raises(ValueError):
        _fetcher("http://testserver").fetch(url)


def test_pdfs_read_this_sites_static_files_from_disk():
    from config.pdf import _fetcher

    response = _fetcher("http://testserver").fetch("http://testserver/static/css/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_without_pango_a_pdf_is_a_clear_503_and_the_page_still_works(
    polish_pilot, owner, client_for, monkeypatch
):
    """A fresh machine with only Python has no Pango: WeasyPrint cannot load there."""
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as it would
    client = client_for(owner)
    response = client.get(reverse("portfolio:memo_pdf", args=[polish_pilot.pk]))
    assert response.status_code == 503
    assert "Pango" in response.content.decode()
    assert client.get(reverse("portfolio:memo", args=[polish_pilot.pk])).status_code == 200
