"""Request guards that apply before any view runs."""

from django.http import HttpResponseBadRequest, JsonResponse


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
