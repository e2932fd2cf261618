"""Who may sign in how, and who must have a second factor (settings in config/settings.py)."""

from __future__ import annotations

from django.conf import settings

from accounts import rules

# Set in the session by a single sign-on; the provider, not Pilotgate, owns that login's MFA.
SSO_SESSION_KEY = "pilotgate_sso"
ID_TOKEN_SESSION_KEY = "pilotgate_sso_id_token"  # noqa: S105  (a session key's name)


def local_login_allowed(username: str) -> bool:
    """Passwords are accepted unless PILOTGATE_LOCAL_LOGIN is off; then only for the
    break-glass accounts."""
    if settings.PILOTGATE_LOCAL_LOGIN:
        return True
    return username in settings.PILOTGATE_BREAK_GLASS_USERS


def mfa_required(user) -> bool:
    """Must this local account have a second factor before it may use Pilotgate?"""
    if not user.is_authenticated:
        return False
    if settings.PILOTGATE_MFA_REQUIRED_FOR_STAFF and (
        user.is_staff or user.is_superuser or rules.is_admin(user)
    ):
        return True
    return settings.PILOTGATE_MFA_REQUIRED_FOR_LEADS and rules.is_governance_lead(user)


def is_sso_session(request) -> bool:
    return bool(request.session.get(SSO_SESSION_KEY))
