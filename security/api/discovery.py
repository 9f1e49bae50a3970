"""Cloud Discovery: the three-step log upload (URL, PUT, done), uploads and streams. A
log collector's limits come from security/uploads.py, which extensions/ fills."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bodies import RequestBody, StrictBool, StrictInt, StrictText
from core.exceptions import BadRequest
from core.http import NO_STORE, route_url
from core.inputs import parse_int
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.schema import ErrorSerializer
from security import presenters, selectors, services, uploads
from security.api.base import (
    DISCOVERY_READ,
    RECORD,
    C,
    DataApiView,
    ResourceList,
)
from security.block_scripts import block_script
from security.enumerations import BLOCK_SCRIPT_FORMATS
from security.filters import parse_list_request
from security.models import DataSource, DiscoveredApp, DiscoveryUpload, Sanction

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
STREAM_REQUIRED = "streamId is required: the _id of one of discovery/streams/."
CATEGORIES_ANSWER = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "A category id, SAASDB_CATEGORY_*."},
            "total": {"type": "integer", "description": "Apps of the category."},
        },
    },
}


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
        return Response({"success": True, "upload": presenters.upload_data(upload)})


class DiscoveryUploadListApi(ResourceList):
    """The tenant's log uploads with their status, newest first."""

    capabilities = {"GET": DISCOVERY_READ, "POST": DISCOVERY_READ}
    model, resource = DiscoveryUpload, "discovery uploads"
    fields, sorts = {}, {"created": ("created", "id")}
    default_sort = ("created", "desc")

    def base_queryset(self):
        return super().base_queryset().select_related("data_source", "requested_by")

    def present(self, upload):
        return presenters.upload_data(upload)


class DiscoveryStreamsApi(DataApiView):
    """The tenant's data sources (continuous reports)."""

    capabilities = {"GET": DISCOVERY_READ}

    @extend_schema(responses={200: {"type": "array", "items": RECORD}})
    def get(self, request):
        sources = DataSource.objects.for_tenant(self.tenant).order_by("name")
        return Response([presenters.stream_data(source) for source in sources])


class DiscoveryCategoriesApi(DataApiView):
    """The app categories of a continuous report (a data source): `[{"id", "total"}]`, the
    number of apps of each category its logs showed, a bare array as the reference's. The
    list body as elsewhere, plus `streamId` (the data source's `_id`, required) and
    `timeFrame` (apps seen in the last so many days). Filter `category` (eq, neq) by ids;
    sortField `score` (the total), sortDirection asc or desc (desc unless given)."""

    capabilities = {"GET": DISCOVERY_READ, "POST": DISCOVERY_READ}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class InputSerializer(RequestBody):
        streamId = StrictText(
            max_length=64, required=True, message=STREAM_REQUIRED, help_text=STREAM_REQUIRED
        )
        timeFrame = StrictInt(
            digits=True, help_text="Only apps seen in the last so many days (1 to 3650)."
        )

    @extend_schema(responses={200: CATEGORIES_ANSWER})
    def get(self, request):
        body = self.InputSerializer.read_fields(request)
        list_request = parse_list_request(request)
        source = DataSource.objects.for_tenant(self.tenant).filter(public_id=body["streamId"])
        if not source.exists():
            raise exceptions.NotFound("No data source of this tenant has that streamId.")
        days = body["timeFrame"]
        if days is not None and not 1 <= days <= 3650:
            raise BadRequest("timeFrame must be a number of days from 1 to 3650.")
        filters = list_request.filters
        if unknown := sorted(set(filters) - {"category"}):
            raise BadRequest(
                f"Unknown filter field '{unknown[0]}' for categories; known fields: category"
            )
        category = filters.get("category")
        if category is not None and not isinstance(category, dict):
            raise BadRequest('filters.category must be an object of operators, e.g. {"eq": [...]}')
        counts = selectors.category_counts(source.get(), days=days, filters=category)
        descending = list_request.sort_direction != "asc"
        if list_request.sort_field not in (None, "score"):
            raise BadRequest("sortField must be score.")
        counts.sort(key=lambda row: (row["total"], row["id"]), reverse=descending)
        skip, limit = list_request.skip, list_request.limit
        return Response(counts[skip : skip + limit])

    post = get


class FormatIsAParameter(DefaultContentNegotiation):
    """`?format=` is the block script's appliance here, not DRF's choice of renderer (which
    would answer 404 for `format=120`): the script is plain text, errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DiscoveryBlockScriptApi(DataApiView):
    """A firewall or proxy's block script for the apps this tenant tagged unsanctioned:
    `?format=<appliance>` (102 BlueCoat ProxySG, 104 Cisco ASA, 108 Fortinet FortiGate, 112
    Palo Alto, 120 Zscaler, 129 Juniper SRX, 135 Websense) and `type=banned` (the only type,
    also the default). Plain text, one rule per line."""

    capabilities = {"GET": (C.DISCOVERY_MANAGE,)}
    content_negotiation_class = FormatIsAParameter

    @extend_schema(
        parameters=[
            OpenApiParameter("format", int, enum=sorted(BLOCK_SCRIPT_FORMATS), required=True),
            OpenApiParameter("type", str, enum=["banned"]),
        ],
        responses={(200, "text/plain"): OpenApiResponse({"type": "string"})},
    )
    def get(self, request):
        raw = request.query_params.get("format", "")
        format_id = parse_int(raw) if raw else None
        if format_id not in BLOCK_SCRIPT_FORMATS:
            names = ", ".join(f"{k} {v}" for k, v in BLOCK_SCRIPT_FORMATS.items())
            raise BadRequest(f"format must be one of {names}.")
        kind = request.query_params.get("type", "banned")
        if kind != "banned":
            raise BadRequest("type must be banned (the apps tagged unsanctioned).")
        apps = DiscoveredApp.objects.for_tenant(self.tenant).filter(sanction=Sanction.UNSANCTIONED)
        script = block_script(format_id, apps)
        return HttpResponse(script, content_type="text/plain; charset=utf-8", headers=NO_STORE)
