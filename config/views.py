from django.db import connection
from django.http import JsonResponse
from drf_spectacular.views import SpectacularSwaggerSplitView


def healthz(request):
    """Liveness and database reachability, for load balancers and `make up`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI without inline code: the init script comes from `?script`, the page's
    few style rules from a static file, so the site-wide CSP needs no exception."""

    template_name = "api/swagger_ui.html"
