"""Forms of the workbooks, shared by pages and API so both validate the same way."""

from __future__ import annotations

from datetime import date
from functools import cache

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from accounts.people import PersonField, offer_people
from config.bounds import METRIC_VALUE_LIMIT, WORKBOOK_FIELD_BOUNDS
from config.forms import StrictBooleanField, StrictNullBooleanField
from config.money import with_currency_lazy
from portfolio.workbooks.models import StrategyWorkbook
from portfolio.workbooks.spec import MONEY_FIELDS, ListSpec, PhaseSpec

HTTP_LINK = "Enter an http:// or https:// link."
UNKNOWN_METRIC = "Unknown metric key “%(value)s”; choose one from the metric catalog."


# The metric catalog's model, named by label: workbook rows point at it (a foreign key), and
# portfolio sits below metrics, so it is never imported here.
METRIC_MODEL = "metrics.MetricDefinition"


class MetricChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        # The queryset is the catalog's, ordered by key (see _formfield).
        kwargs.setdefault("to_field_name", "key")
        kwargs.setdefault("error_messages", {"invalid_choice": UNKNOWN_METRIC})
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_direction_display().lower()})"


def _formfield(model_field, **kwargs):
    """Model field -> form field, with our widgets and people/metric fields."""
    if model_field.is_relation and model_field.related_model is get_user_model():
        # "Username of ..." is for the API; on a page the person is picked from a list.
        help_text = str(model_field.help_text)
        return PersonField(
            label=capfirst(str(model_field.verbose_name)),
            help_text="" if help_text.startswith("Username") else help_text,
        )
    if model_field.is_relation and model_field.related_model._meta.label == METRIC_MODEL:
        catalog = model_field.related_model.objects.order_by("key")
        return MetricChoiceField(label="Metric", queryset=catalog)
    if isinstance(model_field, models.BooleanField):
        kwargs.setdefault(
            "form_class", StrictNullBooleanField if model_field.null else StrictBooleanField
        )
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
        kwargs.setdefault("error_messages", {"invalid": HTTP_LINK})
    bounds = WORKBOOK_FIELD_BOUNDS.get(model_field.name)
    if bounds is not None:
        kwargs.setdefault("min_value", bounds[0])
        kwargs.setdefault("max_value", bounds[1])
    field = model_field.formfield(**kwargs)
    if field is None:
        return None
    field.label = capfirst(str(model_field.verbose_name))
    if model_field.model is StrategyWorkbook and model_field.name in MONEY_FIELDS:
        field.label = with_currency_lazy(field.label)
    if bounds is not None:
        field.error_messages["max_value"] = f"Give at most {bounds[1]:,}."
        field.error_messages["min_value"] = f"Give at least {bounds[0]:,}."
    if isinstance(field.widget, forms.Textarea):
        field.widget.attrs["rows"] = 3
    if isinstance(field, forms.DateField):
        field.widget = forms.DateInput(attrs={"type": "date"})
    return field


class PeopleInitialMixin:
    """People as usernames (not ids) when a form edits a saved row, chosen from the people
    of the row's pilot (accounts.people)."""

    people: tuple[str, ...] = ()

    def __init__(self, *args, pilot=None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if pilot is None and instance is not None:
            cached = type(instance).pilot.is_cached(instance)
            pilot = instance.pilot if cached else instance.pilot_id
        for name in self.people:
            if name in self.fields and instance is not None:
                person = getattr(instance, name, None) if getattr(instance, "pk", None) else None
                self.initial[name] = person.get_username() if person is not None else ""
        offer_people(self, pilot)


class WorkbookFormBase(PeopleInitialMixin, forms.ModelForm):
    pass


@cache
def workbook_form_class(spec: PhaseSpec, fields: tuple[str, ...] | None = None):
    """A ModelForm for the given fields of a workbook (all of them by default).

    A partial save binds only the submitted fields, so fields not sent are left alone.
    """
    chosen = fields if fields is not None else spec.fields
    return forms.modelform_factory(
        spec.model,
        form=type(
            f"{spec.model.__name__}Form",
            (WorkbookFormBase,),
            {"people": spec.people, "required_marked": spec.required},
        ),
        fields=list(chosen),
        formfield_callback=_formfield,
    )


def unique_fields(model) -> tuple[str, ...]:
    """Fields that must be unique per pilot (e.g. one test result per category)."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and "pilot" in constraint.fields:
            return tuple(f for f in constraint.fields if f != "pilot")
    return ()


class RowFormBase(PeopleInitialMixin, forms.ModelForm):
    # False when the rows of the list are about to be replaced (API PUT/PATCH): then only
    # duplicates inside the request matter, and the service checks those.
    check_existing = True

    def clean(self):
        cleaned = super().clean()
        self._check_unique(cleaned)
        metric = cleaned.get("metric")
        for name in ("baseline", "target", "threshold"):
            value = cleaned.get(name)
            if value is None:
                continue
            if not -METRIC_VALUE_LIMIT <= value <= METRIC_VALUE_LIMIT:
                self.add_error(
                    name,
                    f"Give a number from {-METRIC_VALUE_LIMIT:,.0f} to {METRIC_VALUE_LIMIT:,.0f}.",
                )
                continue
            if metric is not None:
                low, high = metric.min_value, metric.max_value
                if (low is not None and value < low) or (high is not None and value > high):
                    self.add_error(name, _range_message(metric, low, high))
        if {"baseline", "target"} <= set(cleaned) and metric is not None:
            baseline, target = cleaned.get("baseline"), cleaned.get("target")
            if None not in (baseline, target) and not metric.improves(baseline, target):
                word = "above" if metric.direction == "higher" else "below"
                self.add_error(
                    "target",
                    f"The target must be {word} the baseline ({baseline:g}): "
                    f"for {metric.name}, {metric.get_direction_display().lower()}.",
                )
        return cleaned

    def _check_unique(self, cleaned) -> None:
        names = unique_fields(self._meta.model)
        if not names or not self.check_existing or any(cleaned.get(n) is None for n in names):
            return
        taken = self._meta.model.objects.filter(
            pilot_id=self.instance.pilot_id, **{n: cleaned[n] for n in names}
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            value = cleaned[names[0]]
            shown = getattr(value, "key", value)
            self.add_error(names[0], f"“{shown}” is already in this list; remove that row first.")

    def clean_by_date(self):
        value: date | None = self.cleaned_data.get("by_date")
        if value is not None and value < timezone.localdate() and not self._kept(value):
            raise ValidationError("The date is in the past; choose today or a later date.")
        return value

    def _kept(self, value: date) -> bool:
        """A row sent back unchanged (an API GET then PUT) may keep a date now past."""
        kept = getattr(self, "unchanged_rows", ())
        raw = {name: self.data.get(self.add_prefix(name)) for name in self._meta.fields}
        raw["by_date"] = value.isoformat()
        return any(all(str(raw.get(k)) == str(v) for k, v in row.items()) for row in kept)


def _range_message(metric, low, high) -> str:
    if low is not None and high is not None:
        return f"{metric.key} ranges from {low:g} to {high:g}."
    if low is not None:
        return f"{metric.key} cannot be below {low:g}."
    return f"{metric.key} cannot be above {high:g}."


@cache
def row_form_class(list_spec: ListSpec):
    return forms.modelform_factory(
        list_spec.model,
        form=type(f"{list_spec.model.__name__}Form", (RowFormBase,), {"people": list_spec.people}),
        fields=list(list_spec.fields),
        formfield_callback=_formfield,
    )


class EvidenceUploadField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Or upload a file")
        super().__init__(**kwargs)
