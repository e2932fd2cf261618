"""Global roles from directory groups, synchronised at every single sign-on."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.audit import audit_record


def groups_from_claims(claims: dict) -> list[str]:
    """The groups claim as a list of strings; absent or malformed means no groups."""
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


@transaction.atomic
def roles_sync(*, user, groups: list[str], provider: str) -> tuple[list[str], list[str]]:
    """Give `user` exactly the mapped roles of `groups`, among the roles the mapping
    (OIDC_GROUP_ROLES) manages; roles it does not mention stay as set in Pilotgate.
    Returns (before, after); a change is audited with both."""
    mapping = settings.OIDC_GROUP_ROLES
    managed = set(mapping.values())
    wanted = {mapping[group] for group in groups if group in mapping}
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    before, after = sorted(current), sorted(wanted)
    if current != wanted:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        user.groups.add(*Group.objects.filter(name__in=wanted - current))
        user.__dict__.pop("_global_roles", None)
        audit_record(
            actor=None,
            action="user.roles_sync",
            obj=user,
            before={"roles": before},
            after={"roles": after, "source": f"directory groups ({provider})"},
        )
    return before, after
