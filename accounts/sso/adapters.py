"""django-allauth adapters: Pilotgate's sign-in rules (see SECURITY.md "Sign-in").

- No self-service sign-up: local accounts are made by an admin; single sign-on creates
  the account just in time.
- An existing local account is linked to a provider identity only through an email
  address the provider says it verified; otherwise the sign-in is refused.
- A deactivated account cannot sign in through the provider either.
- Every refusal renders one clear page (403) and writes an audit event with a reason code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.urls import reverse
from requests import RequestException

from accounts.sso import audit_hooks, policy
from accounts.sso.provider import SignInRefused

# What the refusal page says for each reason (the audit event carries the code).
REFUSALS = {
    "state_unknown_or_reused": (
        "This sign-in link has already been used, has expired, or was started in another "
        "browser. Start again from the sign-in page."
    ),
    "id_token_signature_invalid": (
        "The identity provider's answer failed its signature check: it may have been "
        "altered on the way. Nothing was signed in."
    ),
    "nonce_mismatch": (
        "The identity provider's answer does not belong to this sign-in attempt (its nonce "
        "does not match)."
    ),
    "id_token_expired": (
        "The identity provider's answer has expired. Try again; if this keeps happening, "
        "the provider's clock and Pilotgate's disagree."
    ),
    "id_token_not_yet_valid": (
        "The identity provider's answer is dated in the future: the provider's clock and "
        "Pilotgate's disagree."
    ),
    "email_unverified": (
        "A Pilotgate account already uses this email address, and the identity provider "
        "has not verified that the address is yours, so the two cannot be linked. Ask "
        "your administrator."
    ),
    "account_inactive": "Your Pilotgate account is deactivated. Ask your administrator.",
    "provider_error": (
        "The identity provider could not be reached or refused the sign-in. Try again later."
    ),
    "cancelled": "The sign-in was cancelled at the identity provider.",
    "connect_not_offered": (
        "Pilotgate does not link further identities to a signed-in account. Sign out, then "
        "sign in with single sign-on."
    ),
}
DEFAULT_REFUSAL = "The identity provider's answer could not be accepted. Nothing was signed in."


def refuse(request, *, reason: str, provider: str, username: str = "") -> None:
    """Audit the refusal and stop the sign-in with the page that explains it."""
    audit_hooks.record_refusal(request, reason=reason, provider=provider, username=username)
    response = render(
        request,
        "accounts/signin_refused.html",
        {"reason": reason, "message": REFUSALS.get(reason, DEFAULT_REFUSAL)},
        status=403,
    )
    raise ImmediateHttpResponse(response)


class AccountAdapter(DefaultAccountAdapter):
    # The header says who is signed in; these notices would only repeat it.
    _SILENT_MESSAGES = frozenset(
        {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}
    )

    def is_open_for_signup(self, request) -> bool:
        return False

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if message_template in self._SILENT_MESSAGES:
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def get_logout_redirect_url(self, request) -> str:
        """After a single sign-on, end the provider's session too (RP-initiated logout):
        the provider returns the browser to the login page."""
        default = super().get_logout_redirect_url(request)
        id_token = request.session.get(policy.ID_TOKEN_SESSION_KEY)
        provider_id = request.session.get(policy.SSO_SESSION_KEY)
        if not id_token or not provider_id:
            return default
        end_session = _end_session_endpoint(request, provider_id)
        if not end_session:
            return default
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("accounts:login")),
            }
        )
        return f"{end_session}?{query}"


def _end_session_endpoint(request, provider_id: str) -> str:
    from accounts.sso.provider import PilotgateOIDCAdapter

    try:
        config = PilotgateOIDCAdapter(request, provider_id).openid_config
    except (RequestException, ValueError, LookupError):
        return ""
    return config.get("end_session_endpoint", "")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.display_name = (data.get("name") or "")[:150]
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        provider = sociallogin.account.provider
        if sociallogin.state.get("process") != "login":
            # allauth's "connect" (link another identity to the signed-in account) is not
            # offered: a provider identity joins an account only by a verified email.
            refuse(request, reason="connect_not_offered", provider=provider)
        if sociallogin.is_existing:
            if not sociallogin.user.is_active:
                refuse(
                    request,
                    reason="account_inactive",
                    provider=provider,
                    username=sociallogin.user.get_username(),
                )
            return
        data = sociallogin.account.extra_data
        claims = data.get("userinfo") or data.get("id_token") or {}
        email = (claims.get("email") or "").strip()
        if not email:
            return
        existing = get_user_model().objects.filter(email__iexact=email).first()
        if existing is None:
            return
        if claims.get("email_verified") is not True:
            refuse(
                request,
                reason="email_unverified",
                provider=provider,
                username=existing.get_username(),
            )
        if not existing.is_active:
            refuse(
                request,
                reason="account_inactive",
                provider=provider,
                username=existing.get_username(),
            )
        sociallogin.connect(request, existing)
        audit_hooks.record_link(request, user=existing, provider=provider)

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        extra_context = extra_context or {}
        if isinstance(exception, SignInRefused):
            reason = exception.reason
        elif exception is not None:
            reason = "provider_error"
        elif error == AuthError.CANCELLED:
            reason = "cancelled"
        elif "state" not in extra_context:
            reason = "state_unknown_or_reused"
        else:
            reason = "provider_error"
        refuse(request, reason=reason, provider=getattr(provider, "sub_id", "") or "")
