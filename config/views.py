from django.db import connection
from django.http import JsonResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


def healthz(request):
    """Liveness and database reachability, for load balancers and `make up`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI without inline code: the init script comes from `?script`, the page's
    few style rules from a static file, so the site-wide CSP needs no exception."""

    template_name = "api/swagger_ui.html"


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI document (YAML by default, `?format=json`); its errors, such as an
    unknown `?format=`, in the API's JSON error shape rather than as YAML."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
