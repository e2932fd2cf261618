"""The workbooks as a GOV.UK task list: each one Not started, In progress or Complete, with
what it still misses linked to the field or list on its page. Built from the facts the
gate engine reads (`workbook_facts`), so no query of its own."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from gates.engine import WorkbookFacts
from portfolio.workbooks.evidence import evidence_fields
from portfolio.workbooks.provides import _filled, progress
from portfolio.workbooks.spec import SPECS

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETE = "complete"
STATUS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", COMPLETE: "Complete"}


@dataclass(frozen=True)
class Missing:
    label: str
    anchor: str  # the id the workbook page renders for the field or list


@dataclass(frozen=True)
class Task:
    phase: str
    title: str
    url: str
    status: str
    percent: int
    missing: tuple[Missing, ...]
    needed: bool  # the next gate reads this workbook

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def missing_items(facts: WorkbookFacts, phase: str) -> tuple[Missing, ...]:
    spec = SPECS[phase]
    items = [
        Missing(spec.label(name), f"field-{name}")
        for name in spec.required
        if not _filled(facts.fields.get(name))
    ]
    items += [
        Missing(ls.label, f"list-{ls.name}")
        for ls in spec.lists
        if ls.required and not facts.lists.get(ls.name)
    ]
    return tuple(items)


def task_status(facts: WorkbookFacts, phase: str) -> str:
    if facts.complete:
        return COMPLETE
    spec = SPECS[phase]
    names = (*spec.fields, *evidence_fields(spec.model))
    started = any(_filled(facts.fields.get(name)) for name in names) or any(
        facts.lists.get(ls.name) for ls in spec.lists
    )
    return IN_PROGRESS if started else NOT_STARTED


def task_list(pilot, facts: dict[str, WorkbookFacts], needed=()) -> list[Task]:
    return [
        Task(
            phase=phase,
            title=spec.title,
            url=reverse("portfolio:workbook", args=[pilot.pk, phase]),
            status=task_status(facts[phase], phase),
            percent=progress(facts[phase], phase),
            missing=missing_items(facts[phase], phase),
            needed=phase in needed,
        )
        for phase, spec in SPECS.items()
    ]
