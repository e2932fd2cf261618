"""Writes on accounts: API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from accounts.models import ApiToken

TOKEN_PREFIX = "pgt"  # noqa: S105  (a public marker, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, by, name: str) -> tuple[ApiToken, str]:
    """Create a token for `by`; returns it with the secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name to 100 characters or fewer."})
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=by, name=name, prefix=prefix, digest=token_digest(secret))
    audit_record(actor=by, action="token.create", obj=token, after={"name": name, "prefix": prefix})
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> ApiToken:
    rules.ensure(
        token.user_id == by.pk or rules.is_admin(by), by, "revoke_token", f"token:{token.pk}"
    )
    # A conditional update, not the copy in hand: of two revocations at once (or one from a
    # stale copy), exactly one finds the token unrevoked and writes the audit event.
    now = timezone.now()
    claimed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if claimed:
        audit_record(actor=by, action="token.revoke", obj=token, after={"prefix": token.prefix})
    token.refresh_from_db(fields=["revoked_at"])
    return token


@transaction.atomic
def user_sessions_end(*, user, by) -> int:
    """End every signed-in session of `user` (each is recorded at sign-in); audited by the
    sessions adapter (accounts/sso/audit_hooks.py). Returns how many ended."""
    from allauth.usersessions.adapter import get_adapter
    from allauth.usersessions.models import UserSession

    rules.ensure(by.pk == user.pk or rules.is_admin(by), by, "end_sessions", f"user:{user.pk}")
    sessions = list(UserSession.objects.filter(user=user))
    if sessions:
        get_adapter().end_sessions(sessions)
    return len(sessions)


@transaction.atomic
def user_access_revoke(*, user, by) -> None:
    """What deactivating an account takes away at once: its API tokens (revoked for good,
    so reactivating the account does not bring them back) and its sessions."""
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token_revoke(token=token, by=by)
    user_sessions_end(user=user, by=by)
