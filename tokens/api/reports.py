"""The public report of leaked credentials (as GitHub's credential revocation API takes them)."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.bodies import (
    RequestBody,
    StrictText,
)
from core.cache import COUNT, run_batch
from core.http import origin_of
from core.inputs import parse_int
from core.schema import ErrorSerializer
from tokens.leaks import MAX_REPORTED, credentials_revoke

# --- the public report of leaked credentials -------------------------------------------------

REPORT_MAX_BYTES = 1024 * 1024


class PerAddressHourly(BaseThrottle):
    """CREDENTIAL_REPORTS_PER_HOUR (60) per client address, in the shared cache, so that
    every app server counts against the same number."""

    def allow_request(self, request, view) -> bool:
        origin = origin_of(request)
        hour = int(time.time() // 3600)
        self._wait = (hour + 1) * 3600 - time.time()
        key = f"credentials-revoke:{origin.ip or 'unknown'}:{hour}"
        limit = settings.CREDENTIAL_REPORTS_PER_HOUR
        return run_batch([(COUNT, key, 3600 + 60)])[0] <= limit

    def wait(self) -> float:
        return self._wait


class CredentialsRevokeApi(APIView):
    """Leaked credentials, reported by anyone (a secret scanner, a researcher), as GitHub's
    credential revocation API takes them: `{"credentials": ["...", ...]}`, at most 1,000
    values and 1 MB. Every value that is a live token of any tenant is revoked at once; the
    answer is the same 202 whatever was sent, so it tells nothing of which were valid or
    whose. No credentials: a call that brings any is refused."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PerAddressHourly]

    class InputSerializer(RequestBody):
        credentials = serializers.ListField(
            child=StrictText(
                max_length=500,
                required=True,
                message="credentials must be a list of strings of at most 500 characters.",
            ),
            min_length=1,
            max_length=MAX_REPORTED,
            help_text="The leaked values, 1 to 1,000.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={202: OpenApiResponse(ErrorSerializer, description="Always, when well formed.")},
    )
    def post(self, request):
        session = getattr(request._request, "session", None)
        if "HTTP_AUTHORIZATION" in request.META or (session and SESSION_KEY in session):
            raise exceptions.PermissionDenied(
                "Report leaked credentials without credentials of your own."
            )
        length = parse_int(request.META.get("CONTENT_LENGTH") or "0") or 0
        if length > REPORT_MAX_BYTES:
            raise PayloadTooLarge()
        body = self.InputSerializer.read(request)
        credentials_revoke(values=body["credentials"], origin=origin_of(request))
        return Response(
            {"detail": "Thank you. Any of these that is a live token has been revoked."},
            status=status.HTTP_202_ACCEPTED,
        )


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "At most 1 MB: send at most 1,000 values."
