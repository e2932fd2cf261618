"""API throttles: one budget per API token and one per user (all their tokens and session)."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """A budget per API token, so one noisy machine client cannot starve its owner's others."""

    scope = "token"

    def get_cache_key(self, request, view):
        # Only an authentication class that hands out per-token budgets says so
        # (accounts.authentication.BearerTokenAuthentication); a session has no token.
        if not getattr(request.successful_authenticator, "per_token_budget", False):
            return None
        token = request.auth
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class PerUserRateThrottle(UserRateThrottle):
    """A budget per user across the session and all of their tokens together."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # anonymous callers are AnonRateThrottle's business
        return super().get_cache_key(request, view)


class AuthFailureThrottle(SimpleRateThrottle):
    """A budget of failed authentications (401s) per client address.

    DRF's throttles run after authentication and permissions, so a request with a bad
    token, or none, is refused 401 before any budget is spent: token guessing would be
    free. This budget counts those refusals (config.api_errors records them) and, once
    spent, `AuthFailureLockout` refuses the address with 429 before any token is checked.
    """

    scope = "auth_failures"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _history(self, request) -> list[float]:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.history = history
        return history

    def spent(self, request) -> bool:
        return len(self._history(request)) >= self.num_requests

    def record_failure(self, request) -> None:
        history = self._history(request)
        history.insert(0, self.now)
        self.cache.set(self.key, history, self.duration)

    # Good tokens seen from an address, by their public prefix: they stay usable there
    # while someone else's failures lock the address (see SECURITY.md).
    KNOWN_GOOD_SECONDS = 24 * 3600

    def known_good_key(self, request, prefix: str) -> str:
        return f"auth_ok_{self.get_ident(request)}_{prefix}"

    def remember_good(self, request, prefix: str) -> None:
        self.cache.set(self.known_good_key(request, prefix), True, self.KNOWN_GOOD_SECONDS)

    def is_known_good(self, request, prefix: str) -> bool:
        return bool(self.cache.get(self.known_good_key(request, prefix)))
