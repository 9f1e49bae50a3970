"""Regenerating a token through the API: with a signed-in session, or the token rotating
itself; and handing a departed person's token over to a service account (a rotation too)."""

from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import EntraBearerAuthentication
from accounts.permissions import IsPortalUser, request_capabilities
from accounts.reauthentication import refuse_stale_session, signed_in_only
from accounts.roles import Capability
from core.bodies import (
    RequestBody,
    StrictChoice,
    StrictFields,
    WholeNumber,
)
from core.http import NO_STORE, origin_of
from core.inputs import INT64
from core.paths import row_by_path_id
from core.schema import ErrorSerializer
from tokens.api.shapes import (
    ReauthenticateSerializer,
    TokenCreatedSerializer,
)
from tokens.api.tokens import ExpiryInput, chosen_expiry, shown_once
from tokens.authentication import ApiTokenAuthentication
from tokens.expiry import (
    DEFAULT_GRACE,
    GRACE_PERIODS,
)
from tokens.handover import (
    DEFAULT_HANDOVER_GRACE,
    HANDOVER_GRACES,
    handover_target,
    token_hand_over,
)
from tokens.lifecycle import Action
from tokens.models import ApiToken, Kind
from tokens.rotation import KEEP_LIFETIME, token_rotate


class RotateInput(StrictFields, RequestBody, ExpiryInput):
    detail_names_field = True
    grace = StrictChoice(
        choices=list(GRACE_PERIODS),
        default=DEFAULT_GRACE,
        required=False,
        help_text="How long the old value keeps working: none, 1h, 24h (default) or 7d. An "
        "expired token's old value stays refused whatever is chosen.",
    )


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
    # allows it (tokens.rotation.rotation_expiry).
    new, value = token_rotate(
        token=token,
        by=request.user,
        grace=body.get("grace", DEFAULT_GRACE),
        expires_at=chosen_expiry(body, KEEP_LIFETIME),
        origin=origin_of(request),
    )
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
        tokens = ApiToken.objects.in_any_state_for(request.user, request_capabilities(request))
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


class HandOverInput(StrictFields, RequestBody):
    detail_names_field = True
    service_account = WholeNumber(
        min_value=1, max_value=INT64, help_text="The service account's user id."
    )
    grace = StrictChoice(
        choices=list(HANDOVER_GRACES),
        default=DEFAULT_HANDOVER_GRACE,
        required=False,
        help_text="How long the old value (known to the person who left) keeps working: none, "
        "1h (default) or 24h; then it is refused.",
    )


class TokenHandOverApi(APIView):
    """Hands a deprovisioned person's API token over to a service account (a full admin,
    signed in): a new value owned by the service account, shown once (201); the old value
    works for the grace chosen, then is refused."""

    permission_classes = [IsPortalUser]

    @extend_schema(request=HandOverInput, responses=ROTATED_RESPONSES)
    def post(self, request, token_id: str):
        signed_in_only(request, "A token is handed over")
        if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
            raise exceptions.PermissionDenied("Only a full admin hands tokens over.")
        tokens = ApiToken.objects.in_any_state_for(request.user, request_capabilities(request))
        token = row_by_path_id(tokens.select_related("user"), token_id)
        if token is None:
            raise exceptions.NotFound("Token not found.")
        body = HandOverInput.read(request)
        target = handover_target(tenant_id=token.tenant_id, account_id=body["service_account"])
        if target is None:
            raise exceptions.NotFound(
                "Service account not found: give the id of an active service account of this "
                "tenant."
            )
        new, value = token_hand_over(
            token=token,
            to=target,
            by=request.user,
            grace=body.get("grace", DEFAULT_HANDOVER_GRACE),
            origin=origin_of(request),
        )
        data = shown_once(request, new, value)
        data["replaces"] = {"id": token.pk, "valid_until": token.grace_until}
        return Response(data, status=status.HTTP_201_CREATED, headers=NO_STORE)
