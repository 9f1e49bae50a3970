"""The token event log (append-only)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from accounts.roles import Capability
from core.tenancy import TenantQuerySet
from tokens.lifecycle import EventReason
from tokens.models.queries import owned_by_or_in_custody_of
from tokens.models.terms import NAME_MAX_LENGTH, Kind
from tokens.models.token import ApiToken


class EventKind(models.TextChoices):
    GENERATED = "generated", "Generated"
    FIRST_USED = "first_used", "First used"
    ROTATED = "rotated", "Rotated"
    REVOKED = "revoked", "Revoked"
    REFUSED = "refused", "Refused"
    POLICY_CHANGED = "policy_changed", "Token policy changed"  # of the tenant: no token
    REMINDED = "reminded", "Expiry reminder sent"
    CHANGED = "changed", "Allow-list changed"
    NARROWED = "narrowed", "Narrowed"
    DRIFTED = "drifted", "Owner's role changed"
    EXPORTED = "exported", "Credential inventory exported"  # of the tenant: no token
    HANDED_OVER = "handed_over", "Handed over to a service account"
    APPROVED = "approved", "Approved"
    SERVICE_ACCOUNT = "service_account", "Service account created or changed"  # no token


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    PUBLIC = "public", "Public report"


class TokenEventQuerySet(TenantQuerySet):
    """Events are written once and never changed: no bulk update or delete either."""

    def readable_by(self, user, capabilities: frozenset[Capability]) -> "TokenEventQuerySet":
        """The events a user may read: with TOKENS_MANAGE_ALL every event of the tenant
        (tokens of every kind, revoked ones too), otherwise those of their own tokens."""
        if user.tenant_id is None:
            return self.none()
        events = self.for_tenant(user.tenant_id)
        if Capability.TOKENS_MANAGE_ALL not in capabilities:
            events = owned_by_or_in_custody_of(events, user, "owner")
        return events

    def update(self, **kwargs):
        raise TypeError("Token events are append-only: they are never updated.")

    def delete(self):
        raise TypeError("Token events are append-only: they are never deleted.")


class TokenEvent(models.Model):
    """One thing that happened to a token: who did it, from where, and why. The token's name,
    kind and last 4 are kept as they were then; its value never is."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # None only for a change of the tenant's token policy.
    token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    # Whose token it was then (a hand-over moves a token to a service account; its earlier
    # events stay its former owner's), or the service account an event is about: the log
    # filters by it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    token_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    token_kind = models.CharField(max_length=16, choices=Kind.choices, blank=True)
    token_suffix = models.CharField(max_length=4, blank=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    reason = models.CharField(max_length=24, choices=EventReason.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=200)  # the user name, the policy, "public report"
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    # How many requests a refused event stands for (refusals are written at most once a
    # minute per token; the ones in between are counted into the next).
    count = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = TokenEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created", "-id"], name="tokenevent_tenant_created"),
            models.Index(fields=["token", "-created", "-id"], name="tokenevent_token_created"),
            models.Index(
                fields=["tenant", "kind", "-created", "-id"], name="tokenevent_tenant_kind"
            ),
            models.Index(
                fields=["tenant", "owner", "-created", "-id"], name="tokenevent_tenant_owner"
            ),
            models.Index(
                fields=["tenant", "actor", "-created", "-id"], name="tokenevent_tenant_actor"
            ),
        ]

    def __str__(self) -> str:
        if self.token_id is None:
            return f"{self.get_kind_display()}: {self.detail}"
        return f"{self.get_kind_display()}: {self.token_name} (…{self.token_suffix})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Token events are append-only: they are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Token events are append-only: they are never deleted.")
