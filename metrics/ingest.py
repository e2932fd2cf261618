"""Row validation behind `metrics.services.snapshots_ingest`: every row judged on its own,
with the reason it is refused; the good rows are stored by metrics.snapshot_store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from config.bounds import METRIC_VALUE_LIMIT, OBSERVED_AT_MIN
from metrics.models import MetricDefinition

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"

FIELDS = ("pilot", "metric", "observed_at", "value")
SOURCE_MAX_LENGTH = 100

# Codes let API clients tell "you may not" from "that is wrong" without parsing text.
CODE_INVALID = "invalid"
CODE_NOT_FOUND = "not_found"
CODE_FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class RowResult:
    index: int
    status: str
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    code: str = ""


@dataclass
class IngestResult:
    """What happened to each row of a batch, in the order given.

    `statuses[i]` is stored, duplicate or rejected; `errors[i]` holds the reasons of a
    rejected row by field name, `codes[i]` its kind (invalid, not_found, forbidden).
    """

    source: str
    statuses: list[str]
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0

    @property
    def received(self) -> int:
        return len(self.statuses)

    @property
    def rows(self) -> list[RowResult]:
        return [
            RowResult(i, status, self.errors.get(i, {}), self.codes.get(i, ""))
            for i, status in enumerate(self.statuses)
        ]

    def rejected_rows(self) -> list[RowResult]:
        return [
            RowResult(i, REJECTED, self.errors[i], self.codes.get(i, CODE_INVALID))
            for i in sorted(self.errors)
        ]

    def counts(self) -> dict[str, int]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
        }


class CleanRow(NamedTuple):
    """A valid row, in the column order of the PostgreSQL staging table."""

    index: int
    pilot_id: int
    metric_id: int
    observed_at: datetime
    value: float


# --- parsing --------------------------------------------------------------------------


class RowError(Exception):
    def __init__(self, errors: dict[str, list[str]], code: str = CODE_INVALID):
        super().__init__(errors)
        self.errors = errors
        self.code = code


# Ids are 64-bit; a larger number would fail the lookup of the whole batch's pilots.
MAX_ID = 2**63 - 1


def parse_pilot_id(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("Give the pilot's id as a whole number.")
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 20:
        number = int(raw.strip())
    else:
        raise ValueError("Give the pilot's id as a whole number.")
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"No pilot with id {str(number)[:24]}.")
    return number


def parse_value(raw: Any) -> float:
    """A finite float within ±METRIC_VALUE_LIMIT (a metric's catalog range is checked
    apart). Past that limit sums of a day's values could overflow a rollup."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError("Give the value as a number.")
    try:
        if isinstance(raw, int | float | Decimal):
            number = float(raw)  # an int of 400 digits overflows here
        elif isinstance(raw, str):
            try:
                number = float(Decimal(raw.strip()[:100]))
            except (InvalidOperation, ValueError):
                raise ValueError(f"{raw[:40]!r} is not a number.") from None
        else:
            raise ValueError("Give the value as a number.")
    except OverflowError:
        number = math.inf
    if math.isnan(number):
        raise ValueError("The value must be a finite number (not NaN or infinity).")
    if not -METRIC_VALUE_LIMIT <= number <= METRIC_VALUE_LIMIT:
        raise ValueError(
            f"The value must be between {-METRIC_VALUE_LIMIT:,.0f} and "
            f"{METRIC_VALUE_LIMIT:,.0f} (a finite number)."
        )
    return number


def parse_observed_at(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(
                f"{raw[:40]!r} is not an ISO 8601 date and time, e.g. 2026-11-26T09:30:00Z."
            ) from None
    else:
        raise ValueError("Give the time as an ISO 8601 string, e.g. 2026-11-26T09:30:00Z.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            "The time has no timezone; add one (e.g. a trailing Z for UTC) so it is unambiguous."
        )
    try:
        in_utc = moment.astimezone(UTC)  # 0001-01-01T00:30+01:00 is before year 1 in UTC
    except OverflowError:
        in_utc = None
    if in_utc is None or in_utc < OBSERVED_AT_MIN:
        raise ValueError(
            f"The time must be on or after {OBSERVED_AT_MIN:%Y-%m-%d} (UTC); "
            f"got {moment.isoformat()[:40]}."
        )
    return moment


def metric_bounds(metric: MetricDefinition) -> tuple[float, float]:
    """The catalog range of `metric`, within ±METRIC_VALUE_LIMIT."""
    low = -METRIC_VALUE_LIMIT if metric.min_value is None else metric.min_value
    high = METRIC_VALUE_LIMIT if metric.max_value is None else metric.max_value
    return max(low, -METRIC_VALUE_LIMIT), min(high, METRIC_VALUE_LIMIT)


def _check_range(value: float, metric: MetricDefinition) -> str | None:
    if metric.min_value is not None and value < metric.min_value:
        return f"{value:g} is below the minimum {metric.min_value:g} for {metric.key}."
    if metric.max_value is not None and value > metric.max_value:
        return f"{value:g} is above the maximum {metric.max_value:g} for {metric.key}."
    return None


class RowValidator:
    """Validates rows against the catalog and the pilots found for the batch.

    `pilot_verdicts` maps a pilot id to None (writable) or a (code, message) refusal;
    ids missing from it are unknown pilots.
    """

    def __init__(
        self,
        *,
        metrics: Mapping[str, MetricDefinition],
        pilot_verdicts: Mapping[int, tuple[str, str] | None],
        now: datetime,
        future_skew: timedelta,
    ):
        self.metrics = metrics
        self.pilot_verdicts = pilot_verdicts
        self.latest_allowed = now + future_skew
        self.future_skew = future_skew

    def clean(self, index: int, row: Any) -> CleanRow:
        if not isinstance(row, Mapping):
            raise RowError(
                {"row": ["Each row must be an object with pilot, metric, observed_at and value."]}
            )
        errors: dict[str, list[str]] = {}
        code = CODE_INVALID
        for name in FIELDS:
            if row.get(name) is None:
                errors[name] = ["This field is required."]
        pilot_id = metric = observed_at = value = None
        if "pilot" not in errors:
            try:
                pilot_id = parse_pilot_id(row["pilot"])
            except ValueError as exc:
                errors["pilot"] = [str(exc)]
            else:
                if pilot_id not in self.pilot_verdicts:
                    errors["pilot"] = [f"No pilot with id {pilot_id}."]
                    code = CODE_NOT_FOUND
                else:
                    refusal = self.pilot_verdicts[pilot_id]
                    if refusal is not None:
                        code, message = refusal
                        errors["pilot"] = [message]
        if "metric" not in errors:
            raw_metric = row["metric"]
            if not isinstance(raw_metric, str):
                errors["metric"] = ["Give the metric's key as text, e.g. error_rate."]
            else:
                metric = self.metrics.get(raw_metric.strip())
                if metric is None:
                    errors["metric"] = [f"Unknown metric {raw_metric[:64]!r}."]
        if "observed_at" not in errors:
            try:
                observed_at = parse_observed_at(row["observed_at"])
            except ValueError as exc:
                errors["observed_at"] = [str(exc)]
            else:
                if observed_at > self.latest_allowed:
                    seconds = int(self.future_skew.total_seconds())
                    errors["observed_at"] = [
                        f"{observed_at.isoformat()} is in the future (more than "
                        f"{seconds} seconds ahead of the server clock)."
                    ]
        if "value" not in errors:
            try:
                value = parse_value(row["value"])
            except ValueError as exc:
                errors["value"] = [str(exc)]
            else:
                if metric is not None:
                    problem = _check_range(value, metric)
                    if problem:
                        errors["value"] = [problem]
        if errors:
            # A permission refusal only decides the code when it is the row's only problem.
            if set(errors) != {"pilot"}:
                code = CODE_INVALID
            raise RowError(errors, code)
        assert pilot_id is not None and metric is not None
        assert observed_at is not None and value is not None
        return CleanRow(index, pilot_id, metric.pk, observed_at, value)


def validate_rows(
    rows: Sequence[Any], validator: RowValidator
) -> tuple[list[CleanRow], dict[int, dict[str, list[str]]], dict[int, str]]:
    """Split rows into clean ones and errors by row index.

    The loop below is the fast path for the common shape (int pilot, str metric, aware
    datetime or ISO string, int or float value): plain type checks, no exceptions, no
    per-row objects besides the result. Anything it does not accept goes through
    `RowValidator.clean`, which accepts the looser shapes and names every problem.
    """
    clean: list[CleanRow] = []
    errors: dict[int, dict[str, list[str]]] = {}
    codes: dict[int, str] = {}
    writable = {pk for pk, refusal in validator.pilot_verdicts.items() if refusal is None}
    bounds = {key: (m.pk, *metric_bounds(m)) for key, m in validator.metrics.items()}
    earliest = OBSERVED_AT_MIN
    latest = validator.latest_allowed
    fromiso = datetime.fromisoformat
    append = clean.append
    for index, row in enumerate(rows):
        if type(row) is dict:
            pilot = row.get("pilot")
            metric = bounds.get(row.get("metric")) if type(row.get("metric")) is str else None
            at = row.get("observed_at")
            value = row.get("value")
            if type(at) is str:
                try:
                    at = fromiso(at)
                except ValueError:
                    at = None
            if (
                type(pilot) is int
                and pilot in writable
                and metric is not None
                and type(at) is datetime
                and at.tzinfo is not None
                and at.year > earliest.year  # no offset can take it before the minimum
                and at <= latest
                and (type(value) is float or type(value) is int)
                # Finite bounds: NaN and infinities fail it, a 400-digit int compares exactly.
                and metric[1] <= value <= metric[2]
                and at.utcoffset() is not None
            ):
                append(CleanRow(index, pilot, metric[0], at, float(value)))
                continue
        try:
            append(validator.clean(index, row))
        except RowError as exc:
            errors[index] = exc.errors
            codes[index] = exc.code
    return clean, errors, codes


def candidate_pilot_ids(rows: Sequence[Any]) -> set[int]:
    ids: set[int] = set()
    for row in rows:
        if isinstance(row, Mapping):
            try:
                ids.add(parse_pilot_id(row.get("pilot")))
            except ValueError:
                continue
    return ids
