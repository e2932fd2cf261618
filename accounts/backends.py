"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no request to attribute it to.

    Every login over HTTP (the login page, the admin) passes the request, so lockout
    applies there. Calls without one (Django's test client `login()`, management
    commands) have no address to lock and fall through to ModelBackend unchanged.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
