"""The dashboard's tables, whose rows are written by filters (portfolio/templatetags/dashboard.py)
rather than cell by cell in the template: same text as {{ value }}, same escaping."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from dashboard.templatetags.dashboard import options, reliability_rows
from portfolio.models import Pilot, Stage

URL = "/portfolio/"
MARKUP = "<i>&\"'x"
ESCAPED = "&lt;i&gt;&amp;&quot;&#x27;x"


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table class="data[^"]*" id="{table_id}">.*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


@pytest.mark.django_db
def test_names_units_and_owners_are_escaped_in_every_table(
    executive, owner, portfolio_facts, client_for
):
    # Alpha has an economic case (economics, planner); Charlie is at risk (stop recommended).
    for name in ("Alpha", "Charlie"):
        Pilot.objects.filter(name=name).update(
            name=f"{name} {MARKUP}", business_unit=f"R&D {MARKUP}"
        )
    owner.display_name = f"Owner {MARKUP}"
    owner.save(update_fields=["display_name"])

    html = client_for(executive).get(URL, {"budget": "40000"}).content.decode()

    assert MARKUP not in html
    for table_id in ("t-signals", "t-econ", "t-planner", "t-pilots"):
        assert f"Alpha {ESCAPED}</a>" in table(html, table_id), table_id
    assert f"Charlie {ESCAPED}</a>" in table(html, "t-at-risk")
    pilots = table(html, "t-pilots")
    assert f"<td>R&amp;D {ESCAPED}</td>" in pilots and f"<td>Owner {ESCAPED}</td>" in pilots
    assert f">R&amp;D {ESCAPED}</option>" in html and f">Owner {ESCAPED}</option>" in html


@pytest.mark.django_db
def test_the_chosen_owner_is_selected_and_an_empty_page_says_so(
    executive, owner, small_portfolio, client_for
):
    html = client_for(executive).get(URL, {"owner": owner.pk, "business_unit": "Sales"})
    html = html.content.decode()
    assert f'<option value="{owner.pk}" selected>' in html
    assert '<option value="Sales" selected>Sales</option>' in html

    empty = client_for(executive).get(URL, {"business_unit": "Nowhere"}).content.decode()
    assert '<tr><td colspan="8">No pilot matches these filters.</td></tr>' in empty


def test_cells_are_written_as_the_template_writes_them():
    cells = [0, 7, -3, 2.5, 0.1 + 0.2, 1e-05, Decimal("12.50"), Decimal("1E+2"), None, True]
    cells += ["a<b & 'c'", "—", date(2026, 1, 2), Stage.PILOT, gettext_lazy("a<b")]
    kept = mark_safe(gettext_lazy("<i>kept</i>"))  # noqa: S308 (safe text is kept as it is)
    cells += [mark_safe("<b>kept</b>"), kept]
    rows = [{"day": "2026-01-02", "cells": cells}]
    by_template = engines["django"].from_string(
        "{% load l10n %}{% localize off %}"
        '<tr><th scope="row">{{ day }}</th>{% for v in cells %}<td>{{ v }}</td>{% endfor %}</tr>'
        "{% endlocalize %}"
    )
    assert reliability_rows(rows) == by_template.render(rows[0])


def test_options_mark_the_selected_value_and_escape_labels():
    assert options([("", "Any"), (3, "<b>")], 3) == (
        '<option value="">Any</option>\n<option value="3" selected>&lt;b&gt;</option>'
    )
    assert options(["R&D"], "") == '<option value="R&amp;D">R&amp;D</option>'


@pytest.mark.django_db
def test_signal_rows_label_each_count_for_the_phone_layout(executive, portfolio_facts, client_for):
    html = client_for(executive).get(URL).content.decode()
    signals = table(html, "t-signals")
    assert '<table class="data stack-narrow" id="t-signals">' in signals
    rows = re.findall(r"<tbody>.*?</tbody>", signals, re.S)[0].count('<tr><th scope="row">')
    assert rows == 5
    for _, label in Stage.choices:
        assert signals.count(f'<td data-label="{label}"><a href=') == rows, label
    assert signals.count('<td data-label="Total"><a href=') == rows
    assert signals.count('<td class="names">') == rows
