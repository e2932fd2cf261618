"""The system as an actor: what callers that are not a person pass as `by`.

A scheduled task, a data fix or a seed that must move a pilot says so explicitly with
`by=SYSTEM` instead of skipping a service's permission check. Services allow it through
`accounts.rules` (is_system), and the audit trail records it as "system" (no user id), the
way `accounts.audit.audit_record` records an actor that is not a signed-in user.
"""

from __future__ import annotations


class SystemActor:
    """Not a user: never authenticated, no id, no roles. Only the one instance, SYSTEM."""

    pk = None
    id = None
    is_authenticated = False
    is_anonymous = False
    is_active = False
    is_staff = False
    is_superuser = False
    global_roles: tuple = ()

    def get_username(self) -> str:
        return "system"

    def __str__(self) -> str:
        return "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    """True only for SYSTEM itself (an anonymous user is not the system)."""
    return actor is SYSTEM
