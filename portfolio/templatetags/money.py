"""Money in templates, a builtin library (settings.TEMPLATES): every amount on every page
goes through config.money.format_money.

    {{ amount|money }}         €180,000 (whole units), — when missing
    {{ amount|money_exact }}   €180,000.50 (the currency's minor digits)
    {{ amount|money:"No data yet" }}   the text to show when missing
    {{ value|metric_value:is_money }}  a metric's value, an exact amount when it is money
    {% if unit|is_money_unit %}  a metric catalog unit that is money
    {% currency_code %}        EUR
"""

from django import template

from config.money import MISSING, format_money, is_money_unit
from config.money import currency_code as _currency_code

register = template.Library()


@register.filter
def money(value, missing=MISSING):
    return format_money(value, missing=missing)


@register.filter
def money_exact(value, missing=MISSING):
    return format_money(value, exact=True, missing=missing)


@register.filter
def metric_value(value, is_money=False):
    """A metric's value: an exact amount for money metrics, the number as it is otherwise
    ("—" when missing)."""
    if is_money:
        return format_money(value, exact=True)
    return MISSING if value is None else value


@register.filter(name="is_money_unit")
def is_money_unit_filter(unit) -> bool:
    """Whether a metric catalog unit is money ({% if metric.unit|is_money_unit %})."""
    return is_money_unit(unit)


@register.simple_tag
def currency_code() -> str:
    return _currency_code()
