"""E-mails to token owners: the expiry reminders sent, and the outbox of notices."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tenant
from core.tenancy import TenantQuerySet
from tokens.models.token import ApiToken


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
