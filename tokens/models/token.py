"""The token: its value's digest (never the value), its owner, expiry, scopes and rotation
chain; and how many requests it made each day."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Tenant
from accounts.roles import SCOPES, described
from tokens.lifecycle import EventReason, Status, state_of
from tokens.models.queries import ApiTokenQuerySet
from tokens.models.terms import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Access,
    Kind,
    validate_token_description,
    validate_token_name,
)

EXPIRY_WARNING = timedelta(days=7)  # the table warns of an expiry this close


def within(capabilities: frozenset, scopes, granted) -> frozenset:
    """What a token may do of `capabilities` (its owner's, as they are): within its `scopes`
    and what it was `granted` when made, each None where it has none. The one statement of
    the rule: the token check, the inventory and the role-change events read it."""
    if scopes is not None:
        capabilities = capabilities & frozenset(scopes)
    if granted is not None:
        capabilities = capabilities & frozenset(granted)
    return capabilities


class ApiToken(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tokens",
        help_text="Who generated the token; it carries this user's privileges.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.API)
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_token_name])
    # What it is for, in a sentence (optional, as GitHub's and GitLab's token notes).
    description = models.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        blank=True,
        editable=False,
        validators=[validate_token_description],
    )
    # Who generated it for its owner, when that is someone else (a platform administrator in
    # the Django admin); None: its owner did.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    suffix = models.CharField("last 4 characters", max_length=4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When it stops working (refused from this second on); None: never.
    expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The capabilities it is narrowed to (accounts.roles.SCOPES), always within its issuer's
    # role at each request; None: the same as the role.
    scopes = models.JSONField(null=True, blank=True, editable=False)
    # What it could do when it was made (its scopes within its owner's role then, sorted): it
    # never does more, whatever its owner's role becomes (a promotion widens no token; what a
    # demotion took, it shows as lost). None only on rows made before it was recorded.
    granted_capabilities = models.JSONField(null=True, blank=True, editable=False)
    # The addresses and ranges it may be used from (tokens/allowlist.py), normalised and
    # separated by spaces; blank: anywhere. Text, not JSON: the token check matches it as read
    # (a cached answer per list and address), with nothing to decode per request.
    allowlist = models.TextField(blank=True, default="", editable=False)
    # Approval (tokens/approval.py): made under a policy that requires it, a token waits
    # until this moment for a full admin other than its requester to decide (every use
    # refused meanwhile); None: it needs no approval, or was approved (by whom and when).
    pending_until = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Rotation: the tokens of one chain (each the regeneration of the one before) share
    # `chain_id` (its first token's id; None: never rotated). A replaced token has
    # `replaced_at` and keeps working until `grace_until`; used after it, or used to rotate
    # again, it revokes the whole chain (tokens.refusals.token_theft_detected).
    chain_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    replaced_at = models.DateTimeField(null=True, blank=True, editable=False)
    grace_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Where it was last used from, and the last 5 distinct addresses ([{"ip", "last"}]):
    # folded in from the shared cache at most once a minute (tokens/usage.py).
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    last_used_user_agent = models.CharField(max_length=300, blank=True, editable=False)
    recent_ips = models.JSONField(default=list, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    revoked_reason = models.CharField(
        max_length=24, choices=EventReason.choices, blank=True, editable=False
    )
    # The one-time key of the form that asked for the token (core/forms.py): unique per user,
    # so one submission makes one token. Blank for tokens made otherwise.
    submission_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = ApiTokenQuerySet.as_manager()
    # Set by the page (tokens.views.table.with_grace_notes), not stored: until when the value this
    # token replaced still works, while its grace period runs.
    old_value_until: datetime | None = None
    # Set by the page (tokens.views.table.with_actions), not stored: what the person looking may
    # do to it now, as the lifecycle says.
    can_rotate: bool = False
    can_revoke: bool = False

    class Meta:
        verbose_name = "token"
        # Partial indexes over live tokens, one per way the tokens table filters and sorts,
        # so that the first page costs the same with 100 or 100,000 tokens.
        indexes = [
            models.Index(
                fields=["tenant", "kind", "-created_at", "-id"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_tenant_created",
            ),
            # By last use and status, and each status's count: expires_at and pending_until at
            # the end, so the status conditions (which exclude the expired and the pending)
            # read the index alone.
            models.Index(
                fields=[
                    "tenant",
                    "kind",
                    "last_used_at",
                    "created_at",
                    "id",
                    "expires_at",
                    "pending_until",
                ],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_use_expiry_pending",
            ),
            # The approval queue (and its count in the navigation): the few pending requests.
            models.Index(
                fields=["tenant", "pending_until"],
                condition=Q(revoked_at__isnull=True, pending_until__isnull=False),
                name="token_pending_tenant",
            ),
            # The table sorts names as people read them: case-insensitively.
            models.Index(
                F("tenant"),
                F("kind"),
                Lower("name"),
                F("created_at"),
                F("id"),
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_tenant_name_order",
            ),
            models.Index(
                fields=["user", "kind", "-created_at", "-id"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_user_created",
            ),
            # The table's search by the last 4 characters people copy from it.
            models.Index(
                fields=["tenant", "kind", "suffix"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_tenant_suffix",
            ),
            # Sorted by expiry (never-expiring last when soonest first).
            models.Index(
                fields=["tenant", "kind", "expires_at", "created_at", "id"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_tenant_expires",
            ),
            # The Revoked filter of the table (revoked tokens are a few of the table, then
            # many more over the years): newest first, without reading the live ones.
            models.Index(
                fields=["tenant", "kind", "-created_at", "-id"],
                condition=Q(revoked_at__isnull=False),
                name="token_revoked_tenant_created",
            ),
            # The expiry reminders' scan across tenants (tokens/jobs.py): the tokens that
            # expire soon, without reading those that never do.
            models.Index(
                fields=["expires_at"],
                condition=Q(
                    revoked_at__isnull=True, replaced_at__isnull=True, expires_at__isnull=False
                ),
                name="token_current_expiry",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "submission_key"],
                condition=~Q(submission_key=""),
                name="token_user_submission_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (…{self.suffix})"

    @property
    def status_label(self) -> str:
        """The label of the `status` that with_status() annotates."""
        return Status(self.status).label  # type: ignore[attr-defined]  # with_status() adds it

    def state(self, now: datetime | None = None) -> Status:
        """Its lifecycle state now (tokens/lifecycle.py), for a token in hand."""
        return state_of(self, now or timezone.now())

    @property
    def state_label(self) -> str:
        return self.state().label

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def expires_soon(self, now: datetime | None = None) -> bool:
        """Within EXPIRY_WARNING (7 days) of its expiry, and not yet expired: the table warns."""
        now = now or timezone.now()
        return self.expires_at is not None and now < self.expires_at <= now + EXPIRY_WARNING

    def log_fields(self) -> dict:
        """What a request log line says of the token it used (core/requestlog.py)."""
        return {"token_id": self.pk, "token_kind": self.kind}

    @property
    def made_by(self):
        """Who generated it: its owner, or whoever did it for them."""
        return self.created_by or self.user

    @property
    def access_label(self) -> str:
        """Its access in a word or two, for the table: "Full role", "Read-only", "3 of 6"."""
        if self.scopes is None:
            return "Full role"
        if self.scopes and all(scope.endswith(".read") for scope in self.scopes):
            return "Read-only"
        return f"{len(self.scopes)} of {len(SCOPES)}"

    def access(self) -> "Access":
        """What it may do now (its scopes within its issuer's role as it is now), and what its
        issuer's role could but it may not, each described."""
        role = self.user.capabilities
        return Access(
            narrowed=self.scopes is not None,
            can=described(self.capabilities),
            cannot=described(role - self.capabilities),
        )

    @property
    def capabilities(self):
        """A token may do what its issuer may do now, within its scopes if it has any and
        within what it could do when it was made (so a demotion narrows it at once, and a
        promotion never widens it)."""
        return within(self.user.capabilities, self.scopes, self.granted_capabilities)

    @property
    def lost_capabilities(self) -> list[str]:
        """What it could do when it was made and cannot now (its owner's role lost it)."""
        now = self.capabilities
        return [name for name in self.granted_capabilities or () if name not in now]

    @property
    def allowed_ips(self) -> list[str] | None:
        """Its allow-list as a list; None: usable from anywhere."""
        return self.allowlist.split(" ") if self.allowlist else None

    @allowed_ips.setter
    def allowed_ips(self, entries: list[str] | None) -> None:
        self.allowlist = " ".join(entries or ())

    def capability_used(self, capability: str) -> list[tuple]:
        """A request made with it passed a check of `capability` (accounts.permissions):
        counted in this process and sent to the shared cache with the usage tally (the cache
        writes now due are returned, for the request's round trip), folded into
        TokenCapabilityDay with last_used_at (tokens/usage.py); never a database write."""
        from tokens.usage import capability_ops  # the model sits below the module that reads it

        return capability_ops(self.pk, capability)


class TokenCapabilityDay(models.Model):
    """How many requests a token made with one capability on one UTC day, and the last one's
    time (folded in with the usage tally; tokens/usage.py)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="capability_days")
    capability = models.CharField(max_length=32)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "capability", "day"], name="token_capability_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.capability} {self.day}: {self.count}"


class TokenUsageDay(models.Model):
    """How many requests a token made on one UTC day (folded in from the shared cache at
    most once a minute; tokens/usage.py adds what is still in the cache when read)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "day"], name="token_usage_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.day}: {self.count}"
