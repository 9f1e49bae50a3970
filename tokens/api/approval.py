"""A pending token's approval request decided through the API (tokens/approval.py): by a
full admin other than its requester, with a signed-in session, never with a token."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser, request_capabilities
from accounts.reauthentication import signed_in_only
from core.bodies import JsonString, RequestBody, StrictFields
from core.http import origin_of
from core.paths import row_by_path_id
from core.schema import ErrorSerializer
from tokens.api.shapes import TokenOutputSerializer
from tokens.approval import NOTE_MAX_LENGTH, token_approve, token_deny
from tokens.models import ApiToken


class DecisionInput(StrictFields, RequestBody):
    detail_names_field = True
    note = JsonString(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text="Optional: why, told to the requester (at most 200 characters).",
    )


class _DecisionApi(APIView):
    """A full admin other than its requester decides a pending token's approval request,
    with a signed-in session."""

    permission_classes = [IsPortalUser]
    decide = staticmethod(token_approve)

    @extend_schema(
        request=DecisionInput, responses={200: TokenOutputSerializer, 409: ErrorSerializer}
    )
    def post(self, request, token_id: str):
        signed_in_only(request, "An approval request is decided")
        tokens = ApiToken.objects.in_any_state_for(request.user, request_capabilities(request))
        token = row_by_path_id(tokens.select_related("user", "created_by"), token_id)
        if token is None:
            raise exceptions.NotFound("Token not found.")
        body = DecisionInput.read(request)
        self.decide(
            token=token, by=request.user, note=body.get("note", ""), origin=origin_of(request)
        )
        shown = (
            ApiToken.objects.filter(pk=token.pk)
            .with_status()
            .select_related("user", "created_by", "revoked_by", "approved_by")
            .get()
        )
        return Response(TokenOutputSerializer(shown).data)


class TokenApproveApi(_DecisionApi):
    """Approve a pending token: it works from the next request."""

    decide = staticmethod(token_approve)


class TokenDenyApi(_DecisionApi):
    """Deny a pending token: it is revoked (reason `denied`)."""

    decide = staticmethod(token_deny)
