"""The tokens API: the API tokens a request may see (listed, filtered, one with its usage),
generated with a signed-in session, and revoked."""

import re
from contextlib import contextmanager
from datetime import date

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser, request_capabilities
from accounts.reauthentication import refuse_stale_session, signed_in_only
from accounts.roles import SCOPES
from accounts.service_accounts import may_generate_for
from core.bodies import (
    JsonString,
    StrictFields,
    WholeNumber,
)
from core.errors import Conflict
from core.http import NO_STORE, no_store, origin_of
from core.inputs import INT64
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
from tokens.governance import WideningRefused, token_narrow, token_set_allowlist
from tokens.lifecycle import Status
from tokens.models import ApiToken
from tokens.policy import (
    policy_default_expiry,
    policy_of,
    policy_refusal,
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
    """Capabilities by name, checked by the service (tokens/access.token_check_scopes),
    whose messages name the unknown one or the one the role lacks."""


@extend_schema_field(
    {
        "type": "array",
        "nullable": True,
        "minItems": 1,
        "maxItems": 50,
        "items": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": "IPv4 and IPv6 addresses and CIDR ranges (a range's host part zero: "
        "10.0.0.0/8, not 10.0.0.1/8); at most 50; null: usable from anywhere.",
        "example": ["203.0.113.7", "10.20.0.0/16", "2001:db8::/48"],
    }
)
class AllowList(serializers.Field):
    """Taken as sent and checked by the service (tokens/allowlist.allowlist_check), whose
    messages name the entry it cannot take."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


def allowlist_field(**kwargs) -> AllowList:
    return AllowList(
        allow_null=True,
        help_text="Where it may be used from: IPv4/IPv6 addresses and CIDR ranges (at most "
        "50); null or absent: anywhere.",
        **kwargs,
    )


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
        allowed_ips = allowlist_field(required=False)
        service_account = WholeNumber(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=INT64,
            help_text="The id of a service account to generate it for (you must be its "
            "custodian, or a full admin); absent or null: for yourself. Its value is shown to "
            "you, once.",
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(Status.values)),
            OpenApiParameter(
                "unrestricted",
                bool,
                description="true: only tokens without an allow-list (usable from anywhere); "
                "false: only those with one.",
            ),
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

    @extend_schema(
        responses={
            201: TokenCreatedSerializer,
            401: ReauthenticateSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        }
    )
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
        owner = request.user
        if (account_id := data.get("service_account")) is not None:
            owner = service_account_for(request, account_id)
        with policy_conflicts():
            token, value = token_generate(
                user=owner,
                by=request.user,
                name=data["name"],
                expires_at=expires_at,
                scopes=data.get("scopes"),
                origin=origin_of(request),
                description=data.get("description", ""),
                allowed_ips=data.get("allowed_ips"),
            )
        return Response(
            shown_once(request, token, value), status=status.HTTP_201_CREATED, headers=NO_STORE
        )


def service_account_for(request, account_id: int):
    """The service account `account_id` if the signed-in user may generate its tokens; a
    404 otherwise (the same answer whether it does not exist or is not theirs: a tenant's
    service accounts are not told to those who are not its custodians)."""
    account = (
        may_generate_for(request.user, request_capabilities(request)).filter(pk=account_id).first()
    )
    if account is None:
        raise exceptions.NotFound(
            "Service account not found among those you may generate tokens for: you must be "
            "its custodian, or a full admin."
        )
    return account


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


@contextmanager
def policy_conflicts():
    """A refusal of the tenant's token policy (well-formed input that its rules, as they are
    now, refuse) is a 409 naming the rule; other refusals stay 400s."""
    try:
        yield
    except ValidationError as error:
        if (message := policy_refusal(error)) is not None:
            raise Conflict(message) from None
        raise


class TokenDetailApi(APIView):
    """One token with its usage and what it used of what it holds (GET); its allow-list
    changed, its value kept (PATCH); revoked (DELETE)."""

    permission_classes = [IsPortalUser]

    class ChangeSerializer(StrictFields, serializers.Serializer):
        allowed_ips = allowlist_field(required=False)

    @extend_schema(responses={200: TokenUsageSerializer})
    def get(self, request, token_id: str):
        token = get_visible_token(request, token_id)
        return Response(TokenUsageSerializer(token).data, headers=NO_STORE)

    @extend_schema(
        request=ChangeSerializer,
        responses={200: TokenUsageSerializer, 401: ReauthenticateSerializer, 409: ErrorSerializer},
    )
    def patch(self, request, token_id: str):
        token = get_visible_token(request, token_id)
        signed_in_only(request, "A token's allow-list is changed")
        serializer = self.ChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "allowed_ips" in serializer.validated_data:  # a PATCH that names nothing: as it was
            with policy_conflicts():
                token_set_allowlist(
                    token=token,
                    allowed_ips=serializer.validated_data["allowed_ips"],
                    by=request.user,
                    origin=origin_of(request),
                )
        return Response(TokenUsageSerializer(reread(request, token)).data, headers=NO_STORE)

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def delete(self, request, token_id: str):
        return revoked(request, get_visible_token(request, token_id))


def reread(request, token: ApiToken) -> ApiToken:
    return visible_tokens(request).get(pk=token.pk)


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": 20,
        "items": {"type": "string", "enum": [scope.value for scope in SCOPES]},
    }
)
class KeptScopes(serializers.ListField):
    """The capabilities a narrowed token keeps (tokens/governance.narrowing_check)."""


class TokenNarrowApi(APIView):
    """Narrows a token to some of what it can do now (`scopes`), keeping its value: whatever
    uses it keeps working within them. Never wider (a 400 names what it cannot keep: a wider
    token is a new token). The token's `narrowing` (GET) suggests what it used in 30 days."""

    permission_classes = [IsPortalUser]

    class InputSerializer(StrictFields, serializers.Serializer):
        scopes = KeptScopes(
            child=JsonString(),
            min_length=1,
            max_length=20,
            help_text="The capabilities it keeps: some of those it can do now (any other is "
            "a 403: narrowing never widens a token).",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: TokenUsageSerializer, 401: ReauthenticateSerializer, 409: ErrorSerializer},
    )
    def post(self, request, token_id: str):
        token = get_visible_token(request, token_id)
        if request.auth is not None:
            raise exceptions.PermissionDenied("A token is narrowed by a signed-in user.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token_narrow(
                token=token,
                scopes=serializer.validated_data["scopes"],
                by=request.user,
                origin=origin_of(request),
            )
        except WideningRefused as refused:
            raise exceptions.PermissionDenied(refused.message) from None
        return Response(TokenUsageSerializer(reread(request, token)).data, headers=NO_STORE)


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
