"""Audit events for sign-in, sign-out, failures, MFA changes and ended sessions.

What is recorded: who, how (password, single sign-on, second factor), the provider, the
reason of a refusal, the client address. Never a password, a code, a token or a session
key: the attempted username of a failure is kept only when such an account exists.
"""

from __future__ import annotations

from allauth.account.signals import user_logged_in, user_signed_up
from allauth.core import context
from allauth.mfa import signals as mfa_signals
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.audit import audit_record
from accounts.sso import policy, roles


def _address(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:64]


def _known_user(username: str):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def record_refusal(request, *, reason: str, provider: str, username: str = "") -> None:
    user = _known_user(username)
    audit_record(
        actor=None,
        action="signin.refused",
        object_type="accounts.user",
        object_id=user.pk if user else "unknown",
        after={
            "method": "sso",
            "provider": provider,
            "reason": reason,
            "username": user.get_username() if user else "",
            "address": _address(request),
        },
    )


def record_link(request, *, user, provider: str) -> None:
    audit_record(
        actor=user,
        action="user.sso_link",
        obj=user,
        after={"provider": provider, "via": "verified email", "address": _address(request)},
    )


@receiver(user_logged_in)
def _on_login(sender, request, user, sociallogin=None, **kwargs):
    method = "password"
    after = {"address": _address(request)}
    if sociallogin is not None:
        provider = sociallogin.account.provider
        method = "sso"
        after["provider"] = provider
        request.session[policy.SSO_SESSION_KEY] = provider
        token = getattr(sociallogin, "pilotgate_id_token", "")
        if token:
            request.session[policy.ID_TOKEN_SESSION_KEY] = token
        claims = sociallogin.account.extra_data.get("userinfo") or {}
        roles.roles_sync(user=user, groups=roles.groups_from_claims(claims), provider=provider)
    elif request.session.get("pilotgate_mfa_used"):
        method = f"password+{request.session.pop('pilotgate_mfa_used')}"
    after["method"] = method
    audit_record(actor=user, action="signin.success", obj=user, after=after)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, reason="password", **kwargs):
    user = _known_user(str(credentials.get("username", "")))
    audit_record(
        actor=None,
        action="signin.failure",
        object_type="accounts.user",
        object_id=user.pk if user else "unknown",
        after={
            "reason": reason,
            "username": user.get_username() if user else "",
            "address": _address(request),
        },
    )


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is None or request is None:
        return
    after = {"address": _address(request)}
    if request.session.get(policy.SSO_SESSION_KEY):
        after["provider"] = request.session[policy.SSO_SESSION_KEY]
    audit_record(actor=user, action="signout", obj=user, after=after)


@receiver(user_signed_up)
def _on_signed_up(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None:
        return
    audit_record(
        actor=None,
        action="user.create_sso",
        obj=user,
        after={
            "username": user.get_username(),
            "email": user.email,
            "provider": sociallogin.account.provider,
        },
    )


def _mfa_event(verb: str):
    def handler(sender, request, user, authenticator, **kwargs):
        audit_record(
            actor=user,
            action=f"mfa.{authenticator.type}.{verb}",
            obj=user,
            after={"address": _address(request)},
        )

    return handler


_mfa_added = _mfa_event("add")
_mfa_removed = _mfa_event("remove")
_mfa_reset = _mfa_event("reset")
mfa_signals.authenticator_added.connect(_mfa_added, dispatch_uid="pilotgate_mfa_add")
mfa_signals.authenticator_removed.connect(_mfa_removed, dispatch_uid="pilotgate_mfa_remove")
mfa_signals.authenticator_reset.connect(_mfa_reset, dispatch_uid="pilotgate_mfa_reset")


@receiver(mfa_signals.authenticator_used)
def _on_mfa_used(sender, request, user, authenticator, **kwargs):
    if request is not None:
        request.session["pilotgate_mfa_used"] = authenticator.type


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        request = context.request
        actor = getattr(request, "user", None)
        for user_id in sorted({session.user_id for session in sessions}):
            audit_record(
                actor=actor if actor is not None and actor.is_authenticated else None,
                action="sessions.end",
                object_type="accounts.user",
                object_id=user_id,
                after={"count": sum(1 for s in sessions if s.user_id == user_id)},
            )
