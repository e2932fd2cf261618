"""Choosing a person: every form field that names someone (a business owner, a delivery lead,
a quality reviewer, a per-pilot role) is a PersonField.

The value is the person's username, so the workbook API (which validates through the same
forms) keeps taking usernames. On a page the field is a select of active users grouped
"On this pilot" (the pilot's role holders, in role order) then "Everyone else"; without
JavaScript it is still a plain select. The server checks the name whatever was sent.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.choices import CallableChoiceIterator

from accounts.models import PilotRole, PilotRoleKind

ON_THIS_PILOT = "On this pilot"
EVERYONE_ELSE = "Everyone else"
NOT_ACTIVE = "No longer active"
_ROLE_ORDER = {kind.value: index for index, kind in enumerate(PilotRoleKind)}


def person_label(user) -> str:
    shown = str(user)
    return shown if shown == user.username else f"{shown} ({user.username})"


def people_choices(pilot, *, keep: tuple[str, ...] = ()) -> list:
    """Grouped (value, label) choices: the pilot's active role holders first (in role
    order), then every other active user by username. `pilot` is a Pilot (its prefetched
    roles are used, and the list is kept on it for the other fields of the page), an id,
    or None. `keep`: usernames to show even if no longer active (a value already stored),
    so a page never shows a stored person as blank."""
    found = getattr(pilot, "_people_choices", None)
    if found is None:
        found = _active_people(pilot)
        if pilot is not None and not isinstance(pilot, int):
            pilot._people_choices = found
    groups, active = found
    choices: list = [("", "Choose a person"), *groups]
    gone = [(name, f"{name} (not active)") for name in keep if name and name not in active]
    if gone:
        choices.append((NOT_ACTIVE, gone))
    return choices


def _active_people(pilot) -> tuple[list, frozenset[str]]:
    if pilot is None:
        roles = []
    elif isinstance(pilot, int):
        roles = list(PilotRole.objects.filter(pilot_id=pilot).only("user_id", "role"))
    else:
        roles = list(pilot.roles.all())
    holders: dict[int, list[str]] = {}
    for role in sorted(roles, key=lambda r: _ROLE_ORDER.get(r.role, 99)):
        holders.setdefault(role.user_id, []).append(PilotRoleKind(role.role).label)
    users = list(get_user_model().objects.filter(is_active=True).order_by("username"))
    by_pk = {user.pk: user for user in users}
    on_pilot = [
        (by_pk[pk].username, f"{person_label(by_pk[pk])} · {', '.join(labels)}")
        for pk, labels in holders.items()
        if pk in by_pk
    ]
    others = [(u.username, person_label(u)) for u in users if u.pk not in holders]
    groups = []
    if on_pilot:
        groups.append((ON_THIS_PILOT, on_pilot))
    if others:
        groups.append((EVERYONE_ELSE, others))
    return groups, frozenset(by_pk[pk].username for pk in by_pk)


class PersonField(forms.CharField):
    """A person named by username: must exist and be active. Cleans to the user (or None).

    Errors name the field, since an API client sees them away from any form."""

    widget = forms.Select

    def __init__(self, *, empty_label: str = "Choose a person", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 150)
        self.empty_label = empty_label
        super().__init__(**kwargs)
        self.widget.choices = [("", empty_label)]

    def offer(self, pilot, *, current: str = "") -> None:
        """Fill the select when it is drawn (an API call never runs the query)."""
        empty = self.empty_label

        def choices():
            found = people_choices(pilot, keep=(current,) if current else ())
            return [("", empty), *found[1:]]

        self.widget.choices = CallableChoiceIterator(choices)

    def clean(self, value):
        name = (super().clean(value) or "").strip()
        label = self.label or "This person"
        if not name:
            if self.required:
                raise ValidationError(f"{label}: choose a person.", code="required")
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise ValidationError(f"{label}: no user named “{name}”.", code="unknown_user")
        if not user.is_active:
            raise ValidationError(
                f"{label}: “{name}” is not an active user; choose someone who can act.",
                code="inactive",
            )
        return user


def offer_people(form, pilot) -> None:
    """Fill every PersonField of `form` with the people of `pilot` (a Pilot, an id or None),
    keeping the field's current value on offer."""
    for name, field in form.fields.items():
        if isinstance(field, PersonField):
            current = form[name].value() or ""
            field.offer(pilot, current=str(current))
