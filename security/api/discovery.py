"""Cloud Discovery: the three-step log upload (URL, PUT, done), uploads and streams. A
log collector's limits come from security/uploads.py, which extensions/ fills."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bodies import RequestBody, StrictBool, StrictText
from core.exceptions import BadRequest
from core.http import NO_STORE, route_url
from core.inputs import parse_int
from core.schema import ErrorSerializer
from security import resources, services, uploads
from security.api.base import (
    DISCOVERY_READ,
    RECORD,
    C,
    DataApiView,
    ResourceList,
)
from security.models import DataSource, DiscoveryUpload

# --- Cloud Discovery ---------------------------------------------------------------------------


class DiscoveryUploadUrlApi(DataApiView):
    """Step 1: a one-time URL (valid an hour) to PUT the log file to, served by this product.
    `provider` is "aws": one plain PUT of the whole file, whatever its size. A log collector's
    token may ask only for the log formats of its own data sources."""

    capabilities = {"GET": (C.DISCOVERY_MANAGE,)}
    token_kinds = ("api", "log_collector")

    @extend_schema(
        parameters=[
            OpenApiParameter("filename", str, description="The log file's name."),
            OpenApiParameter("source", str, description="The log format (e.g. GENERIC_CEF)."),
        ],
        responses={
            200: {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "description": "PUT the file here, once."},
                    "provider": {"type": "string", "enum": ["aws"]},
                },
            }
        },
    )
    def get(self, request):
        filename = request.query_params.get("filename", "").strip()
        source = request.query_params.get("source", "").strip().upper()
        rules = uploads.rules_for(request)
        if rules is not None:
            rules.check_url(source)
        _, secret = services.discovery_upload_begin(
            user=request.user,
            tenant=self.tenant,
            filename=filename,
            source=source,
            collector=rules.requester if rules is not None else None,
        )
        # On the host the client used; the scheme the portal is served with (behind a TLS
        # proxy the request itself may have come in over plain HTTP).
        origin = f"{settings.PORTAL_SCHEME}://{request.get_host()}"
        url = route_url(origin, "data:discovery-upload", secret=secret)
        return Response({"url": url, "provider": "aws"}, headers=NO_STORE)


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_detail = "Send the log file with its Content-Length (an empty file is no log)."


class UploadTooLarge(exceptions.APIException):
    status_code = 413


class DiscoveryUploadPutApi(APIView):
    """Step 2: the file itself. The URL is the credential (as a signed storage URL is): no
    Authorization header, usable once, for an hour. Not counted by the tenant throttle."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes: list = []  # the body is the file, read as a stream below

    @extend_schema(
        request={"application/octet-stream": {"type": "string", "format": "binary"}},
        responses={
            201: {
                "type": "object",
                "properties": {"size": {"type": "integer"}, "sha256": {"type": "string"}},
            },
            411: OpenApiResponse(ErrorSerializer, description="No Content-Length."),
            413: OpenApiResponse(ErrorSerializer, description="Larger than the upload limit."),
        },
    )
    def put(self, request, secret: str):
        upload = services.pending_upload(secret)
        if upload is None:
            raise exceptions.NotFound("Unknown, used or expired upload URL.")
        # Django reads a body only as far as its Content-Length: a chunked body without one
        # would be stored empty, so it is refused.
        declared = parse_int(request.META.get("CONTENT_LENGTH") or "0")
        if declared is None:
            raise BadRequest("Content-Length is not a number.")
        if declared <= 0:
            raise LengthRequired()
        try:
            upload = services.discovery_upload_receive(
                upload=upload, stream=request._request, declared_size=declared
            )
        except services.UploadTooLarge:
            limit = settings.DISCOVERY_UPLOAD_MAX_BYTES
            raise UploadTooLarge(
                f"The file is larger than the upload limit of {limit} bytes."
            ) from None
        uploads.upload_received.send(sender=DiscoveryUpload, upload=upload)
        return Response({"size": upload.size, "sha256": upload.sha256}, status=201)


discovery_upload_put = DiscoveryUploadPutApi.as_view()


URL_REQUIRED = "uploadUrl is required: the url that upload_url returned."


class DiscoveryDoneUploadApi(DataApiView):
    """Step 3: the file goes to a data source (inputStreamName) or a snapshot report."""

    capabilities = {"POST": (C.DISCOVERY_MANAGE,)}
    token_kinds = ("api", "log_collector")

    class InputSerializer(RequestBody):
        uploadUrl = StrictText(max_length=2048, message=URL_REQUIRED, help_text=URL_REQUIRED)
        inputStreamName = StrictText(max_length=200, help_text="The data source to process into.")
        uploadAsSnapshot = StrictBool(help_text="A snapshot report instead of a data source.")

        def validate(self, attrs):
            if not attrs["uploadUrl"]:
                raise serializers.ValidationError({"uploadUrl": URL_REQUIRED})
            return attrs

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {"success": {"type": "boolean"}, "upload": RECORD},
            }
        }
    )
    def post(self, request):
        body = self.InputSerializer.read(request)
        rules = uploads.rules_for(request)
        upload = services.upload_by_url(self.tenant, body["uploadUrl"])
        if upload is None:
            raise exceptions.NotFound("No upload of this tenant has that uploadUrl.")
        stream_name, as_snapshot = body["inputStreamName"], body["uploadAsSnapshot"]
        if rules is not None:
            rules.check_done(upload, stream_name, as_snapshot)
        upload = services.discovery_upload_done(
            upload=upload, stream_name=stream_name, as_snapshot=as_snapshot
        )
        return Response({"success": True, "upload": resources.upload_data(upload)})


class DiscoveryUploadListApi(ResourceList):
    """The tenant's log uploads with their status, newest first."""

    capabilities = {"GET": DISCOVERY_READ, "POST": DISCOVERY_READ}
    model, resource = DiscoveryUpload, "discovery uploads"
    fields, sorts = {}, {"created": ("created", "id")}
    default_sort = ("created", "desc")

    def base_queryset(self):
        return super().base_queryset().select_related("data_source", "requested_by")

    def present(self, upload):
        return resources.upload_data(upload)


class DiscoveryStreamsApi(DataApiView):
    """The tenant's data sources (continuous reports)."""

    capabilities = {"GET": DISCOVERY_READ}

    @extend_schema(responses={200: {"type": "array", "items": RECORD}})
    def get(self, request):
        sources = DataSource.objects.for_tenant(self.tenant).order_by("name")
        return Response([resources.stream_data(source) for source in sources])
