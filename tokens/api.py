import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.authentication import EntraBearerAuthentication, EntraCredential
from accounts.permissions import IsPortalUser, has_capability, request_capabilities
from accounts.reauthentication import refuse_stale_session
from accounts.roles import Capability
from core.bodies import (
    JsonBoolean,
    JsonString,
    RequestBody,
    StrictChoice,
    StrictFields,
    StrictText,
    WholeNumber,
)
from core.cache import COUNT, run_batch
from core.errors import Conflict
from core.http import NO_STORE, no_store, origin_of
from core.inputs import parse_int
from core.paths import row_by_path_id
from core.schema import ErrorSerializer, page_of
from tokens.authentication import ApiTokenAuthentication
from tokens.expiry import (
    DEFAULT_GRACE,
    GRACE_PERIODS,
    MAX_EXPIRY_DAYS,
    POLICY_EXPIRY_CHOICES,
    expiry_in_days,
)
from tokens.filters import TokenEventFilter, TokenFilter
from tokens.lifecycle import Action
from tokens.models import (
    MAX_NOTICE_DAYS,
    ActorKind,
    ApiToken,
    EventKind,
    EventReason,
    Kind,
    Status,
    TokenEvent,
)
from tokens.policy import (
    POLICY_FIELDS,
    policy_default_expiry,
    policy_of,
    token_policy_plan,
    token_policy_save,
)
from tokens.services import (
    KEEP_LIFETIME,
    MAX_REPORTED,
    credentials_revoke,
    token_generate,
    token_revoke,
    token_rotate,
)
from tokens.usage import usage_of


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    suffix = serializers.CharField(help_text="The token's last 4 characters.")
    description = serializers.CharField(help_text="What it is for; blank: not said.")
    generated_by = UserSerializer(
        source="user", help_text="Its owner: it acts with this person's privileges."
    )
    made_by = UserSerializer(
        help_text="Who generated it: its owner, or someone who did it for them (a platform "
        "administrator)."
    )
    generated_on = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: never.")
    scopes = serializers.ListField(
        child=serializers.CharField(), allow_null=True,
        help_text="The capabilities it is narrowed to; null: the same as its issuer's role.",
    )  # fmt: skip
    owner_deprovisioned = serializers.BooleanField(source="user.is_deprovisioned")
    rotated_at = serializers.DateTimeField(
        source="replaced_at", allow_null=True,
        help_text="When this value was rotated out (regenerated); null: it is current.",
    )  # fmt: skip
    valid_until = serializers.DateTimeField(
        source="grace_until", allow_null=True,
        help_text="A rotated-out value works until then (its grace period); null: current.",
    )  # fmt: skip
    revoked_at = serializers.DateTimeField(allow_null=True, help_text="null: not revoked.")
    revoked_by = UserSerializer(
        allow_null=True, help_text="Who revoked it; null: not revoked, or the system did."
    )
    revoked_reason = serializers.ChoiceField(
        choices=EventReason.choices, help_text="Why it was revoked; blank: not revoked."
    )


class RecentIpSerializer(serializers.Serializer):
    ip = serializers.IPAddressField()
    last = serializers.DateTimeField()


class DayCountSerializer(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()


class TokenUsageSerializer(TokenOutputSerializer):
    """A token with its usage: where it was last used from, its last 5 addresses, and its
    requests per day over the last 30 days (oldest first); current (tokens/usage.py)."""

    last_used = serializers.SerializerMethodField()  # type: ignore[assignment]  # current
    last_used_ip = serializers.SerializerMethodField()
    last_used_user_agent = serializers.SerializerMethodField()
    recent_ips = serializers.SerializerMethodField()
    requests_per_day = serializers.SerializerMethodField()

    def to_representation(self, instance):
        self._usage = usage_of(instance)
        return super().to_representation(instance)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_last_used(self, token):
        when = self._usage["last_used"]
        return None if when is None else serializers.DateTimeField().to_representation(when)

    @extend_schema_field(serializers.IPAddressField(allow_null=True))
    def get_last_used_ip(self, token):
        return self._usage["last_used_ip"]

    @extend_schema_field(serializers.CharField())
    def get_last_used_user_agent(self, token):
        return self._usage["last_used_user_agent"]

    @extend_schema_field(RecentIpSerializer(many=True))
    def get_recent_ips(self, token):
        return self._usage["recent_ips"]

    @extend_schema_field(DayCountSerializer(many=True))
    def get_requests_per_day(self, token):
        return self._usage["requests_per_day"]


class TokenCreatedSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="The value: shown in this answer only.")
    portal_url = serializers.CharField(help_text="The tenant's custom URL, to call the API at.")


ORDERING = list(TokenFilter.base_filters["ordering"].param_map)  # type: ignore[attr-defined]


def scoped_credential(request) -> ApiToken | None:
    """The request's API token if it is narrowed by scopes: it reaches itself only here."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) and auth.scopes is not None else None


def visible_tokens(request):
    """The tokens the request may see, in every state (the list's status filter shows the
    current ones unless asked for others; by id, any)."""
    return (
        ApiToken.objects.visible_with(
            request.user, request_capabilities(request), getattr(request, "auth", None)
        )
        .with_status()
        .select_related("user", "revoked_by", "created_by")
    )


def get_visible_token(request, token_id: str) -> ApiToken:
    token = row_by_path_id(visible_tokens(request), token_id)
    if token is None:
        raise exceptions.NotFound("Token not found.")
    return token


class ReauthenticateSerializer(serializers.Serializer):
    """A signed-in session whose sign-in is too old for what it asks (minting a token,
    changing the policy): sign in again at `reauthenticate_url` (accounts/reauthentication)."""

    detail = serializers.CharField()
    reauthenticate_url = serializers.CharField()


class TokenPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class ExpiryInput(serializers.Serializer):
    """When a new token (or a regenerated one) stops working: a moment, or days from now."""

    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When it stops working; null: never."
    )
    expires_in_days = WholeNumber(
        required=False, min_value=1, max_value=MAX_EXPIRY_DAYS,
        help_text="Or: this many days from now.",
    )  # fmt: skip

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
        name = JsonString(allow_blank=True, trim_whitespace=False)
        description = JsonString(
            required=False, allow_blank=True, trim_whitespace=False,
            help_text="What it is for (at most 300 characters); optional.",
        )  # fmt: skip
        scopes = serializers.ListField(
            child=JsonString(), required=False, allow_null=True, max_length=20,
            help_text="Capabilities of your role to narrow it to (Investigation.read, "
            "Investigation.manage, Discovery.read, Discovery.manage, Settings.read, "
            "Settings.manage); null or absent: the same as your role.",
        )  # fmt: skip

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
                str,
                enum=sorted(ORDERING + [f"-{name}" for name in ORDERING]),
                description="Comma-separated; a leading - sorts descending.",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1 to 100 (50)."),
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
            user=request.user, name=data["name"], expires_at=expires_at,
            scopes=data.get("scopes"), origin=origin_of(request),
            description=data.get("description", ""),
        )  # fmt: skip
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


class TokenEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    time = serializers.DateTimeField(source="created")
    kind = serializers.ChoiceField(choices=EventKind.choices)
    reason = serializers.CharField(help_text="Why it was revoked or refused; blank otherwise.")
    token = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    source_ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    detail = serializers.CharField()
    count = serializers.IntegerField(help_text="How many requests a refused event stands for.")

    @extend_schema_field(
        inline_serializer(
            "EventToken",
            {
                "id": serializers.IntegerField(allow_null=True, help_text="null: a policy change."),
                "name": serializers.CharField(),
                "kind": serializers.CharField(),
                "suffix": serializers.CharField(),
            },
        )
    )
    def get_token(self, event) -> dict:
        return {
            "id": event.token_id,
            "name": event.token_name,
            "kind": event.token_kind,
            "suffix": event.token_suffix,
        }

    @extend_schema_field(
        inline_serializer(
            "EventActor",
            {
                "kind": serializers.ChoiceField(choices=ActorKind.choices),
                "label": serializers.CharField(),
                "user_id": serializers.IntegerField(allow_null=True),
            },
        )
    )
    def get_actor(self, event) -> dict:
        return {"kind": event.actor_kind, "label": event.actor_label, "user_id": event.actor_id}


class EventPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


EVENT_PAGE = page_of("TokenEventPage", TokenEventSerializer(many=True))
EVENT_PARAMETERS = [
    OpenApiParameter("kind", str, enum=list(EventKind.values)),
    OpenApiParameter("token", int, description="A token's id."),
    OpenApiParameter("user", str, description="Whose token it is (a user name)."),
    OpenApiParameter("actor", str, description="Who acted (a user name)."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this time (ISO 8601)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time."),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="1 to 200 (50)."),
]


def event_page(view: APIView, request, events) -> Response:
    """One page of `events`, narrowed by the request's filters, newest first."""
    filterset = TokenEventFilter(request.query_params, queryset=events, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    paginator = EventPagination()
    page: list | None = paginator.paginate_queryset(
        filterset.qs.order_by("-created", "-id"), request, view=view
    )
    response = paginator.get_paginated_response(TokenEventSerializer(page, many=True).data)
    return no_store(response)


class TokenEventListApi(APIView):
    """The token event log: every event of the tenant's tokens for a full admin, the events
    of your own tokens otherwise; newest first."""

    permission_classes = [IsPortalUser]

    @extend_schema(
        parameters=EVENT_PARAMETERS,
        responses={200: EVENT_PAGE},
    )
    def get(self, request):
        events = TokenEvent.objects.visible_to(request.user, request_capabilities(request))
        if (scoped := scoped_credential(request)) is not None:
            events = events.filter(token=scoped)
        return event_page(self, request, events)


class TokenEventsApi(APIView):
    """One token's events (revoked tokens' too), as the log above."""

    permission_classes = [IsPortalUser]

    @extend_schema(
        parameters=EVENT_PARAMETERS[:1] + EVENT_PARAMETERS[2:],
        responses={200: EVENT_PAGE},
    )
    def get(self, request, token_id: str):
        capabilities = request_capabilities(request)
        tokens = ApiToken.objects.for_tenant(request.user.tenant_id)
        if Capability.TOKENS_MANAGE_ALL not in capabilities:
            tokens = tokens.filter(user=request.user)
        if (scoped := scoped_credential(request)) is not None:
            tokens = tokens.filter(pk=scoped.pk)
        token = row_by_path_id(tokens, token_id)
        if token is None:
            raise exceptions.NotFound("Token not found.")
        events = TokenEvent.objects.visible_to(request.user, capabilities).filter(token=token)
        return event_page(self, request, events)


class MeApi(APIView):
    """Who is calling: user (or application), tenant, role, the capabilities in force, and
    the credential they came with."""

    def get(self, request):
        user = request.user
        tenant = user.tenant
        return Response(
            {
                "user": UserSerializer(user).data if user.pk is not None else None,
                "tenant": {
                    "id": str(tenant.public_id),
                    "name": tenant.name,
                    "slug": tenant.slug,
                    "region": tenant.region,
                    "url": tenant.custom_url,
                },
                "role": {"value": user.role, "label": user.role_label},
                # in force: the credential's (a token's scopes within its issuer's role)
                "capabilities": sorted(request_capabilities(request)),
                "role_capabilities": sorted(user.capabilities) if user.pk is not None else [],
                # a token narrowed by scopes: them; any other credential: null
                "scopes": sorted(request.auth.scopes)
                if isinstance(request.auth, ApiToken) and request.auth.scopes is not None
                else None,
                "authentication": describe_credential(request.auth),
            }
        )


def describe_credential(auth) -> dict:
    if isinstance(auth, ApiToken):
        return {"method": "token", "token": {"id": auth.pk, "name": auth.name, "kind": auth.kind}}
    if isinstance(auth, EntraCredential):
        claims = auth.claims
        return {
            "method": "entra",
            "context": auth.context,
            "tenant_id": claims["tid"],
            "application_id": claims.get("azp") or claims.get("appid"),
            "object_id": claims.get("oid"),
            "granted": claims["scp"].split() if auth.context == "user" else claims["roles"],
        }
    return {"method": "session"}


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


class TokenPolicySerializer(StrictFields, serializers.Serializer):
    max_lifetime_days = WholeNumber(
        allow_null=True, min_value=1, max_value=MAX_EXPIRY_DAYS,
        help_text="The longest a new API token may live; null: unlimited.",
    )  # fmt: skip
    allow_never = JsonBoolean(help_text="Whether a new token may never expire.")
    default_expiry = StrictChoice(
        choices=POLICY_EXPIRY_CHOICES,
        help_text="What the dialog offers first, and what a token made without an expiry gets.",
    )
    dormant_days = WholeNumber(
        allow_null=True, min_value=1, max_value=MAX_EXPIRY_DAYS,
        help_text="Retire tokens unused this many days; null: off.",
    )  # fmt: skip
    notice_days = WholeNumber(
        min_value=0, max_value=MAX_NOTICE_DAYS, required=False,
        help_text="How long a new or shortened retirement rule waits before it retires "
        "anything (each owner of a token it would retire is e-mailed once); 7 unless set.",
    )  # fmt: skip
    strict_rotation = JsonBoolean(
        required=False,
        help_text="true: a rotated-out value used after its grace period revokes the whole "
        "token; false (the default): it is refused with an alert, the new value stays live.",
    )
    dormant_from = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="When a retirement rule in its notice period starts retiring; null: none.",
    )  # fmt: skip
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, allow_null=True, default=None
    )


class PolicyChangeInput(TokenPolicySerializer):
    dry_run = JsonBoolean(
        required=False, default=False,
        help_text="true: answer what the change would do (which tokens it would retire, "
        "from when), changing nothing.",
    )  # fmt: skip


class RetiringTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    suffix = serializers.CharField()
    owner = serializers.CharField(source="user.username")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)


class PolicyChangeSerializer(TokenPolicySerializer):
    """The policy as a change left it (or, with dry_run, as it would leave it), and what the
    change does."""

    dry_run = serializers.BooleanField(help_text="true: nothing was changed.")
    changes = serializers.ListField(child=serializers.CharField(), help_text="In words.")
    retire_from = serializers.DateTimeField(
        allow_null=True, help_text="From when its retirement rule retires; null: no rule."
    )
    retiring_count = serializers.IntegerField(
        help_text="Tokens unused for the rule's days now, retired then unless used before "
        "(counted up to 1,001)."
    )
    retiring = RetiringTokenSerializer(many=True, help_text="The first 50 of them.")


class TokenPolicyApi(APIView):
    """The tenant's token policy (full admins: Settings.manage). Lifetime rules apply to API
    tokens generated afterwards; a retirement rule to every token, a new or shortened one
    after its notice period. PUT sets every field, PATCH those it names; with
    "dry_run": true either answers what it would do and changes nothing. Each change is an
    event in the token log."""

    permission_classes = [IsPortalUser, has_capability(Capability.SETTINGS_MANAGE)]

    @extend_schema(responses={200: TokenPolicySerializer})
    def get(self, request):
        return Response(TokenPolicySerializer(policy_of(request.user.tenant_id)).data)

    @extend_schema(
        request=PolicyChangeInput,
        responses={200: PolicyChangeSerializer, 401: ReauthenticateSerializer},
    )
    def put(self, request):
        return self._change(request, partial=False)

    @extend_schema(
        request=PolicyChangeInput,
        responses={200: PolicyChangeSerializer, 401: ReauthenticateSerializer},
    )
    def patch(self, request):
        return self._change(request, partial=True)

    def _change(self, request, *, partial: bool) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        serializer = PolicyChangeInput(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dry_run = data.pop("dry_run", False)
        if not dry_run:
            refuse_stale_session(request)
        fields = {name: value for name, value in data.items() if name in POLICY_FIELDS}
        tenant_id = request.user.tenant_id
        if dry_run:
            plan = token_policy_plan(tenant_id=tenant_id, **fields)
        else:
            plan = token_policy_save(
                tenant_id=tenant_id, by=request.user, origin=origin_of(request), **fields
            )
        answer = {
            **TokenPolicySerializer(plan.policy).data,
            "dry_run": dry_run,
            "changes": plan.changes,
            "retire_from": serializers.DateTimeField().to_representation(plan.retire_from)
            if plan.retire_from
            else None,
            "retiring_count": plan.retiring_count,
            "retiring": RetiringTokenSerializer(plan.retiring, many=True).data,
        }
        return Response(answer)


class RotateInput(StrictFields, RequestBody, ExpiryInput):
    detail_names_field = True
    grace = StrictChoice(
        choices=list(GRACE_PERIODS), default=DEFAULT_GRACE, required=False,
        help_text="How long the old value keeps working: none, 1h, 24h (default) or 7d. An "
        "expired token's old value stays refused whatever is chosen.",
    )  # fmt: skip


class TokenRotatedSerializer(TokenCreatedSerializer):
    replaces = inline_serializer(
        "RotatedOut",
        {"id": serializers.IntegerField(), "valid_until": serializers.DateTimeField()},
    )


ROTATED_RESPONSES = {
    201: TokenRotatedSerializer,
    401: ReauthenticateSerializer,
    409: ErrorSerializer,
}


def _rotated(request, token: ApiToken) -> Response:
    body = RotateInput.read(request)
    # Neither expires_at nor expires_in_days: the same lifetime as before, if the policy
    # allows it (tokens.services.rotation_expiry).
    new, value = token_rotate(
        token=token, by=request.user, grace=body.get("grace", DEFAULT_GRACE),
        expires_at=chosen_expiry(body, KEEP_LIFETIME), origin=origin_of(request),
    )  # fmt: skip
    data = shown_once(request, new, value)
    data["replaces"] = {"id": token.pk, "valid_until": token.grace_until}
    return Response(data, status=status.HTTP_201_CREATED, headers=NO_STORE)


class TokenRotateApi(APIView):
    """Regenerates a token you can see, with a signed-in session: a new value with the same
    name, scopes and owner (201, shown once); the old one works for the grace period."""

    permission_classes = [IsPortalUser]

    @extend_schema(
        request=RotateInput, responses={201: TokenRotatedSerializer, 409: ErrorSerializer}
    )
    def post(self, request, token_id: str):
        if request.auth is not None:
            raise exceptions.PermissionDenied(
                "Rotate another token with a signed-in session; a token rotates itself at "
                "/api/v1/tokens/self/rotate/."
            )
        refuse_stale_session(request)
        # Revoked ones too, so that rotating one is told why it cannot be (not a 404).
        tokens = ApiToken.objects.reachable_by(request.user, request_capabilities(request))
        token = row_by_path_id(tokens.select_related("user"), token_id)
        if token is None:
            raise exceptions.NotFound("Token not found.")
        return _rotated(request, token)


class TokenSelfRotateApi(APIView):
    """The calling API token regenerates itself (as GitLab's self-rotation). A rotated-out
    value used here, in its grace period or after it, revokes every token of its rotation
    chain and raises a high-severity alert."""

    permission_classes = [IsPortalUser]

    def get_authenticators(self):
        # A value that a rotation replaced, used here to mint a new one, is the theft signal
        # (its chain is revoked), in its grace period or after it, expired or not.
        return [
            ApiTokenAuthentication(action=Action.SELF_ROTATE),
            EntraBearerAuthentication(),
            SessionAuthentication(),
        ]

    @extend_schema(
        request=RotateInput, responses={201: TokenRotatedSerializer, 409: ErrorSerializer}
    )
    def post(self, request):
        token = request.auth
        if not isinstance(token, ApiToken) or token.kind != Kind.API:
            raise exceptions.PermissionDenied("Only an API token can rotate itself.")
        return _rotated(request, token)
