"""The SIEM feed (`GET /api/v1/siem/events/`), for `siem` tokens only."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsActiveUser, request_can
from accounts.roles import Capability
from core.exceptions import BadRequest
from core.inputs import parse_int
from extensions import feed
from extensions.models import OutputFormat, SiemAgent
from extensions.services import siem_agent_delivered
from tokens.models import ApiToken, Kind

MAX_LIMIT = 1000


class IsSiemAgent(IsActiveUser):
    """A `siem` token of an agent that still exists, whose issuer may still read alerts and
    activities. Sessions, Entra tokens and every other kind of token are refused."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ApiToken) or request.auth.kind != Kind.SIEM:
            self.message = "Only a SIEM agent's token can read the SIEM feed."
            return False
        if not super().has_permission(request, view):
            return False
        if not request_can(request, Capability.INVESTIGATION_READ):
            self.message = "The agent's token was issued by someone who may no longer read data."
            return False
        return True


class SiemFeedApi(APIView):
    """Events stored after `cursor` (or since the agent was added), oldest first: alerts and
    activities as the agent is set up, in its format. JSON: `{"events", "cursor", "hasMore"}`;
    CEF: one event per line, the next cursor in `X-Cursor` and `X-Has-More`. `limit`: 1 to
    1000 (100)."""

    permission_classes = [IsSiemAgent]
    token_kinds = ("siem",)
    # An agent polls every few seconds: counted against the tenant's 30 a minute, it alone
    # would use them up. It reads only its own feed, with a token of its own kind.
    throttle_classes: list = []  # limits nothing (its usage counts go out all the same)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "cursor",
                str,
                description="As the last answer gave it (signed: others are a 400).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"1 to {MAX_LIMIT} (100).",
            ),
        ],
        responses={
            (200, "application/json"): {
                "type": "object",
                "properties": {
                    "events": {"type": "array", "items": {"type": "object"}},
                    "cursor": {"type": "string"},
                    "hasMore": {"type": "boolean"},
                },
            },
            (200, "text/plain"): OpenApiResponse(
                {"type": "string"},
                description="CEF: one event a line; the next cursor in X-Cursor, X-Has-More.",
            ),
        },
    )
    def get(self, request):
        agent = SiemAgent.objects.filter(token=request.auth).select_related("tenant").first()
        if agent is None:
            raise exceptions.PermissionDenied("This token's SIEM agent no longer exists.")
        limit = parse_int(request.query_params.get("limit", "100")) or 0  # ASCII digits only
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be from 1 to {MAX_LIMIT}.")
        try:
            events, cursor, has_more = feed.read(agent, request.query_params.get("cursor"), limit)
        except feed.BadCursor as error:
            raise BadRequest(str(error)) from None
        siem_agent_delivered(agent=agent, count=len(events))
        tenant = agent.tenant
        if agent.output_format == OutputFormat.CEF:
            body = "".join(feed.cef_line(event, tenant) + "\n" for event in events)
            response = HttpResponse(body, content_type="text/plain; charset=utf-8")
            response["X-Cursor"] = cursor
            response["X-Has-More"] = "true" if has_more else "false"
            return response
        return Response(
            {
                "events": [feed.json_event(event, tenant) for event in events],
                "cursor": cursor,
                "hasMore": has_more,
            }
        )
