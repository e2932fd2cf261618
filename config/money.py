"""Money as people read it: one currency for the whole installation (PILOTGATE_CURRENCY),
one formatting function for every page, export, schema text and memo.

Babel supplies the data (CLDR): which ISO 4217 codes are legal tender somewhere today, each
currency's symbol in English ("€", "$", "£", "CHF") and its minor digits (2 for EUR, 0 for
JPY, 3 for KWD). It is read once per currency; formatting a value is then a Decimal
quantize and an f-string, cheap enough for the dashboard's long tables (Babel's own
format_currency parses a pattern per call, several times slower).

Amounts are stored and sent as plain numbers; only their presentation carries the currency:
"€180,000" on pages, "€180,000.50" where cents matter (the workbook's economic case, the
memo), "-€1,250" when negative, "—" (or a sentence saying what to do) when missing. CSV
cells stay bare numbers so spreadsheets can sum them; their headers name the currency.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

DEFAULT_CURRENCY = "EUR"
MISSING = "—"
# A no-break space between a letter code and the amount ("CHF 180,000"), so it never wraps.
_NBSP = "\u00a0"
# Units the metric catalog uses for amounts of money (metrics/migrations/0002_seed_catalog);
# shown as the installation's currency.
MONEY_UNITS = frozenset({"USD", "currency", "money"})


@functools.cache
def _tender_codes() -> frozenset[str]:
    """ISO 4217 codes that are legal tender in at least one territory today (CLDR)."""
    from babel.core import get_global

    return frozenset(
        code
        for entries in get_global("territory_currencies").values()
        for code, _start, end, tender in entries
        if end is None and tender
    )


def validate_currency(raw: str | None, name: str = "PILOTGATE_CURRENCY") -> str:
    """The ISO 4217 code in `raw` (case and spaces forgiven), or ImproperlyConfigured naming
    the variable, the bad value and what would do."""
    code = (raw or "").strip().upper()
    if code not in _tender_codes():
        raise ImproperlyConfigured(
            f"{name} must be the ISO 4217 code of a currency in use, such as EUR, USD, GBP "
            f"or CHF; got {raw!r}"
        )
    return code


@dataclass(frozen=True)
class Currency:
    code: str  # "EUR"
    symbol: str  # "€"
    digits: int  # minor digits: 2 for EUR, 0 for JPY
    prefix: str  # what goes before the amount: "€" or "CHF\u00a0"


# 1, 0.1, 0.01, ...: what an amount is rounded to for each number of minor digits.
_QUANTA = {digits: Decimal(1).scaleb(-digits) for digits in range(5)}


@functools.cache
def _currency(code: str) -> Currency:
    from babel.numbers import get_currency_precision, get_currency_symbol

    symbol = get_currency_symbol(code, locale="en")
    prefix = f"{symbol}{_NBSP}" if symbol[-1:].isalpha() else symbol
    return Currency(code, symbol, get_currency_precision(code), prefix)


def currency() -> Currency:
    """The installation's currency (settings.PILOTGATE_CURRENCY)."""
    return _currency(settings.PILOTGATE_CURRENCY)


def currency_code() -> str:
    return currency().code


def with_currency(label: str) -> str:
    """'Net annual value' -> 'Net annual value (EUR)': headers, axis titles, schema text."""
    return f"{label} ({currency().code})"


# The same, worked out when shown: form labels and schema texts are built once at import,
# and still follow the setting (and override_settings in tests).
with_currency_lazy = lazy(with_currency, str)


def _decimal(value) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def format_money(value, *, exact: bool = False, missing: str = MISSING) -> str:
    """An amount with the currency and thousands separators: '€180,000', '-€1,250',
    '€0.07' with exact=True (the currency's minor digits), `missing` for None or ''.

    Whole units by default: dashboards and summaries read better without cents, and a
    per-transaction cost or the economic case asks for exact. Text that is not a number is
    returned as it is (never an exception on a page)."""
    if value is None or value == "":
        return missing
    amount = value if value.__class__ is Decimal else _decimal(value)
    if amount is None or not amount.is_finite():
        return str(value)
    cur = currency()
    places = cur.digits if exact else 0
    try:
        rounded = amount.quantize(_QUANTA[places], rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the default context holds (28)
        digits = max(amount.adjusted() + 1, 1) + places + 2
        rounded = amount.quantize(
            _QUANTA[places], rounding=ROUND_HALF_UP, context=Context(prec=digits)
        )
    sign = "-" if rounded < 0 else ""
    return f"{sign}{cur.prefix}{rounded.copy_abs():,.{places}f}"


def metric_unit(unit: str | None) -> str:
    """A metric's unit as shown: money units become the installation's currency code."""
    if unit in MONEY_UNITS:
        return currency().code
    return unit or ""


UNITLESS = frozenset({"count", "score"})


def number_unit(unit: str | None) -> str:
    """The unit written after a metric's number in a sentence ("9.5%", "410 ms"): nothing
    for counts, scores and money (amounts are formatted with their currency instead)."""
    if not unit or unit in UNITLESS or unit in MONEY_UNITS:
        return ""
    return unit


def is_money_unit(unit: str | None) -> bool:
    return unit in MONEY_UNITS
