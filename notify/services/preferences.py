"""Preferences: how each person hears about each topic; unsubscribing from an email."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record
from notify import tokens
from notify.catalog import (
    CANNOT_TURN_OFF,
    TOPICS,
    Mode,
    allowed_modes,
    default_mode,
)
from notify.models import Preference

User = get_user_model()


def modes_of(user) -> dict[str, str]:
    """Every topic's mode for `user`, defaults filled in."""
    stored = dict(Preference.objects.filter(user=user).values_list("topic", "mode"))
    executive = rules.is_executive(user)
    modes = {}
    for topic in TOPICS:
        mode = stored.get(topic) or default_mode(topic, is_executive=executive)
        modes[topic] = mode if mode in allowed_modes(topic) else allowed_modes(topic)[0]
    return modes


def _mode_for(user, topic: str, cache: dict) -> str:
    if user.pk not in cache:
        cache[user.pk] = modes_of(user)
    return cache[user.pk].get(topic, Mode.IMMEDIATE)


@transaction.atomic
def preferences_set(*, user, by, modes: dict[str, str]) -> dict[str, str]:
    """Set `user`'s modes (topic -> mode). Only the person themself changes them."""
    if by is None or not by.is_authenticated or by.pk != user.pk:
        rules.log_denied(by, "notify.preferences", f"user:{user.pk}")
        raise PermissionDenied("Only the person themself can change their notifications.")
    errors = {}
    for topic, mode in modes.items():
        if topic not in TOPICS:
            errors[topic] = f"“{str(topic)[:40]}” is not something Pilotgate notifies about."
        elif mode not in allowed_modes(topic):
            if topic in CANNOT_TURN_OFF and mode == Mode.OFF:
                errors[topic] = "Decisions on your own pilots cannot be turned off."
            else:
                errors[topic] = f"Choose one of the offered options; “{str(mode)[:20]}” is not."
    if errors:
        raise ValidationError(errors)
    before = modes_of(user)
    for topic, mode in modes.items():
        Preference.objects.update_or_create(user=user, topic=topic, defaults={"mode": mode})
    after = modes_of(user)
    changed = {t: after[t] for t in after if after[t] != before[t]}
    if changed:
        audit_record(
            actor=by, action="notify.preferences", object_type="accounts.user", object_id=user.pk,
            before={t: before[t] for t in changed}, after=changed,
        )  # fmt: skip
    return after


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[User, str]:
    """Turn off the topic a signed link names. A changed link is refused (400); a topic
    that cannot be turned off is refused with a pointer to the preferences (409)."""
    from config.errors import Conflict

    read = tokens.read(token)
    if read is None:
        raise ValidationError({"token": "This unsubscribe link is not valid (it was changed)."})
    user_id, topic = read
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or topic not in TOPICS:
        raise ValidationError({"token": "This unsubscribe link is not valid any more."})
    if topic in CANNOT_TURN_OFF:
        raise Conflict(
            "Decisions on your own pilots cannot be turned off; you can have them in the "
            "daily digest instead on your notifications page."
        )
    before = modes_of(user)[topic]
    Preference.objects.update_or_create(user=user, topic=topic, defaults={"mode": Mode.OFF})
    if before != Mode.OFF:
        audit_record(
            actor=user, action="notify.unsubscribe", object_type="accounts.user",
            object_id=user.pk, before={topic: before}, after={topic: Mode.OFF},
        )  # fmt: skip
    return user, topic
