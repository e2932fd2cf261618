"""What the engine answers: a result per criterion, frozen into reviews as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gates.engine.vocabulary import PASS


@dataclass(frozen=True)
class Result:
    criterion_key: str
    label: str
    status: str
    reason: str
    mandatory: bool
    waived: bool = False

    @property
    def blocks(self) -> bool:
        """True when this result stands in the way of a review."""
        return self.mandatory and self.status != PASS and not self.waived

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion_key": self.criterion_key,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "mandatory": self.mandatory,
            "waived": self.waived,
        }


@dataclass(frozen=True)
class Evaluation:
    results: tuple[Result, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> tuple[Result, ...]:
        """Mandatory results that do not pass and hold no unexpired waiver."""
        return tuple(r for r in self.results if r.blocks)

    @property
    def passed(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "blocking": [r.criterion_key for r in self.blocking],
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        # Only `results` is read back: `passed` and `blocking` are derived from it.
        return cls(
            results=tuple(
                Result(
                    criterion_key=str(item["criterion_key"]),
                    label=str(item["label"]),
                    status=str(item["status"]),
                    reason=str(item["reason"]),
                    mandatory=bool(item["mandatory"]),
                    waived=bool(item.get("waived", False)),
                )
                for item in data.get("results", ())
            )
        )
