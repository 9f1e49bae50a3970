from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Tenant
from accounts.roles import SCOPES, Capability, described
from core.names import is_clean_name
from core.tenancy import TenantQuerySet
from tokens.expiry import MAX_EXPIRY_DAYS, POLICY_EXPIRY_CHOICES
from tokens.lifecycle import EventReason, Status, state_of, status_conditions

EXPIRY_WARNING = timedelta(days=7)  # the table warns of an expiry this close
MAX_NOTICE_DAYS = 90  # the longest notice a new retirement rule may give
DEFAULT_NOTICE_DAYS = 7
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 300


class Kind(models.TextChoices):
    API = "api", "API token"
    SIEM = "siem", "SIEM agent"
    LOG_COLLECTOR = "log_collector", "Log collector"
    SCIM = "scim", "SCIM provisioning"


def validate_token_name(name: str) -> None:
    if not name:
        raise ValidationError("Enter a token name.", code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            "Token names are at most %(limit)d characters; this one has %(length)d.",
            code="max_length",
            params={"limit": NAME_MAX_LENGTH, "length": len(name)},
        )
    if not is_clean_name(name):  # core/names.py: no control or invisible characters
        raise ValidationError(
            "Token names cannot contain control or invisible characters.", code="invalid"
        )


@dataclass(frozen=True)
class Access:
    """What a token may do, described (ApiToken.access)."""

    narrowed: bool
    can: list[tuple[str, str]]
    cannot: list[tuple[str, str]]


def validate_token_description(description: str) -> None:
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            "Descriptions are at most %(limit)d characters; this one has %(length)d.",
            code="max_length",
            params={"limit": DESCRIPTION_MAX_LENGTH, "length": len(description)},
        )
    if not is_clean_name(description):
        raise ValidationError(
            "Descriptions cannot contain control or invisible characters.", code="invalid"
        )


class ApiTokenQuerySet(TenantQuerySet):
    def live(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)

    def current(self) -> "ApiTokenQuerySet":
        """Live and not replaced by a rotation: what the table lists (a replaced token in
        its grace period shows on its successor's row)."""
        return self.live().filter(replaced_at__isnull=True)

    def in_grace(self, now: datetime) -> "ApiTokenQuerySet":
        """Replaced by a rotation and still working (the lifecycle's "rotated")."""
        return self.filter(status_conditions(now)[Status.ROTATED])

    def with_status(self, now: datetime | None = None) -> "ApiTokenQuerySet":
        """Annotates `status` (tokens/lifecycle.py), derived at query time, so never stale."""
        conditions = status_conditions(now or timezone.now())
        return self.annotate(
            status=Case(
                *(When(condition, then=Value(status)) for status, condition in conditions.items()),
                output_field=models.CharField(),
            )
        )

    def filter_status(self, status: str, now: datetime | None = None) -> "ApiTokenQuerySet":
        # Filters on the columns themselves, not on the annotation, so an index can serve it.
        return self.filter(status_conditions(now or timezone.now())[status])

    def chain(self, token: "ApiToken") -> "ApiTokenQuerySet":
        """Every value of the token's rotation chain (the token alone if never rotated)."""
        root = token.chain_id or token.pk
        return self.filter(Q(pk=root) | Q(chain_id=root))

    def lock_chain(self, token: "ApiToken") -> list["ApiToken"]:
        """Takes the row lock of the token's chain (its first token's row, which every value
        of it names), then reads the chain as it is now: of a rotation and a revocation at
        once, one waits for the other and sees what it did. Call inside a transaction."""
        root = token.chain_id or token.pk
        list(self.select_for_update().filter(pk=root).values_list("pk", flat=True))
        return list(self.chain(token).select_related("user", "tenant").order_by("pk"))

    def visible_to(self, user, capabilities: frozenset[Capability]) -> "ApiTokenQuerySet":
        """The current API tokens a user may see and revoke, holding `capabilities` (the
        request's, accounts.permissions.request_capabilities): with TOKENS_MANAGE_ALL every
        API token of the tenant, otherwise their own."""
        return self.reachable_by(user, capabilities).current()

    def reachable_by(
        self, user, capabilities: frozenset[Capability], kind: str | None = Kind.API
    ) -> "ApiTokenQuerySet":
        """As visible_to, in every state (revoked, rotated out): what a user may look up by
        id, or list under a status filter that asks for them (of `kind`; None: of every
        kind)."""
        if user.tenant_id is None:
            return self.none()
        tokens = self.for_tenant(user.tenant_id)
        if kind is not None:
            tokens = tokens.filter(kind=kind)
        if Capability.TOKENS_MANAGE_ALL not in capabilities:
            tokens = tokens.filter(user=user)
        return tokens

    def visible_with(self, user, capabilities, credential) -> "ApiTokenQuerySet":
        """As reachable_by, for a request made with `credential`: a token narrowed by scopes
        reaches itself only (it may read and revoke itself, and nothing else of the
        table)."""
        tokens = self.reachable_by(user, capabilities)
        if isinstance(credential, ApiToken) and credential.scopes is not None:
            tokens = tokens.filter(pk=credential.pk)
        return tokens


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
    # Rotation: the tokens of one chain (each the regeneration of the one before) share
    # `chain_id` (its first token's id; None: never rotated). A replaced token has
    # `replaced_at` and keeps working until `grace_until`; used after it, or used to rotate
    # again, it revokes the whole chain (tokens.services.token_reuse_detected).
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
            # By last use and status, and each status's count: expires_at at the end, so the
            # status conditions (which exclude the expired) read the index alone.
            models.Index(
                fields=["tenant", "kind", "last_used_at", "created_at", "id", "expires_at"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="token_live_tenant_use_expiry",
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
        """A token may do what its issuer may do now, within its scopes if it has any (so a
        demotion narrows it at once, and a promotion never widens a scoped token)."""
        capabilities = self.user.capabilities
        if self.scopes is not None:
            capabilities = capabilities & frozenset(self.scopes)
        return capabilities


class TokenPolicy(models.Model):
    """A tenant's rules for API tokens: how long a new one may live, whether "never" may be
    chosen, what the dialog offers first, and after how many days unused a token is retired.
    A tenant without a row has the defaults (no maximum, never allowed, 90 days, no
    retirement)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, related_name="token_policy")
    max_lifetime_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank: unlimited."
    )
    allow_never = models.BooleanField(default=True)
    default_expiry = models.CharField(max_length=8, choices=POLICY_EXPIRY_CHOICES, default="90")
    dormant_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Retire tokens unused this long. Blank: off."
    )
    # A new or shortened dormancy rule retires nothing before this moment (the notice
    # period, during which each owner of a token it would retire is told once); None: the
    # rule has no notice running.
    dormant_from = models.DateTimeField(null=True, blank=True, editable=False)
    notice_days = models.PositiveIntegerField(
        default=DEFAULT_NOTICE_DAYS,
        help_text="How long a new or shortened retirement rule waits, telling owners.",
    )
    strict_rotation = models.BooleanField(
        default=False,
        help_text="A rotated-out value used after its grace period revokes the whole token "
        "(its new value too), instead of being refused with an alert.",
    )
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "token policies"

    def __str__(self) -> str:
        return f"Token policy of {self.tenant_id}"

    def clean(self) -> None:
        """The rules that hold between its fields, each error on its field."""
        errors: dict[str, list[str]] = {}
        for name in ("max_lifetime_days", "dormant_days"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= MAX_EXPIRY_DAYS:
                errors[name] = [
                    f"Give a number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it blank."
                ]
        if self.notice_days is None or not 0 <= self.notice_days <= MAX_NOTICE_DAYS:
            errors["notice_days"] = [f"Give a number of days from 0 to {MAX_NOTICE_DAYS}."]
        choices = dict(POLICY_EXPIRY_CHOICES)
        if self.default_expiry not in choices:
            errors["default_expiry"] = ["Choose one of the offered expiries."]
        elif self.default_expiry == "never" and (not self.allow_never or self.max_lifetime_days):
            errors["default_expiry"] = ["The default cannot be never when never is not allowed."]
        elif (
            self.default_expiry != "never"
            and self.max_lifetime_days
            and "max_lifetime_days" not in errors
            and int(self.default_expiry) > self.max_lifetime_days
        ):
            errors["default_expiry"] = [
                f"The default ({choices[self.default_expiry]}) is longer than the maximum "
                f"lifetime ({self.max_lifetime_days} days)."
            ]
        if errors:
            raise ValidationError(errors)

    def retiring(self, now: datetime) -> bool:
        """Whether its retirement rule is in force at `now` (on, and past its notice)."""
        return self.dormant_days is not None and (
            self.dormant_from is None or self.dormant_from <= now
        )


class ExpiryReminder(models.Model):
    """An e-mail that told a token's owner it expires soon: one row per token and reminder
    (7 days, 1 day before), so that however many workers run the job, each is sent once
    (tokens/jobs.py: the row commits only once the mail server took the message)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "days_before"], name="expiry_reminder_once_per_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id}: {self.days_before} days before, sent {self.sent_at:%Y-%m-%d}"


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


# --- the token event log (append-only) -----------------------------------------------------------


class EventKind(models.TextChoices):
    GENERATED = "generated", "Generated"
    FIRST_USED = "first_used", "First used"
    ROTATED = "rotated", "Rotated"
    REVOKED = "revoked", "Revoked"
    REFUSED = "refused", "Refused"
    POLICY_CHANGED = "policy_changed", "Token policy changed"  # of the tenant: no token
    REMINDED = "reminded", "Expiry reminder sent"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    PUBLIC = "public", "Public report"


class TokenEventQuerySet(TenantQuerySet):
    """Events are written once and never changed: no bulk update or delete either."""

    def visible_to(self, user, capabilities: frozenset[Capability]) -> "TokenEventQuerySet":
        """The events a user may read: with TOKENS_MANAGE_ALL every event of the tenant
        (tokens of every kind, revoked ones too), otherwise those of their own tokens."""
        if user.tenant_id is None:
            return self.none()
        events = self.for_tenant(user.tenant_id)
        if Capability.TOKENS_MANAGE_ALL not in capabilities:
            events = events.filter(owner=user)
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
    # Whose token it is (a token never changes owner): the log filters by it.
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


class NoticeQuerySet(TenantQuerySet):
    def waiting(self) -> "NoticeQuerySet":
        return self.filter(sent_at__isnull=True)


class Notice(models.Model):
    """An e-mail to a token's owner (never with a token's value), written in the same
    transaction as the change that causes it and delivered by the worker
    (tokens/outbox.py), retried until the mail server takes it: none is lost while the
    mail server is down, and a full admin sees those that wait."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(max_length=24)  # exposed, dormant, reminder, retirement_notice
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    # Delivery: tried when next_attempt_at has come and nobody holds it (claimed_until past);
    # sent_at once the mail server took it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(sent_at__isnull=True),
                name="notice_waiting",
            ),
            models.Index(fields=["tenant", "-created", "-id"], name="notice_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.subject}"
