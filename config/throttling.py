"""API throttles: one budget per API token and one per user (all their tokens and session)."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """A budget per API token, so one noisy machine client cannot starve its owner's others."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class PerUserRateThrottle(UserRateThrottle):
    """A budget per user across the session and all of their tokens together."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # anonymous callers are AnonRateThrottle's business
        return super().get_cache_key(request, view)
