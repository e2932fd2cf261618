"""The currency setting and the one money format every page, export and memo uses."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from config.money import format_money, metric_unit, validate_currency, with_currency
from tests.test_settings import manage


def test_currency_defaults_to_eur(settings):
    from django.conf import settings as live

    assert live.PILOTGATE_CURRENCY == "EUR"
    assert format_money(180000) == "€180,000"


@pytest.mark.parametrize("raw, code", [("EUR", "EUR"), ("usd", "USD"), (" gbp ", "GBP")])
def test_currency_accepts_iso_codes_forgiving_case_and_spaces(raw, code):
    assert validate_currency(raw) == code


@pytest.mark.parametrize("raw", ["", "EURO", "€", "ZZZ", "DEM", "XXX", "XAU", "12"])
def test_currency_refuses_what_is_not_a_currency_in_use(raw):
    with pytest.raises(ImproperlyConfigured) as error:
        validate_currency(raw)
    message = str(error.value)
    assert "PILOTGATE_CURRENCY" in message and repr(raw) in message and "ISO 4217" in message


def test_a_bad_currency_stops_the_start_up_with_a_clear_message():
    result = manage("check", PILOTGATE_CURRENCY="EURO")
    assert result.returncode != 0
    assert "PILOTGATE_CURRENCY must be the ISO 4217 code" in result.stderr
    assert "'EURO'" in result.stderr


def test_a_good_currency_starts_and_is_used():
    code = "from config.money import format_money; print(format_money(-1234.5, exact=True))"
    result = manage("shell", "-c", code, PILOTGATE_CURRENCY="gbp")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "-£1,234.50"


@pytest.mark.parametrize(
    "value, text",
    [
        (0, "€0"),
        (999, "€999"),
        (1000, "€1,000"),
        (180000, "€180,000"),
        (Decimal("1234567.49"), "€1,234,567"),
        (Decimal("0.5"), "€1"),  # half up, as the economic case rounds
        (-1250, "-€1,250"),
        (Decimal("-0.4"), "€0"),  # never "-€0"
        (12.75, "€13"),
        (Decimal("123456789012345678"), "€123,456,789,012,345,678"),
        (1e15, "€1,000,000,000,000,000"),
    ],
)
def test_money_has_the_currency_and_thousands_separators(value, text):
    assert format_money(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("180000.5"), "€180,000.50"),
        (Decimal("0.07"), "€0.07"),
        (-1234.5, "-€1,234.50"),
        ("2500", "€2,500.00"),
    ],
)
def test_exact_money_keeps_the_currency_minor_digits(value, text):
    assert format_money(value, exact=True) == text


def test_missing_money_is_a_dash_or_the_text_given():
    assert format_money(None) == "—"
    assert format_money("") == "—"
    assert format_money(None, missing="No data yet") == "No data yet"


def test_what_is_not_a_number_is_shown_as_it_is_never_an_error():
    assert format_money("n/a") == "n/a"
    assert format_money(Decimal("NaN")) == "NaN"
    assert format_money(float("inf")) == "inf"


def test_other_currencies_use_their_symbol_and_minor_digits(settings):
    settings.PILOTGATE_CURRENCY = "JPY"
    assert format_money(Decimal("1234.6"), exact=True) == "¥1,235"
    settings.PILOTGATE_CURRENCY = "CHF"
    # A letter code is kept apart from the amount by a no-break space.
    assert format_money(-180000) == "-CHF\u00a0180,000"
    settings.PILOTGATE_CURRENCY = "KWD"
    assert format_money(1, exact=True) == "KWD\u00a01.000"
    assert with_currency("Net annual value") == "Net annual value (KWD)"


def test_metric_units_of_money_are_the_installation_currency(settings):
    assert metric_unit("USD") == "EUR"
    assert metric_unit("%") == "%"
    assert metric_unit(None) == ""
    settings.PILOTGATE_CURRENCY = "USD"
    assert metric_unit("USD") == "USD"


def test_template_filters_format_through_the_same_function(settings):
    template = Template(
        "{{ a|money }} | {{ b|money_exact }} | {{ c|money }} | {{ c|money:'No data yet' }}"
        " | {% currency_code %} | {{ d|metric_value:True }} | {{ d|metric_value:False }}"
    )
    text = template.render(Context({"a": -5000, "b": Decimal("0.07"), "c": None, "d": 3.5}))
    assert text == "-€5,000 | €0.07 | — | No data yet | EUR | €3.50 | 3.5"
    settings.PILOTGATE_CURRENCY = "USD"
    assert Template("{{ a|money }}").render(Context({"a": 10})) == "$10"
