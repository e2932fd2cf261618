"""Request guards that apply before any view runs."""

from django.core.exceptions import TooManyFilesSent
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse


class NullByteGuard:
    """Refuse a NUL character in the path or query string with 400.

    No legitimate request carries one, PostgreSQL refuses them in text, and a view that
    passes a query value to the ORM unvalidated would otherwise answer 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"message": message, "errors": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class QueryLengthGuard:
    """Refuse a query string longer than PILOTGATE_MAX_QUERY_BYTES with 414, in the API's
    JSON error shape under /api/.

    The web server has a limit of its own on the whole request line (gunicorn 8,190 bytes,
    gunicorn.conf.py; runserver 64 KB), which used to answer first with an HTML page. This
    lower limit means API clients get our answer for every URL up to the server's.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.limit = settings.PILOTGATE_MAX_QUERY_BYTES
        self.get_response = get_response

    def __call__(self, request):
        length = len(request.META.get("QUERY_STRING", "").encode("latin-1", "replace"))
        if length > self.limit:
            message = (
                f"The query string is {length:,} bytes long; at most {self.limit:,} are "
                "accepted. Send fewer or shorter parameters."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"message": message, "errors": {}}, status=414)
            return HttpResponse(message, status=414, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def shows_too_many_files(view):
    """Mark a view that answers a POST with more files than DATA_UPLOAD_MAX_NUMBER_FILES
    itself (a form error on its page) instead of Django's bare 400: see TooManyFilesGuard."""
    view.shows_too_many_files = True
    return view


class TooManyFilesGuard:
    """For a view marked `shows_too_many_files`, read the POST before the CSRF check does:
    when it holds too many files, Django has dropped the whole body, so the view gets the
    request as a GET (nothing can be written) with `request.too_many_files` set, and shows
    its form with the error. Other views keep Django's 400. Sits before CsrfViewMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not getattr(view_func, "shows_too_many_files", False):
            return None
        try:
            request.POST  # noqa: B018 - parsing is the point
        except TooManyFilesSent:
            request.too_many_files = True
            request.method = "GET"
        return None
