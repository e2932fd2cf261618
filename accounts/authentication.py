"""`Authorization: Bearer <token>` (or `Token <token>`) for the API."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.services import TOKEN_PREFIX, token_digest
from config.throttling import AuthFailureThrottle

# Writing last_used_at on every request would turn every read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    # config.throttling.TokenRateThrottle: request.auth is an ApiToken with its own budget.
    per_token_budget = True

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        secret = header[1]
        parts = secret.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            raise exceptions.AuthenticationFailed("Invalid token.")
        prefix = parts[1]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        digest = token_digest(secret)
        # Compare even when no token matched, so timing does not reveal valid prefixes.
        expected = token.digest if token else "0" * 64
        if not hmac.compare_digest(expected, digest) or token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is inactive.")
        AuthFailureThrottle().remember_good(request, prefix)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class AuthFailureLockout(authentication.BaseAuthentication):
    """First in the chain: an address whose failed-authentication budget is spent gets
    429 without its credentials being checked, so guesses cost time.

    Exempt: a browser session that is logged in, and a token whose prefix authenticated
    from this address before (a client behind the same NAT as an attacker keeps working;
    an attacker cannot use that without already holding a good token).
    """

    def authenticate(self, request):
        throttle = AuthFailureThrottle()
        if not throttle.spent(request):
            return None
        if getattr(request._request, "user", None) and request._request.user.is_authenticated:
            return None  # the session class authenticates it
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        parts = header[1].split("_", 2) if len(header) == 2 else []
        if len(parts) == 3 and throttle.is_known_good(request, parts[1]):
            return None
        raise exceptions.Throttled(
            wait=throttle.wait(), detail="Too many failed authentications from your address."
        )

    def authenticate_header(self, request) -> str:
        # DRF asks the first class for the challenge; without one a 401 becomes a 403.
        return BearerTokenAuthentication().authenticate_header(request)
