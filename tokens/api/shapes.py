"""What the tokens API answers about a token: its shape, with its usage, and once with its
value; and the shape of an answer that asks for a fresh sign-in."""

from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from tokens.least_privilege import used_against_granted
from tokens.lifecycle import EventReason, Status
from tokens.usage import usage_of


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    service_account = serializers.BooleanField(
        source="is_service_account", help_text="A service account, not a person."
    )


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    suffix = serializers.CharField(help_text="The token's last 4 characters.")
    description = serializers.CharField(help_text="What it is for; blank: not said.")
    generated_by = UserSerializer(
        source="user",
        help_text="Its owner: it acts with this person's (or service account's) privileges.",
    )
    made_by = UserSerializer(
        help_text="Who generated it: its owner, or someone who did it for them (a platform "
        "administrator)."
    )
    generated_on = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: never.")
    scopes = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The capabilities it is narrowed to; null: the same as its issuer's role.",
    )
    capabilities = serializers.SerializerMethodField(
        help_text="What it can do now: its owner's role now, within its scopes and within "
        "what it could do when it was made. A pending token (status `pending`) can do none "
        "of it until approved: this is what it will be able to do."
    )
    lost_capabilities = serializers.ListField(
        child=serializers.CharField(),
        help_text="What it could do when it was made and cannot now (its owner's role lost "
        "it); empty: nothing lost.",
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The addresses and CIDR ranges it may be used from; null: anywhere.",
    )
    owner_deprovisioned = serializers.BooleanField(source="user.is_deprovisioned")
    rotated_at = serializers.DateTimeField(
        source="replaced_at",
        allow_null=True,
        help_text="When this value was rotated out (regenerated); null: it is current.",
    )
    valid_until = serializers.DateTimeField(
        source="grace_until",
        allow_null=True,
        help_text="A rotated-out value works until then (its grace period); null: current.",
    )
    approval_deadline = serializers.DateTimeField(
        source="pending_until",
        allow_null=True,
        help_text="A pending token's: until when a full admin may approve it (refused until "
        "then; revoked after, undecided); null: not pending.",
    )
    approved_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was approved; null: it needed no approval, or waits."
    )
    approved_by = UserSerializer(allow_null=True, help_text="Who approved it.")
    revoked_at = serializers.DateTimeField(allow_null=True, help_text="null: not revoked.")
    revoked_by = UserSerializer(
        allow_null=True, help_text="Who revoked it; null: not revoked, or the system did."
    )
    revoked_reason = serializers.ChoiceField(
        choices=EventReason.choices, help_text="Why it was revoked; blank: not revoked."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_capabilities(self, token):
        return sorted(token.capabilities)


class CapabilityUseSerializer(serializers.Serializer):
    capability = serializers.CharField()
    last_used = serializers.DateTimeField(allow_null=True, help_text="null: never used.")
    requests_30d = serializers.IntegerField(help_text="Requests that used it in 30 days.")


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
    used_capabilities = serializers.SerializerMethodField(
        help_text="Each capability it can do now: when it last used it and how many requests "
        "used it in 30 days (current, as the usage)."
    )
    narrowing = serializers.SerializerMethodField(
        help_text="The scopes it could be narrowed to (what it used in 30 days), for "
        "POST .../narrow/; null: none to take (it uses all it holds, used nothing, or used "
        "what a narrowed token cannot carry)."
    )

    def to_representation(self, instance):
        self._usage = usage_of(instance)
        self._evidence = used_against_granted(instance)
        return super().to_representation(instance)

    @extend_schema_field(CapabilityUseSerializer(many=True))
    def get_used_capabilities(self, token):
        return CapabilityUseSerializer(self._evidence.uses, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_narrowing(self, token):
        return self._evidence.narrowing

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


class ReauthenticateSerializer(serializers.Serializer):
    """No credential, or one refused; or a signed-in session whose sign-in is too old for
    what it asks (minting a token, changing the policy), which says where to sign in again:
    `reauthenticate_url` (accounts/reauthentication)."""

    detail = serializers.CharField()
    reauthenticate_url = serializers.CharField(
        required=False, help_text="Only when the sign-in is too old: where to confirm it."
    )
    request_id = serializers.CharField(help_text="Quote it when you ask about this answer.")
