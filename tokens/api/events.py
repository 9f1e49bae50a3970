"""The token event log through the API: the tenant's (full admins) or one's own, and one token's."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser, request_capabilities
from accounts.roles import Capability
from core.http import no_store
from core.pagination import StrictPageNumberPagination
from core.paths import row_by_path_id
from core.schema import page_of, page_parameters
from tokens.filters import TokenEventFilter
from tokens.models import ActorKind, ApiToken, EventKind, TokenEvent
from tokens.selectors import scoped_credential


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


class EventPagination(StrictPageNumberPagination):
    page_size = 50
    max_page_size = 200


EVENT_PAGE = page_of("TokenEventPage", TokenEventSerializer(many=True))
EVENT_PARAMETERS = [
    OpenApiParameter("kind", str, enum=list(EventKind.values)),
    OpenApiParameter(
        "token",
        {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        description="A token's id.",
    ),
    OpenApiParameter("user", str, description="Whose token it is (a user name)."),
    OpenApiParameter("actor", str, description="Who acted (a user name)."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this time (ISO 8601)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time."),
    *page_parameters(EventPagination.page_size, EventPagination.max_page_size),
]


def event_page(view: APIView, request, events) -> Response:
    """One page of `events`, narrowed by the request's filters, newest first. A bound of the
    time range given empty is refused (the activity page's form sends them empty, and there
    it means no bound; a script that sends one empty has lost its value)."""
    empty = [name for name in ("since", "until") if request.query_params.get(name) == ""]
    if empty:
        raise exceptions.ValidationError(
            {name: ["Give an ISO 8601 date and time, or leave it out."] for name in empty}
        )
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
        events = TokenEvent.objects.readable_by(request.user, request_capabilities(request))
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
        events = TokenEvent.objects.readable_by(request.user, capabilities).filter(token=token)
        return event_page(self, request, events)
