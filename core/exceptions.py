"""The one place that turns errors into API answers, for every API view (the data API, the
tokens and users APIs, SCIM, the SIEM feed, the upload PUT): every error body has a "detail".
A view may give its protocol's own shape to that body (SCIM's error schema) with an
`error_body(exc, response) -> dict` attribute; what goes into it is decided here."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from core.errors import Conflict
from core.http import is_api_path
from core.inputs import InputError


def _first_message(data) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            message = _first_message(value)
            if key in {"non_field_errors", "__all__", "detail"}:
                return message
            return f"{key}: {message}"
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data)


class ConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "The change conflicts with the current state; reload and try again."


class BadRequest(exceptions.APIException):
    status_code = 400
    default_detail = "Bad request."


def api_exception_handler(exc, context):
    if isinstance(exc, InputError):
        # A value this API will not guess at (core/inputs.py, the data API's list language):
        # the message names it.
        exc = BadRequest(str(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))  # a service's refusal says why
    elif isinstance(exc, Conflict):
        exc = ConflictError(exc.detail)
    elif isinstance(exc, IntegrityError):
        # A constraint that a service's own check did not foresee, lost to a concurrent
        # request: the transaction was rolled back, nothing was written.
        exc = ConflictError()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        response.data = {"detail": _first_message(errors), "errors": errors}
    if (shape := getattr(context.get("view"), "error_body", None)) is not None:
        response.data = shape(exc, response)
    return response


def page_not_found(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Permission denied."}, status=403)
    return defaults.permission_denied(request, exception)
