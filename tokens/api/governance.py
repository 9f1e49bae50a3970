"""Least privilege across the tenant, for its full admins (Tokens.manage_all): the tokens
holding capabilities they have not used in 30 days, with the narrowing each could take; and
the credential inventory, streamed as JSON or CSV."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser, has_capability
from accounts.roles import Capability
from core.http import NO_STORE, close_with, no_store, origin_of
from tokens.inventory import COLUMNS, inventory_export
from tokens.least_privilege import COUNT_BOUND, EVIDENCE_DAYS, overprivileged_tokens

FORMATS = ("json", "csv")


class UnusedTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    suffix = serializers.CharField()
    owner = serializers.CharField(source="user.username")
    capabilities = serializers.SerializerMethodField()
    unused = serializers.ListField(
        child=serializers.CharField(), help_text=f"Held, not used in {EVIDENCE_DAYS} days."
    )
    narrowing = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The scopes it could be narrowed to (POST /api/v1/tokens/<id>/narrow/); "
        "null: none to take, `why` says why.",
    )
    why = serializers.CharField()

    def get_capabilities(self, token) -> list[str]:
        return sorted(token.capabilities)


class UnusedCapabilitiesSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=f"Counted up to {COUNT_BOUND + 1:,}.")
    count_over_bound = serializers.BooleanField()
    tokens = UnusedTokenSerializer(many=True, help_text="The first 50, oldest first.")


class UnusedCapabilitiesApi(APIView):
    """The tenant's current API tokens, made at least 30 days ago, that hold capabilities
    they have not used in 30 days, each with the narrowing it could take."""

    permission_classes = [IsPortalUser, has_capability(Capability.TOKENS_MANAGE_ALL)]

    @extend_schema(responses={200: UnusedCapabilitiesSerializer})
    def get(self, request):
        found = overprivileged_tokens(request.user.tenant_id)
        answer = {
            "count": found.count,
            "count_over_bound": found.over_bound,
            "tokens": UnusedTokenSerializer(found.tokens, many=True).data,
        }
        return Response(answer, headers=NO_STORE)


class CredentialSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["api_token", "siem_agent", "log_collector", "scim_token", "entra_application"]
    )
    id = serializers.CharField(help_text="A token's id; an application's app id.")
    name = serializers.CharField()
    owner = serializers.CharField(allow_null=True, help_text="null: an application.")
    owner_deprovisioned = serializers.BooleanField()
    status = serializers.CharField(help_text="A token's lifecycle state; seen: an application.")
    created = serializers.DateTimeField(help_text="An application: its first call.")
    expires = serializers.DateTimeField(allow_null=True)
    last_used = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)
    access = serializers.ListField(child=serializers.CharField())
    allowed_ips = serializers.ListField(child=serializers.CharField(), allow_null=True)
    chain_id = serializers.CharField(allow_null=True, help_text="Its rotation chain.")
    rotated_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField(allow_null=True)


class InventorySerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    credentials = CredentialSerializer(many=True)


def inventory_response(request, fmt: str) -> StreamingHttpResponse:
    """The inventory streamed in `fmt`, as a download; never kept by a cache."""
    pieces, close = inventory_export(
        tenant_id=request.user.tenant_id, by=request.user, origin=origin_of(request), fmt=fmt
    )
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = StreamingHttpResponse(pieces, content_type=content_type)
    close_with(response, close)  # its cursor freed, read to its end or not
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="credentials-{stamp}.{fmt}"'
    return no_store(response)


class CredentialInventoryApi(APIView):
    """Every credential of the tenant, of every kind: API tokens, SIEM agents, log
    collectors, the SCIM token, and the Entra applications that have called the API; with
    owner, status, created, expires, last used and from where, access, allow-list and
    rotation chain. Never a value or a digest. `?format=json` (the default) or `csv`;
    streamed. Each export is an event in the token log."""

    permission_classes = [IsPortalUser, has_capability(Capability.TOKENS_MANAGE_ALL)]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # `format` here chooses the inventory's format, not a renderer: errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS))],
        responses={
            (200, "application/json"): InventorySerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="A header row (" + ",".join(COLUMNS) + "), then one row per "
                "credential; lists joined by spaces.",
            ),
        },
    )
    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise exceptions.ValidationError({"format": [f"Choose json or csv, not {fmt[:20]!r}."]})
        return inventory_response(request, fmt)
