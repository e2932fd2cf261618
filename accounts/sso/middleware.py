"""Local accounts that must have a second factor are sent to set one up first."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.shortcuts import redirect
from django.urls import reverse

from accounts.sso import policy

# Reachable without a second factor: setting one up, signing out, static files.
_OPEN_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/")


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and policy.mfa_required(user)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not policy.is_sso_session(request)
            and not is_mfa_enabled(user)
        ):
            return redirect(f"{reverse('mfa_activate_totp')}?required=1")
        return self.get_response(request)
