"""The tenant's token policy through the API: read it, set it (PUT) or part of it (PATCH),
or ask what a change would do (dry_run)."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPortalUser, has_capability
from accounts.reauthentication import refuse_stale_session
from accounts.roles import Capability
from core.bodies import (
    JsonBoolean,
    StrictChoice,
    StrictFields,
    WholeNumber,
)
from core.errors import Conflict
from core.http import origin_of
from tokens.api.shapes import ReauthenticateSerializer
from tokens.expiry import (
    MAX_EXPIRY_DAYS,
    POLICY_EXPIRY_CHOICES,
)
from tokens.models import MAX_NOTICE_DAYS
from tokens.models.policy import APPROVAL_CHOICES
from tokens.policy import (
    POLICY_FIELDS,
    policy_of,
    token_policy_plan,
    token_policy_save,
)


class TokenPolicySerializer(StrictFields, serializers.Serializer):
    max_lifetime_days = WholeNumber(
        allow_null=True,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="The longest a new API token may live; null: unlimited.",
    )
    allow_never = JsonBoolean(help_text="Whether a new token may never expire.")
    default_expiry = StrictChoice(
        choices=POLICY_EXPIRY_CHOICES,
        help_text="What the dialog offers first, and what a token made without an expiry gets.",
    )
    dormant_days = WholeNumber(
        allow_null=True,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Retire tokens unused this many days; null: off.",
    )
    notice_days = WholeNumber(
        min_value=0,
        max_value=MAX_NOTICE_DAYS,
        required=False,
        help_text="How long a new or shortened retirement rule waits before it retires "
        "anything (each owner of a token it would retire is e-mailed once); 7 unless set.",
    )
    strict_rotation = JsonBoolean(
        required=False,
        help_text="true: a rotated-out value used after its grace period revokes the whole "
        "token; false (the default): it is refused with an alert, the new value stays live.",
    )
    manage_needs_allowlist = JsonBoolean(
        required=False,
        help_text="true: a new token that can change data (any *.manage capability) must "
        "have a network allow-list, and its allow-list cannot be removed; false (the "
        "default): allow-lists are optional.",
    )
    approval_required_for = StrictChoice(
        choices=APPROVAL_CHOICES,
        required=False,
        help_text="Which new API tokens wait for a full admin's approval (every use refused "
        'until then): "" nobody (the default), "manage" those that can change data (any '
        '*.manage capability), "all" every one. Needs two full admins.',
    )
    dormant_from = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When a retirement rule in its notice period starts retiring; null: none.",
    )
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, allow_null=True, default=None
    )


# Fields that a policy's rules relate (TokenPolicy.clean): the default against allowing
# "never" and against the maximum lifetime.
RELATED = frozenset({"default_expiry", "allow_never", "max_lifetime_days"})


def policy_conflicts() -> list[dict]:
    """TokenPolicy.clean's rules between fields, as JSON Schema: the bodies that break them."""
    never = {"enum": ["never"]}
    conflicts: list[dict] = [
        {"properties": {"default_expiry": never, "allow_never": {"enum": [False]}}},
        {"properties": {"default_expiry": never, "max_lifetime_days": {"type": "integer"}}},
    ] + [
        {
            "properties": {
                "default_expiry": {"enum": [days]},
                "max_lifetime_days": {"type": "integer", "maximum": int(days) - 1},
            }
        }
        for days, _ in POLICY_EXPIRY_CHOICES
        if days != "never"
    ]
    for conflict in conflicts:
        conflict["required"] = sorted(conflict["properties"])
    return conflicts


class PolicyChangeInput(TokenPolicySerializer):
    """A policy (PUT) or part of one (PATCH), and whether to only say what it would do. The
    default expiry must agree with allow_never and max_lifetime_days: a body that breaks it
    is a 400; a PATCH that breaks it only with what is stored, a 409."""

    dry_run = JsonBoolean(
        required=False,
        default=False,
        help_text="true: answer what the change would do (which tokens it would retire, "
        "from when), changing nothing.",
    )


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
    conflicts = True  # a PATCH at odds with the stored policy: 409

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
        try:
            if dry_run:
                plan = token_policy_plan(tenant_id=tenant_id, **fields)
            else:
                plan = token_policy_save(
                    tenant_id=tenant_id, by=request.user, origin=origin_of(request), **fields
                )
        except ValidationError as error:
            said = error.message_dict if hasattr(error, "error_dict") else {}
            if partial and not set(fields) >= RELATED and "default_expiry" in said:
                # What the PATCH left as it was takes part: the change conflicts with it.
                raise Conflict(
                    said["default_expiry"][0] + " Change them together, or with PUT."
                ) from None
            raise
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
