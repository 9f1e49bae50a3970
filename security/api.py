"""The Defender for Cloud Apps compatible data API: thin views over security/resources.py
(fields, sorts, shapes), security/filters.py (the list language) and security/services.py
(every change). Each view says which capability each method needs; a token carries its
issuer's capabilities and an Entra token those it was granted, checked at request time."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapabilityFor
from accounts.roles import Capability
from core.http import NO_STORE
from core.inputs import text_problem
from core.parsers import FormParser, JSONParser, MultiPartParser
from security import resources, services, uploads
from security.filters import (
    FilterError,
    ListRequest,
    build_q,
    parse_list_request,
    string_value,
)
from security.models import Activity, Alert, DataSource, DiscoveryUpload, Entity, File, Subnet

C = Capability
INVESTIGATION_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE)
ALERTS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
ALERTS_MANAGE = (C.INVESTIGATION_MANAGE, C.DISCOVERY_MANAGE)
DISCOVERY_READ = (C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
SUBNETS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.SETTINGS_READ, C.SETTINGS_MANAGE)


class BadRequest(exceptions.APIException):
    status_code = 400
    default_detail = "Bad request."


def bad_request(error: Exception) -> BadRequest:
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            field, errors = next(iter(error.error_dict.items()))
            return BadRequest(f"{field}: {errors[0].messages[0]}")
        return BadRequest(error.messages[0])
    return BadRequest(str(error))


class DataApiView(APIView):
    permission_classes = [HasCapabilityFor]
    capabilities: dict[str, tuple[Capability, ...]] = {}

    @property
    def tenant(self):
        return self.request.user.tenant

    def handle_exception(self, exc):
        if isinstance(exc, FilterError | DjangoValidationError):
            exc = bad_request(exc)
        return super().handle_exception(exc)

    def actor(self) -> str:
        """Who did it, as alerts and feedback record it: a user name or an application id."""
        return self.request.user.username


def envelope(queryset, list_request: ListRequest, present) -> dict:
    """One page in the reference's envelope. `total` is exact up to DATA_API_COUNT_BOUND and
    then says so with `moreThanTotal`: counting past it would read every matching row."""
    skip, limit = list_request.skip, list_request.limit
    rows = list(queryset[skip : skip + limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    if skip == 0 and not has_next:
        total, more = len(rows), False
    else:
        bound = settings.DATA_API_COUNT_BOUND
        counted = queryset.order_by()[: bound + 1].count()
        total, more = min(counted, bound), counted > bound
    return {
        "data": [present(row) for row in rows],
        "hasNext": has_next,
        "max": total,
        "total": total,
        "moreThanTotal": more,
    }


class ResourceList(DataApiView):
    """GET or POST, with the list body as JSON (GET too), form fields or query parameters."""

    # The reference shows `limit` sent URL-encoded, as form data and in a JSON body.
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    model = None
    fields: dict = {}
    sorts: dict = {}
    default_sort: tuple = ("date", "desc")
    resource = ""

    def base_queryset(self):
        return self.model.objects.for_tenant(self.tenant)

    def present(self, row) -> dict:
        raise NotImplementedError

    def narrowed(self, list_request: ListRequest):
        queryset = self.base_queryset().filter(
            build_q(self.resource, self.fields, list_request.filters)
        )
        order = resources.ordering(
            self.sorts, list_request.sort_field, list_request.sort_direction, self.default_sort
        )
        return queryset.order_by(*order)

    def get(self, request):
        list_request = parse_list_request(request)
        return Response(envelope(self.narrowed(list_request), list_request, self.present))

    post = get


def _one(queryset, **lookup):
    row = queryset.filter(**lookup).first()
    if row is None:
        raise exceptions.NotFound("Not found.")
    return row


def _object_id(pk: str) -> str:
    # Ids are 24 hex characters; anything else cannot name a record.
    if len(pk) != 24 or not all(c in "0123456789abcdef" for c in pk.lower()):
        raise exceptions.NotFound("Not found.")
    return pk.lower()


# --- alerts ------------------------------------------------------------------------------------


class AlertListApi(ResourceList):
    capabilities = {"GET": ALERTS_READ, "POST": ALERTS_READ}
    model, resource = Alert, "alerts"
    fields, sorts = resources.ALERT_FIELDS, resources.ALERT_SORTS

    def present(self, alert):
        return resources.alert_data(alert, self.tenant)


class AlertDetailApi(DataApiView):
    capabilities = {"GET": ALERTS_READ}

    def get(self, request, pk: str):
        alert = _one(Alert.objects.for_tenant(self.tenant), public_id=_object_id(pk))
        return Response(resources.alert_data(alert, self.tenant))


class AlertCloseApi(DataApiView):
    """close_benign / close_false_positive / close_true_positive: the alerts that `filters`
    selects (it must select something: an empty filter would close every alert)."""

    capabilities = {"POST": ALERTS_MANAGE}
    kind = ""

    def post(self, request, pk: str | None = None):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise BadRequest("The body must be a JSON object.")
        alerts = Alert.objects.for_tenant(self.tenant)
        asked_ids = None
        if pk is not None:  # the deprecated per-alert dismiss: the alert must exist
            alert = _one(alerts, public_id=_object_id(pk))
            alerts = alerts.filter(pk=alert.pk)
        else:
            filters = body.get("filters")
            if not isinstance(filters, dict) or not filters:
                raise BadRequest(
                    'filters is required, e.g. {"id": {"eq": ["<alert id>"]}}: an empty filter '
                    "would close every alert."
                )
            alerts = alerts.filter(build_q("alerts", resources.ALERT_FIELDS, filters))
            ids = (filters.get("id") or filters.get("ID") or {}).get("eq")
            if ids is not None:
                asked_ids = [ids] if isinstance(ids, str) else list(ids)
        result = services.alerts_close(
            alerts=alerts,
            kind=self.kind,
            by=self.actor(),
            comment=_optional_text(body, "comment", 10_000),
            reason_id=_optional_int(body, "reasonId"),
            feedback=_feedback(body),
            asked_ids=asked_ids,
        )
        data = {f"closed_{self.kind}": result.closed}
        if result.not_found:
            data["alertsNotFound"] = result.not_found
        return Response(data)


def _optional_text(body: dict, key: str, max_length: int) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise BadRequest(f"{key} must be a string of at most {max_length} characters.")
    return value.strip()


def _optional_int(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be a whole number.")
    return value


def _optional_bool(body: dict, key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false.")
    return value


def _feedback(body: dict) -> dict:
    return {
        "sendFeedback": _optional_bool(body, "sendFeedback"),
        "feedbackText": _optional_text(body, "feedbackText", 10_000),
        "allowContact": _optional_bool(body, "allowContact"),
        "contactEmail": _optional_text(body, "contactEmail", 254),
    }


class AlertMarkApi(DataApiView):
    capabilities = {"POST": ALERTS_MANAGE}
    read = True

    def post(self, request, pk: str):
        alert = _one(Alert.objects.for_tenant(self.tenant), public_id=_object_id(pk))
        services.alert_mark(alert=alert, read=self.read)
        return Response(resources.alert_data(alert, self.tenant))


# --- activities --------------------------------------------------------------------------------


class ActivityListApi(ResourceList):
    """Also scan mode (`isScan`): pages of 500 to 5000 in date order, each answer carrying the
    `nextQueryFilters` to send for the next one, which resume where this one stopped (a
    keyset on date and id: no row is skipped or repeated, however many share a time)."""

    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = Activity, "activities"
    fields, sorts = resources.ACTIVITY_FIELDS, resources.ACTIVITY_SORTS

    def base_queryset(self):
        return super().base_queryset().select_related("entity")

    def present(self, activity):
        return resources.activity_data(activity, self.tenant)

    def get(self, request):
        list_request = parse_list_request(request, scan_allowed=True)
        cursor = list_request.filters.pop(resources.SCAN_CURSOR, None)
        if not list_request.is_scan:
            if cursor is not None:
                raise BadRequest(f"{resources.SCAN_CURSOR} is only for scan mode (isScan).")
            return Response(envelope(self.narrowed(list_request), list_request, self.present))
        return Response(self.scan(list_request, cursor))

    post = get

    def scan(self, list_request: ListRequest, cursor) -> dict:
        if list_request.skip:
            raise BadRequest("Scan mode resumes with nextQueryFilters, not skip.")
        if list_request.sort_field not in (None, "date"):
            raise BadRequest("Scan mode goes in date order: sortField must be date.")
        descending = list_request.sort_direction != "asc"
        queryset = self.base_queryset().filter(
            build_q(self.resource, self.fields, list_request.filters)
        )
        if cursor is not None:
            queryset = queryset.filter(resources.scan_resume_q(cursor, descending))
        order = ["-timestamp", "-id"] if descending else ["timestamp", "id"]
        rows = list(queryset.order_by(*order)[: list_request.limit + 1])
        has_next = len(rows) > list_request.limit
        rows = rows[: list_request.limit]
        data = {"data": [self.present(row) for row in rows], "hasNext": has_next}
        if has_next:
            data["nextQueryFilters"] = {
                **list_request.filters,
                resources.SCAN_CURSOR: {"after": resources.scan_cursor(rows[-1])},
            }
        return data


class ActivityDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ}

    def get(self, request, pk: str):
        activity = _one(
            Activity.objects.for_tenant(self.tenant).select_related("entity"),
            public_id=_object_id(pk),
        )
        return Response(resources.activity_data(activity, self.tenant))


class ActivityFeedbackApi(DataApiView):
    capabilities = {"POST": (C.INVESTIGATION_MANAGE,)}

    def post(self, request, pk: str):
        activity = _one(
            Activity.objects.for_tenant(self.tenant).select_related("entity"),
            public_id=_object_id(pk),
        )
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise BadRequest("The body must be a JSON object.")
        value = body.get("feedbackValue", body.get("feedback"))
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
            raise BadRequest("feedbackValue must be a string or a number.")
        feedback = {
            "feedbackValue": None if value is None else str(value),
            "feedbackText": _optional_text(body, "feedbackText", 10_000),
            "allowContact": _optional_bool(body, "allowContact"),
            "contactEmail": _optional_text(body, "contactEmail", 254),
        }
        services.activity_feedback(activity=activity, feedback=feedback, by=self.actor())
        # The reference shows a list envelope as this answer.
        return Response(
            {"total": 1, "hasNext": False, "data": [resources.activity_data(activity, self.tenant)]}
        )


# --- entities and files ------------------------------------------------------------------------


class EntityListApi(ResourceList):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = Entity, "entities"
    fields, sorts = resources.ENTITY_FIELDS, resources.ENTITY_SORTS
    default_sort = ("severity", "desc")

    def present(self, entity):
        return resources.entity_data(entity)


def _entity(tenant, pk: str) -> Entity:
    """By the reference's base64 pk, or by the bare entity id (retrieve_tree's wording)."""
    key = resources.parse_entity_pk(pk)
    entities = Entity.objects.for_tenant(tenant)
    if key is not None:
        lookup = {"entity_id": key["id"], "inst": key["inst"]}
        if key["saas"] is not None:
            lookup["saas"] = key["saas"]
        return _one(entities.order_by("saas"), **lookup)
    if len(pk) <= 64 and text_problem(pk) is None:
        return _one(entities.order_by("saas"), entity_id=pk)
    raise exceptions.NotFound("Not found.")


class EntityDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}

    def get(self, request, pk: str):
        return Response(resources.entity_data(_entity(self.tenant, pk)))

    post = get  # the reference's curl example fetches with POST


class EntityTreeApi(DataApiView):
    """A user with all of their accounts; an account with its user and its sibling accounts."""

    capabilities = {"GET": INVESTIGATION_READ}

    def get(self, request, pk: str):
        entity = _entity(self.tenant, pk)
        root = entity.parent if entity.parent_id else entity
        accounts = Entity.objects.for_tenant(self.tenant).filter(parent=root).order_by("saas", "id")
        return Response(
            {
                "entity": resources.entity_data(entity),
                "parent": resources.entity_data(root) if root.pk != entity.pk else None,
                "children": [resources.entity_data(a) for a in accounts if a.pk != entity.pk],
            }
        )


class FileListApi(ResourceList):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = File, "files"
    fields, sorts = resources.FILE_FIELDS, resources.FILE_SORTS
    default_sort = ("modifiedDate", "desc")

    def base_queryset(self):
        return super().base_queryset().select_related("owner")

    def narrowed(self, list_request):
        queryset = super().narrowed(list_request)
        allow = list_request.filters.get("allowDeleted", {}).get("eq") is True
        return queryset if allow else queryset.filter(deleted=False)

    def present(self, file):
        return resources.file_data(file)


class FileDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}

    def get(self, request, pk: str):
        file = _one(
            File.objects.for_tenant(self.tenant).select_related("owner"), public_id=_object_id(pk)
        )
        return Response(resources.file_data(file))

    post = get


# --- IP ranges ---------------------------------------------------------------------------------


class SubnetListApi(ResourceList):
    capabilities = {"GET": SUBNETS_READ, "POST": SUBNETS_READ}
    model, resource = Subnet, "subnet"
    fields, sorts = resources.SUBNET_FIELDS, resources.SUBNET_SORTS
    default_sort = ("name", "asc")

    def present(self, subnet):
        return resources.subnet_data(subnet, self.tenant)


def _subnet_body(request) -> dict:
    if not isinstance(request.data, dict):
        raise BadRequest("The body must be a JSON object.")
    return request.data


class SubnetCreateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}

    def post(self, request):
        subnet = services.subnet_create(tenant=self.tenant, data=_subnet_body(request))
        return Response(subnet.public_id)  # the new id, as a JSON string


class SubnetDetailApi(DataApiView):
    capabilities = {"GET": SUBNETS_READ, "DELETE": (C.SETTINGS_MANAGE,)}

    def get(self, request, pk: str):
        subnet = _one(Subnet.objects.for_tenant(self.tenant), public_id=_object_id(pk))
        return Response(resources.subnet_data(subnet, self.tenant))

    def delete(self, request, pk: str):
        subnet = _one(Subnet.objects.for_tenant(self.tenant), public_id=_object_id(pk))
        services.subnet_delete(subnet=subnet)
        # 200, not 204: the reference's script treats any other status as a failure.
        return Response({"_id": subnet.public_id, "deleted": True})


class SubnetUpdateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}

    def post(self, request, pk: str):
        subnet = _one(Subnet.objects.for_tenant(self.tenant), public_id=_object_id(pk))
        subnet = services.subnet_update(subnet=subnet, data=_subnet_body(request))
        return Response(resources.subnet_data(subnet, self.tenant))


# --- Cloud Discovery ---------------------------------------------------------------------------


class DiscoveryUploadUrlApi(DataApiView):
    """Step 1: a one-time URL (valid an hour) to PUT the log file to, served by this product.
    `provider` is "aws": one plain PUT of the whole file, whatever its size. A log collector's
    token may ask only for the log formats of its own data sources."""

    capabilities = {"GET": (C.DISCOVERY_MANAGE,)}
    token_kinds = ("api", "log_collector")

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
        url = f"{settings.PORTAL_SCHEME}://{request.get_host()}/api/v1/discovery/upload/{secret}/"
        return Response({"url": url, "provider": "aws"}, headers=NO_STORE)


@csrf_exempt
@require_http_methods(["PUT"])
def discovery_upload_put(request, secret: str):
    """Step 2: the file itself. The URL is the credential (as a signed storage URL is): no
    Authorization header, usable once, for an hour."""
    upload = services.pending_upload(secret)
    if upload is None:
        return JsonResponse({"detail": "Unknown, used or expired upload URL."}, status=404)
    # Django reads a body only as far as its Content-Length: a chunked body without one
    # would be stored empty, so it is refused.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
    if declared <= 0:
        return JsonResponse(
            {"detail": "Send the log file with its Content-Length (an empty file is no log)."},
            status=411,
        )
    try:
        upload = services.discovery_upload_receive(
            upload=upload, stream=request, declared_size=declared
        )
    except services.UploadTooLarge:
        limit = settings.DISCOVERY_UPLOAD_MAX_BYTES
        return JsonResponse(
            {"detail": f"The file is larger than the upload limit of {limit} bytes."}, status=413
        )
    except DjangoValidationError as error:
        return JsonResponse({"detail": error.messages[0]}, status=400)
    uploads.upload_received.send(sender=DiscoveryUpload, upload=upload)
    return JsonResponse({"size": upload.size, "sha256": upload.sha256}, status=201)


class DiscoveryDoneUploadApi(DataApiView):
    """Step 3: the file goes to a data source (inputStreamName) or a snapshot report."""

    capabilities = {"POST": (C.DISCOVERY_MANAGE,)}
    token_kinds = ("api", "log_collector")

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise BadRequest("The body must be a JSON object.")
        rules = uploads.rules_for(request)
        url = body.get("uploadUrl")
        if not isinstance(url, str) or not url:
            raise BadRequest("uploadUrl is required: the url that upload_url returned.")
        upload = services.upload_by_url(self.tenant, url)
        if upload is None:
            raise exceptions.NotFound("No upload of this tenant has that uploadUrl.")
        stream_name = string_value(body.get("inputStreamName", ""), "inputStreamName").strip()
        as_snapshot = _optional_bool(body, "uploadAsSnapshot")
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

    def get(self, request):
        sources = DataSource.objects.for_tenant(self.tenant).order_by("name")
        return Response([resources.stream_data(source) for source in sources])
