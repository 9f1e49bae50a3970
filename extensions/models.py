"""Security extensions that hold a token of their own kind: SIEM agents (`siem` tokens, which
may only read the SIEM feed) and Cloud Discovery log collectors (`log_collector` tokens, which
may only upload logs into their own data sources). Neither kind appears on the API tokens
page; each is managed, shown once, regenerated and revoked from its own section."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from core.tenancy import TenantQuerySet
from security.models import DataSource
from tokens.models import ApiToken


class OutputFormat(models.TextChoices):
    CEF = "cef", "CEF"
    JSON = "json", "JSON"


class AgentStatus(models.TextChoices):
    NEVER = "never", "Never connected"
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected"


class SiemAgent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    output_format = models.CharField(
        max_length=8, choices=OutputFormat.choices, default=OutputFormat.CEF
    )
    send_alerts = models.BooleanField("Alerts", default=True)
    send_activities = models.BooleanField("Activities", default=True)
    token = models.OneToOneField(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="siem_agent"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A feed without a cursor starts with the events stored from the agent's creation on.
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    events_delivered = models.BigIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="siem_agent_tenant_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> AgentStatus:
        """Connected while it has called the feed within SIEM_CONNECTED_WINDOW."""
        if self.last_seen_at is None:
            return AgentStatus.NEVER
        window = timedelta(seconds=settings.SIEM_CONNECTED_WINDOW)
        if self.last_seen_at >= timezone.now() - window:
            return AgentStatus.CONNECTED
        return AgentStatus.DISCONNECTED

    @property
    def event_types(self) -> list[str]:
        chosen = ((self.send_alerts, "Alerts"), (self.send_activities, "Activities"))
        return [label for on, label in chosen if on]


class LogCollector(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    data_sources = models.ManyToManyField(DataSource, related_name="collectors")
    token = models.OneToOneField(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_collector"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_upload_at = models.DateTimeField(null=True, blank=True)
    files_received = models.BigIntegerField(default=0)
    bytes_received = models.BigIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="log_collector_tenant_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
