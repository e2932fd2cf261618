"""What an import sheet is: its columns, a dry-run plan per row, and how the plan applies.

A sheet (pilots today, onboarding/pilots.py) declares its columns and implements `plan`
(read-only: resolve and check every row, say per row what will be created or changed) and
`apply` (write the planned rows through the apps' own services). `SHEETS` names them; the
pages, the services and the benchmark work on any registered sheet, so another sheet (the
inventory's assets, say) is one module with a Sheet subclass and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    required: bool = False
    example: str = ""


@dataclass
class RowPlan:
    """One data row of the file and what importing it would do."""

    number: int  # the row's line (CSV) or row number (Excel); the header is 1
    key: str  # what the row is about, for people (a pilot's name)
    action: str = "create"  # create, update, unchanged, error
    changes: list[str] = field(default_factory=list)  # in words, for the preview
    errors: list[str] = field(default_factory=list)  # "column: problem"
    values: dict[str, Any] = field(default_factory=dict)  # resolved, for `apply`
    target_id: int | None = None  # the existing object an update changes

    def error(self, column: str, problem: str) -> None:
        self.errors.append(f"{column}: {problem}")
        self.action = "error"

    def as_dict(self) -> dict:
        return {
            "number": self.number, "key": self.key, "action": self.action,
            "changes": self.changes, "errors": self.errors, "target_id": self.target_id,
        }  # fmt: skip


@dataclass
class Plan:
    sheet: str
    rows: list[RowPlan]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.action == "error")

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def fingerprint(self) -> list[list]:
        """What the confirmation must find again: each row's action and target."""
        return [[r.number, r.action, r.target_id] for r in self.rows]

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "rows": [r.as_dict() for r in self.rows],
            "ignored_columns": self.ignored_columns,
            "counts": self.counts(),
            "fingerprint": self.fingerprint(),
        }


class Sheet:
    """A kind of import. Subclasses set `name`, `title`, `columns`, `plan_rows`, `apply`."""

    name: ClassVar[str]
    title: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return tuple(c.name for c in cls.columns if c.required)

    @classmethod
    def known(cls) -> frozenset[str]:
        return frozenset(c.name for c in cls.columns)

    def plan_rows(self, rows, *, by) -> list[RowPlan]:
        raise NotImplementedError

    def apply(self, rows: list[RowPlan], *, by, file_name: str) -> dict[str, int]:
        raise NotImplementedError


def sheets() -> dict[str, type[Sheet]]:
    from onboarding.pilots import PilotSheet

    return {PilotSheet.name: PilotSheet}
