"""The audit trail in plain language: what each event did, field by field, with labels and
formatted values ("Annual volume: 55,000 → 60,000"), and lists as rows added or removed.

The chain stores before/after as the services wrote them (keys and raw values, which is what
verification needs); this module only reads them for people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from accounts.models import AuditEvent, PilotRoleKind
from gates.checklists import CHECKLISTS
from gates.models import DecisionKind, ReviewStatus
from metrics.catalog import metric_names
from metrics.models import AlertAction, AlertStatus, ExpectationKind, SourceKind
from portfolio.models import Pilot, RiskTier, Stage, Status
from portfolio.workbooks.spec import SPECS, ListSpec, PhaseSpec

EMPTY = "—"

SUMMARIES = {
    "pilot.create": "Pilot registered",
    "regulatory_profile.save": "EU AI Act profile answered",
    "regulatory_profile.confirm": "EU AI Act profile confirmed",
    "pilot.update": "Pilot details changed",
    "pilot.transition": "Stage or status changed",
    "pilot_role.assign": "{role} assigned",
    "pilot_role.remove": "{role} removed",
    "workbook.update": "{workbook} updated",
    "workbook.row_add": "{row} added to {workbook}",
    "workbook.row_update": "{row} changed in {workbook}",
    "workbook.row_remove": "{row} removed from {workbook}",
    "review.request": "Review requested",
    "review.refused": "Review request refused: criteria do not pass",
    "evidence.remove": "Evidence file removed",
    "review.decide": "Review decided",
    "review.withdraw": "Review withdrawn",
    "review.comment": "Comment on a review",
    "condition.met": "Condition marked as met",
    "waiver.grant": "Waiver granted",
    "waiver.revoke": "Waiver revoked",
    "checklist.answer": "{checklist} answered",
    "alert.open": "Alert opened",
    "alert.acknowledge": "Alert acknowledged",
    "alert.resolve": "Alert resolved",
    "alert.escalate": "Alert escalated: a more severe threshold is breached",
    "alert.merge": "Duplicate alerts of the same breach merged into this one",
    "snapshots.ingest": "Metric values received",
    "metrics.csv_import": "Metric values imported from a CSV file",
    "metric_source.create": "Metric source added",
    "metric_source.update": "Metric source changed",
    "metric_source.delete": "Metric source removed",
    "metric_source.pull_request": "Metric source pull requested",
}

# Keys that say where a change happened rather than what changed (they go in the summary).
CONTEXT_KEYS = {
    "workbook.update": frozenset({"phase"}),
    "workbook.row_add": frozenset({"phase", "list"}),
    "workbook.row_update": frozenset({"phase", "list"}),
    "workbook.row_remove": frozenset({"phase", "list"}),
    "pilot_role.assign": frozenset({"role"}),
    "pilot_role.remove": frozenset({"role"}),
    "review.refused": frozenset({"fingerprint"}),
    "checklist.answer": frozenset({"checklist"}),
}

LABELS = {
    "role": "Role",
    "classification": "EU AI Act classification",
    "ai_act_roles": "EU AI Act role",
    "user": "Person",
    "reason": "Reason",
    "from_stage": "From stage",
    "to_stage": "To stage",
    "redesign_to_stage": "Sent back to",
    "approvals_needed": "Approvals needed",
    "criteria_version": "Criteria version",
    "criterion_key": "Criterion",
    "blocking": "Criteria that did not pass",
    "expires_at": "Expires",
    "revoked_at": "Revoked",
    "observed": "Observed value",
    "kind": "Kind",
    "pilots": "Pilots",
    "source": "Source",
    "stored": "Stored",
    "received": "Received",
    "rejected": "Rejected",
    "duplicate": "Duplicates",
    "duplicates": "Duplicate alerts",
    "threshold": "Threshold",
    "action": "Recommended action",
    "note": "Note",
    "opened_at": "Opened",
    "waived": "Waived criteria",
    "outcome": "Outcome",
    "secret_set": "Secret stored",
    "secret_header_name": "Secret header",
    "interval_minutes": "Pull every (minutes)",
}

CHOICES: dict[str, Mapping[str, str]] = {
    "stage": dict(Stage.choices),
    "from_stage": dict(Stage.choices),
    "to_stage": dict(Stage.choices),
    "redesign_to_stage": dict(Stage.choices),
    "risk_tier": dict(RiskTier.choices),
    "role": dict(PilotRoleKind.choices),
    "decision": dict(DecisionKind.choices),
}
STATUS_CHOICES = {"gates.review": dict(ReviewStatus.choices)}
# Codes whose meaning depends on the object the event is about.
OBJECT_CHOICES: dict[str, dict[str, Mapping[str, str]]] = {
    "metrics.alert": {
        "kind": dict(ExpectationKind.choices),
        "action": dict(AlertAction.choices),
        "status": dict(AlertStatus.choices),
    },
    "metrics.metricsource": {"kind": dict(SourceKind.choices)},
}
# Values that are criterion keys ("technical_owner_named"): read as words.
CRITERION_KEYS = frozenset({"criterion_key", "waived"})


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    kind: str = "changed"  # changed, set, cleared, row added, row removed


@dataclass(frozen=True)
class TrailEntry:
    event: AuditEvent
    summary: str
    changes: tuple[Change, ...]


def describe_events(
    events: Iterable[AuditEvent], *, metric_names: Mapping[str, str] | None = None
) -> list[TrailEntry]:
    """Entries for `events`, in their order. `metric_names` maps catalog keys to names;
    by default the catalog is read once, and only if an event names a metric."""
    names = metric_names if metric_names is not None else _CatalogNames()
    return [_describe(event, names) for event in events]


class _CatalogNames(Mapping):
    """The metric catalog's names by key, read on first use."""

    def __init__(self):
        self._names: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._names is None:
            self._names = metric_names()
        return self._names

    def __getitem__(self, key):
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())


def _describe(event: AuditEvent, metric_names: Mapping[str, str]) -> TrailEntry:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    spec = SPECS.get(after.get("phase") or before.get("phase") or "")
    list_spec = _list_spec(spec, after.get("list") or before.get("list"))
    row_model = list_spec.model if list_spec else None
    summary = SUMMARIES.get(event.action) or _humanize(event.action.replace(".", " "))
    formatter = _Formatter(event.object_type, metric_names)
    formatter.field_models = tuple(m for m in (row_model, spec.model if spec else None) if m)
    if event.action == "checklist.answer":
        return _checklist_entry(event, summary, before, after, formatter)
    role = after.get("role") or before.get("role")
    checklist = CHECKLISTS.get(str(after.get("checklist") or before.get("checklist") or ""))
    if event.action.startswith("admin.") and event.action not in SUMMARIES:
        summary = "Changed in the admin: " + _humanize(event.action[6:].replace(".", " "))
    summary = summary.format(
        checklist=checklist.title if checklist else "Checklist",
        workbook=f"{spec.title} workbook" if spec else "Workbook",
        row=(list_spec.row_label.capitalize() if list_spec else "Row"),
        role=formatter.value("role", role) if role else "Role",
    )
    context = CONTEXT_KEYS.get(event.action, frozenset())
    changes: list[Change] = []
    for key in _ordered_keys(before, after):
        old, new = before.get(key), after.get(key)
        if key in context or (_empty(old) and _empty(new)):
            continue
        if formatter.value(key, old) == formatter.value(key, new) and key in before:
            continue  # the same value written another way ("175000" and "175000.00")
        label = _label(key, spec=spec, row_model=row_model)
        if isinstance(old, list) or isinstance(new, list):
            changes.extend(_list_changes(key, label, old or [], new or [], spec, formatter))
            continue
        if event.action == "workbook.row_remove":
            changes.append(Change(label, formatter.value(key, old), EMPTY, "row removed"))
            continue
        kind = "set" if _empty(old) else "cleared" if _empty(new) else "changed"
        changes.append(Change(label, formatter.value(key, old), formatter.value(key, new), kind))
    return TrailEntry(event=event, summary=summary, changes=tuple(changes))


def _checklist_entry(event, summary, before, after, formatter) -> TrailEntry:
    checklist = CHECKLISTS.get(str(after.get("checklist") or before.get("checklist") or ""))
    texts = {item.key: item.question for _, item in checklist.items()} if checklist else {}
    answers = {value: label for value, label, _ in checklist.answers} if checklist else {}
    changes = []
    for key in _ordered_keys(before, after):
        if key == "checklist":
            continue
        old, new = (
            answers.get(v or "", formatter.value(key, v)) for v in (before.get(key), after.get(key))
        )
        changes.append(Change(texts.get(key) or _humanize(key), old, new))
    return TrailEntry(
        event=event,
        summary=summary.format(checklist=checklist.title if checklist else "Checklist"),
        changes=tuple(changes),
    )


def _ordered_keys(before: Mapping, after: Mapping) -> list[str]:
    keys = list(after)
    keys += [key for key in before if key not in after]
    return keys


def _list_spec(spec: PhaseSpec | None, name: str | None) -> ListSpec | None:
    if spec is None or not name:
        return None
    try:
        return spec.list_spec(name)
    except KeyError:
        return None


def _label(key: str, *, spec: PhaseSpec | None, row_model=None) -> str:
    if spec is not None:
        list_spec = _list_spec(spec, key)
        if list_spec is not None:
            return list_spec.label.capitalize()
    for model in (row_model, spec.model if spec else None, Pilot):
        if model is None:
            continue
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        if hasattr(field, "verbose_name"):  # a reverse relation (Pilot.roles) has none
            return _sentence(str(field.verbose_name))
    return LABELS.get(key) or _humanize(key)


def _list_changes(key, label, old: list, new: list, spec, formatter) -> list[Change]:
    if not any(isinstance(row, dict) for row in [*old, *new]):
        kind = "set" if not old else "cleared" if not new else "changed"
        return [Change(label, formatter.value(key, old), formatter.value(key, new), kind)]
    row_model = _list_spec(spec, key).model if _list_spec(spec, key) else None
    old_rows = [formatter.row(row, row_model) for row in old]
    new_rows = [formatter.row(row, row_model) for row in new]
    removed = [row for row in old_rows if row not in new_rows]
    added = [row for row in new_rows if row not in old_rows]
    return [Change(label, row, EMPTY, "row removed") for row in removed] + [
        Change(label, EMPTY, row, "row added") for row in added
    ]


class _Formatter:
    def __init__(self, object_type: str, metric_names: Mapping[str, str]):
        self.metric_names = metric_names
        self.status_choices = STATUS_CHOICES.get(object_type, dict(Status.choices))
        self.choices = {**CHOICES, **OBJECT_CHOICES.get(object_type, {})}
        self.field_models: tuple = ()  # workbook models whose fields' choices apply

    def value(self, key: str, value: Any) -> str:
        if _empty(value):
            return EMPTY
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, list):
            return ", ".join(self.value(key, item) for item in value) or EMPTY
        if isinstance(value, dict):
            return self.row(value, None)
        for model in self.field_models:
            shown = _field_choices(model, key).get(str(value))
            if shown:
                return shown
        if key == "metric":
            return self.metric_names.get(str(value), str(value))
        if key in self.choices:
            return self.choices[key].get(str(value), _humanize(str(value)))
        if key == "status":
            return self.status_choices.get(str(value), _humanize(str(value)))
        if key in CRITERION_KEYS and isinstance(value, str):
            return _humanize(value)
        if key in {"action", "kind"} and isinstance(value, str):
            return _humanize(value)
        if isinstance(value, int | float | Decimal):
            return _number(value)
        if isinstance(value, str):
            return _text(value)
        return str(value)

    def row(self, row: Mapping[str, Any], model) -> str:
        parts = []
        for key, value in row.items():
            if key in {"id", "pilot", "position"} or _empty(value):
                continue
            choices = _field_choices(model, key)
            shown = choices.get(str(value)) if choices else None
            label = _label(key, spec=None, row_model=model)
            parts.append(f"{label}: {shown or self.value(key, value)}")
        return "; ".join(parts) or EMPTY


def _field_choices(model, key: str) -> dict[str, str]:
    if model is None:
        return {}
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return {}
    return {str(value): str(label) for value, label in (field.flatchoices or ())}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return str(value)
    number = Decimal(str(value))
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _text(value: str) -> str:
    """Numbers and timestamps stored as text (Decimal fields, ISO datetimes) read as such."""
    try:
        return _number(Decimal(value))
    except (InvalidOperation, ValueError):
        pass
    if len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return value


def _humanize(key: str) -> str:
    return _sentence(key.replace("_", " ").strip())


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
