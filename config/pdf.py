"""PDFs made from the pages' own HTML by WeasyPrint.

A PDF is the page's template rendered as usual, laid out by WeasyPrint with the print media
type, so static/css/print.css decides what a printout and a PDF look like. Text is set by
Pango with the system's fonts (Debian: fonts-dejavu-core, fonts-noto-core), falling back
glyph by glyph, so any character a user types comes out as itself. WeasyPrint runs no
JavaScript: pages print their charts' numbers as the tables they already carry.

The fetcher reads this site's static files from disk and nothing else, so rendering never
makes a network request (nor one a user's text could aim somewhere).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)


def _static_file(name: str) -> Path | None:
    """The file behind a static URL's name: the built copy (hashed names) when static files
    are built, else the source file the finders locate."""
    try:
        if settings.STATIC_BUILT:
            root = Path(settings.STATIC_ROOT).resolve()
            path = (root / name).resolve()
            return path if path.is_file() and path.is_relative_to(root) else None
        found = finders.find(name)
    except (SuspiciousFileOperation, ValueError):
        return None
    return Path(found) if found else None


def _fetcher(origin: str):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path.startswith(
                static_prefix
            ):
                raise ValueError(f"a PDF loads only this site's static files, not {url}")
            path = _static_file(unquote(parts.path.removeprefix(static_prefix)))
            if path is None:
                raise ValueError(f"no static file at {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticFilesOnly(allowed_protocols=("http", "https", "data"))


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot load: the system's Pango library is missing."""


def _weasyprint():
    try:
        import weasyprint
    except (OSError, ImportError) as exc:  # it loads Pango through ctypes on import
        raise PdfUnavailable(str(exc)) from exc
    return weasyprint


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    HTML = _weasyprint().HTML  # noqa: N806 (WeasyPrint's class name)

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher(origin)).write_pdf()


def pdf_response(
    request: HttpRequest, template: str, context: dict, *, filename: str
) -> HttpResponse:
    """The template rendered as for the page, as a PDF download named `filename`."""
    html = render_to_string(template, context, request=request)
    try:
        pdf = html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    except PdfUnavailable as exc:
        logger.error("PDF rendering is unavailable: %s", exc)
        return HttpResponse(
            "PDFs need the Pango text library on the server (Debian: apt-get install "
            "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core). The page itself and its "
            "Markdown export work without it.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
