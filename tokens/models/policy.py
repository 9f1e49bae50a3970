"""A tenant's token policy."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Tenant
from core.tenancy import TenantQuerySet
from tokens.expiry import MAX_EXPIRY_DAYS, POLICY_EXPIRY_CHOICES

# Which new API tokens need a full admin's approval (tokens/approval.py): none, those that
# can change data (any *.manage capability), or every one.
APPROVAL_NOBODY, APPROVAL_MANAGE, APPROVAL_ALL = "", "manage", "all"
APPROVAL_CHOICES = [
    (APPROVAL_NOBODY, "Nobody"),
    (APPROVAL_MANAGE, "Tokens that can change data (any *.manage capability)"),
    (APPROVAL_ALL, "Every token"),
]
MAX_NOTICE_DAYS = 90  # the longest notice a new retirement rule may give
DEFAULT_NOTICE_DAYS = 7


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
    manage_needs_allowlist = models.BooleanField(
        default=False,
        help_text="A token that can change data (any *.manage capability) must have a "
        "network allow-list.",
    )
    approval_required_for = models.CharField(
        max_length=8,
        choices=APPROVAL_CHOICES,
        default="",
        blank=True,
        help_text="Which new API tokens wait for a full admin's approval before they work.",
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
