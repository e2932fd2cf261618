"""One JSON error shape for the whole API: {"message": str, "errors": {field: [str]}}."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.rules import log_denied_once
from config.errors import Conflict
from config.throttling import AuthFailureThrottle


def _field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _field_errors(value).items():
                    out[f"{field}.{sub}"] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, msgs in _field_errors(item).items():
                        out[f"{field}[{index}].{sub}"] = msgs
            else:
                out[field] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    return {
        "non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]
    }


def exception_handler(exc, context):
    request = context.get("request")
    if request is not None and isinstance(
        exc, PermissionDenied | Http404 | exceptions.PermissionDenied | exceptions.NotFound
    ):
        status_code = 404 if isinstance(exc, Http404 | exceptions.NotFound) else 403
        log_denied_once(request, exc, status_code)
    if request is not None and isinstance(
        exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed
    ):
        AuthFailureThrottle().record_failure(request)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"message": "The request body is too large.", "errors": {}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, OverflowError | DataError):
        # A number past the column's range or text the database cannot store, sent by the
        # client: bad input, not a server fault. Nothing was written (the atomic block
        # around the write has rolled back by now).
        return Response(
            {"message": "A value in the request is out of range or not storable.", "errors": {}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, Conflict):
        return Response({"message": exc.message, "errors": {}}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, ObjectDoesNotExist):
        # The object went away between lookup and use (a concurrent delete): for the
        # caller it is simply not there any more. No model name in the message.
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, Http404):
        message = str(exc)
        if not message or message.endswith(" matches the given query."):
            message = "Not found."  # get_object_or_404 names the model: keep it inside
        exc = exceptions.NotFound(message)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        names = ", ".join(sorted(errors))
        response.data = {"message": f"Invalid input: {names}.", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"message": str(detail) or str(exc), "errors": {}}
    return response


def _json_error(status_code: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message, "errors": {}}, status=status_code)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


# Django-level handlers (config/urls.py): requests that never reach a DRF view, such as an
# unknown /api/ URL or a body over DATA_UPLOAD_MAX_MEMORY_SIZE, get the same JSON shape
# under /api/ and the usual pages elsewhere. 403/404 also land in the security log.


def bad_request(request, exception=None):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json_error(413, "The request body is too large.")
        return _json_error(400, "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    log_denied_once(request, exception, 403)
    if _is_api(request):
        return _json_error(403, str(exception or "") or "You may not do that.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    log_denied_once(request, exception, 404)
    if _is_api(request):
        return _json_error(404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json_error(500, "Server error. It has been logged; please try again later.")
    return defaults.server_error(request)
