"""Answers to the scored checklists (gates.checklists)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from gates.checklists import CHECKLISTS, answer_problems
from gates.models import ChecklistAnswer
from portfolio.models import Pilot


@transaction.atomic
def checklist_answer_set(
    *, pilot: Pilot, checklist: str, answers: dict[str, str], by
) -> list[ChecklistAnswer]:
    """Store an owner's answers to a scored checklist; only changed items are written."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_edit_checklist(by, pilot), by, "edit_checklist", f"pilot:{pilot.pk}")
    spec = CHECKLISTS.get(checklist)
    if spec is None:
        raise ValidationError({"checklist": f"Unknown checklist {checklist!r}."})
    errors = answer_problems(spec, answers)
    if errors:
        raise ValidationError(errors)
    current = {a.item: a for a in ChecklistAnswer.objects.filter(pilot=pilot, checklist=checklist)}
    before, after, saved = {}, {}, []
    for key, value in answers.items():
        existing = current.get(key)
        if (existing.status if existing else "") == value:
            continue
        before[key] = existing.status if existing else ""
        after[key] = value
        if existing is None:
            existing = ChecklistAnswer(pilot=pilot, checklist=checklist, item=key)
        existing.status, existing.updated_by, existing.updated_at = value, by, timezone.now()
        existing.save()
        saved.append(existing)
    if after:
        audit_record(
            actor=by,
            action="checklist.answer",
            object_type="portfolio.pilot",
            object_id=pilot.pk,
            pilot_id=pilot.pk,
            before={"checklist": checklist, **before},
            after={"checklist": checklist, **after},
        )
    return saved
