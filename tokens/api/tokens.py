"""The tokens API: the API tokens a request may see (listed, filtered, one with its usage),
generated with a signed-in session, and revoked."""

import re
from datetime import date

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser
from accounts.reauthentication import refuse_stale_session
from accounts.roles import SCOPES
from core.bodies import (
    JsonString,
    StrictFields,
    WholeNumber,
)
from core.errors import Conflict
from core.http import NO_STORE, no_store, origin_of
from core.pagination import StrictPageNumberPagination
from core.schema import ErrorSerializer, page_of, page_parameters
from tokens.api.shapes import (
    ReauthenticateSerializer,
    TokenCreatedSerializer,
    TokenOutputSerializer,
    TokenUsageSerializer,
)
from tokens.expiry import (
    MAX_EXPIRY_DAYS,
    expiry_in_days,
    expiry_on,
)
from tokens.filters import TokenFilter
from tokens.lifecycle import Status
from tokens.models import ApiToken
from tokens.policy import (
    policy_default_expiry,
    policy_of,
)
from tokens.selectors import get_visible_token, visible_tokens
from tokens.services import token_generate, token_revoke

ORDERING = list(TokenFilter.base_filters["ordering"].param_map)
_ONE = "-?(" + "|".join(ORDERING) + ")"
ORDERING_PATTERN = f"^({_ONE})?(,({_ONE})?)*$"  # empty parts are left out


class TokenPagination(StrictPageNumberPagination):
    page_size = 50
    max_page_size = 100


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"\S",
        "description": "1 to 100 characters once trimmed; no control or invisible characters.",
    }
)
class TypedName(JsonString):
    """A name a person types: checked by the service (tokens/services.token_check_name), so
    that a blank one is told "Enter a token name."."""


@extend_schema_field(
    {
        "type": "array",
        "nullable": True,
        "minItems": 1,
        "maxItems": 20,
        "items": {"type": "string", "enum": [scope.value for scope in SCOPES]},
    }
)
class ScopeList(serializers.ListField):
    """Capabilities by name, checked by the service (tokens/services.token_check_scopes),
    whose messages name the unknown one or the one the role lacks."""


DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "date-time"},
            {"type": "string", "format": "date"},
        ],
        "nullable": True,
        "description": "An ISO 8601 date and time (no zone: UTC), or a date alone: through "
        "that day (UTC), refused from the next midnight.",
        "example": "2027-01-15T09:30:00Z",
    }
)
class ExpiryMoment(serializers.DateTimeField):
    """An ISO 8601 moment in ASCII digits (a time without a zone is UTC); a date alone means
    through that day (UTC), as "On a date…" in the dialog: refused from the next midnight."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not value.isascii():
            raise serializers.ValidationError(
                "Give an ISO 8601 date or date and time in ASCII digits, "
                "such as 2027-01-15 or 2027-01-15T09:30:00Z."
            )
        if DATE_ONLY.fullmatch(value):
            try:
                return expiry_on(date.fromisoformat(value))
            except ValueError:
                raise serializers.ValidationError("That date does not exist.") from None
        return super().to_internal_value(value)


class ExpiryInput(serializers.Serializer):
    """When a new token (or a regenerated one) stops working: a moment, or days from now."""

    expires_at = ExpiryMoment(
        required=False, allow_null=True, help_text="When it stops working; null: never."
    )
    expires_in_days = WholeNumber(
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Or: this many days from now.",
    )

    def validate(self, data):
        if "expires_at" in data and "expires_in_days" in data:
            raise serializers.ValidationError("Give expires_at or expires_in_days, not both.")
        return data


def chosen_expiry(data: dict, default):
    """The expiry an ExpiryInput body chose, or `default` if it named none."""
    if "expires_in_days" in data:
        return expiry_in_days(data["expires_in_days"])
    return data.get("expires_at", default)


class TokenListApi(APIView):
    """API tokens you can see: your own, or every API token of the tenant for a full admin.
    Without a status, the current ones (live, not rotated out); ?status= any state of the
    lifecycle (revoked and rotated_out included, with when, by whom and why), ?search=,
    sort with ?ordering=."""

    permission_classes = [IsPortalUser]

    class InputSerializer(StrictFields, ExpiryInput):
        name = TypedName(trim_whitespace=False, error_messages={"blank": "Enter a token name."})
        description = JsonString(
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text="What it is for (at most 300 characters); optional.",
        )
        scopes = ScopeList(
            child=JsonString(),
            required=False,
            allow_null=True,
            max_length=20,
            help_text="Capabilities of your role to narrow it to (Investigation.read, "
            "Investigation.manage, Discovery.read, Discovery.manage, Settings.read, "
            "Settings.manage); null or absent: the same as your role.",
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(Status.values)),
            OpenApiParameter(
                "search",
                str,
                description="In names and their owners' names, or a token's last 4 characters.",
            ),
            OpenApiParameter(
                "ordering",
                {"type": "string", "pattern": ORDERING_PATTERN},
                description=f"Comma-separated among {', '.join(ORDERING)}; a leading - sorts "
                "descending.",
            ),
            *page_parameters(TokenPagination.page_size, TokenPagination.max_page_size),
        ],
        responses={200: page_of("TokenPage", TokenOutputSerializer(many=True))},
    )
    def get(self, request):
        filterset = TokenFilter(
            request.query_params, queryset=visible_tokens(request), request=request
        )
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        paginator = TokenPagination()
        page: list | None = paginator.paginate_queryset(filterset.qs, request, view=self)
        response = paginator.get_paginated_response(TokenOutputSerializer(page, many=True).data)
        return no_store(response)  # a list of credentials, like the page

    @extend_schema(responses={201: TokenCreatedSerializer, 401: ReauthenticateSerializer})
    def post(self, request):
        if request.auth is not None:
            raise exceptions.PermissionDenied(
                "Tokens are generated by a signed-in user, not with another token."
            )
        refuse_stale_session(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Neither expires_at nor expires_in_days: the tenant's default.
        expires_at = chosen_expiry(data, policy_default_expiry(policy_of(request.user.tenant_id)))
        token, value = token_generate(
            user=request.user,
            name=data["name"],
            expires_at=expires_at,
            scopes=data.get("scopes"),
            origin=origin_of(request),
            description=data.get("description", ""),
        )
        return Response(
            shown_once(request, token, value), status=status.HTTP_201_CREATED, headers=NO_STORE
        )


def shown_once(request, token: ApiToken, value: str) -> dict:
    """A token just made, as the tokens API shows tokens, with its value (this once) and the
    tenant's URL. Read back by id, not through what the caller may list: a narrowed token
    rotating itself sees only itself, the old one."""
    shown = (
        ApiToken.objects.filter(pk=token.pk)
        .with_status()
        .select_related("user", "created_by")
        .get()
    )
    return {
        **TokenOutputSerializer(shown).data,
        "token": value,
        "portal_url": request.user.tenant.custom_url,
    }


class TokenDetailApi(APIView):
    permission_classes = [IsPortalUser]

    @extend_schema(responses={200: TokenUsageSerializer})
    def get(self, request, token_id: str):
        token = get_visible_token(request, token_id)
        return Response(TokenUsageSerializer(token).data, headers=NO_STORE)

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def delete(self, request, token_id: str):
        return revoked(request, get_visible_token(request, token_id))


class TokenRevokeApi(APIView):
    permission_classes = [IsPortalUser]

    @extend_schema(request=None, responses={204: None, 409: ErrorSerializer})
    def post(self, request, token_id: str):
        return revoked(request, get_visible_token(request, token_id))


def revoked(request, token: ApiToken) -> Response:
    """Revokes the token and every value of its rotation chain (204); one already revoked
    (also by a request an instant earlier) is a 409 that says so."""
    if not token_revoke(token=token, by=request.user, origin=origin_of(request)):
        raise Conflict("This token is already revoked.")
    return Response(status=status.HTTP_204_NO_CONTENT)
