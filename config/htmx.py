"""Helpers for pages that htmx updates in place."""

from urllib.parse import urlencode


def clean_url(request) -> str:
    """The request's URL without its empty parameters: what htmx puts in the address bar
    after a filter (the form sends every field, most of them empty)."""
    query = urlencode([(k, v) for k, v in request.GET.items() if v != ""])
    return f"{request.path}?{query}" if query else request.path
