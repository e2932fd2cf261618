"""Times with any offset RFC 3339 allows (up to +/-23:59), stored and compared in UTC.

PostgreSQL keeps offsets only up to +/-15:59, so an aware datetime with a larger offset,
handed to the database as it was typed, is refused there (a DataError: at best a generic
400, on a page a 500). Every time read from outside is converted to UTC first; a time
that leaves the years 1 to 9999 on the way (0001-01-01T00:00+01:00) is bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms

OUT_OF_RANGE = "falls outside the years 1 to 9999 once converted to UTC"


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; ValueError (naming the problem) when UTC cannot hold it."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


class UTCDateTimeField(forms.DateTimeField):
    """A form's date and time, offset included, as UTC."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return as_utc(moment)
        except ValueError as exc:
            raise forms.ValidationError(f"This time {exc}.", code="overflow") from None
