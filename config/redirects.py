"""Where a form goes back to after a POST: the page that sent it, when that is one of ours."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str:
    """The POST's `next` parameter when it is a URL on this site, else an empty string (an
    absolute URL elsewhere, a scheme-relative `//evil` or a `javascript:` one is refused)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
