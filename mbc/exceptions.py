"""The API's error shape: always JSON. Service ValidationErrors are 400s with field messages, conflicts 409s, and a
404 or 500 under /api/ (outside any DRF view) is JSON too, never an HTML page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from instruments.services import SubmissionConflict


class Conflict(APIException):
    """409: the request is well formed but clashes with what is already recorded (DRF has no such class)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with what is already recorded."
    default_code = "conflict"


def _detail(exc: DjangoValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SubmissionConflict):
        exc = Conflict(detail=_detail(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=_detail(exc))
    return exception_handler(exc, context)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error: the request was not completed. Please try again."}, status=500)
    return defaults.server_error(request)
