"""Form fields shared by every page (and the workbook API, which validates through forms).

Django's own boolean fields never refuse a value: a checkbox reads anything but "false"
and "0" as ticked ("no" and "maybe" become True) and a yes/no select reads anything it
does not know as "unknown". These accept what our own pages send, and refuse the rest
with a message, so a value typed by hand or a client's mistake is not stored as a guess.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

_TRUE = frozenset({"true", "on"})  # "on" is what a ticked checkbox without a value sends
_FALSE = frozenset({"false"})
_UNKNOWN = frozenset({"", "unknown"})  # the empty choice of a yes/no/unknown select
INVALID_BOOLEAN = "Choose yes or no; “%(value)s” is neither."


def _shown(value) -> str:
    return str(value)[:40]


class RawCheckboxInput(forms.CheckboxInput):
    """A checkbox that hands the field what was sent, so the field can refuse it."""

    def value_from_datadict(self, data, files, name):
        if name not in data:
            return False  # an unticked checkbox sends nothing
        return data.get(name)


class StrictBooleanField(forms.BooleanField):
    """A checkbox: ticked ("on", or "true"), unticked (absent, "false" or empty)."""

    widget = RawCheckboxInput
    default_error_messages = {"invalid": INVALID_BOOLEAN}

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text in _TRUE:
            return True
        if text in _FALSE or text == "":
            return False
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": _shown(value)}
        )


class RawNullBooleanSelect(forms.NullBooleanSelect):
    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    """A yes / no / unknown select: "true", "false", or "unknown" (or empty)."""

    widget = RawNullBooleanSelect
    default_error_messages = {"invalid": INVALID_BOOLEAN}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text in _TRUE - {"on"}:
            return True
        if text in _FALSE:
            return False
        if text in _UNKNOWN:
            return None
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": _shown(value)}
        )


class PilotgateBoundField(forms.BoundField):
    """Django's BoundField already sets aria-invalid and aria-describedby (help text id
    `<id>_helptext`, error id `<id>_error`); our field template renders those ids. This adds
    where the error summary links to and whether to mark the field as required."""

    @property
    def error_anchor(self) -> str:
        """The id of the control the error summary's link moves focus to."""
        if self.field.widget.use_fieldset and self.auto_id:
            return f"{self.auto_id}_0"  # a radio or checkbox group: its first option
        return self.id_for_label or self.auto_id or ""

    @property
    def named_errors(self) -> list[str]:
        """The errors as the page shows them (by the field and in the summary): each names
        its field once, so a message read on its own still says what it is about."""
        label = str(self.label or "")
        return [
            text if not label or text.startswith(label) else f"{label}: {text}"
            for text in (str(e) for e in self.errors)
        ]

    @property
    def marked_required(self) -> bool:
        # Workbook fields are optional for a partial save yet required for the gate.
        return self.field.required or self.name in getattr(self.form, "required_marked", ())


class PilotgateFormRenderer(TemplatesSetting):
    """Every form renders through one field template (label, help, error, control) and
    `{{ form }}` adds the error summary (settings.FORM_RENDERER)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = PilotgateBoundField
