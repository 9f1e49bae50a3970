"""The tenant's security data that the API serves, shaped after the Defender for Cloud Apps
REST API (REFERENCE.md) and the records real tenants return (RECORDS.md): alerts,
activities, entities (users and accounts), files, IP ranges ("subnets") and their tags, and
Cloud Discovery data sources, log uploads and discovered apps.

Every model belongs to a tenant and every query starts from `for_tenant(tenant)`. A record
keeps in columns what the API filters, sorts and changes, and the rest of what the app
reported, as it came, in `document` (security/shapes.py, security/records.py). Multi-valued
fields that the API filters with eq/neq (tags, policies, alert ids, ...) are kept as a
delimited text column (`|a|b|`) that both SQLite and PostgreSQL can match with LIKE.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from core.tenancy import TenantQuerySet
from security.enumerations import (
    ENTITY_TYPE_USER,
    ID_TYPE_USER,
    AlertStatus,
    IpCategory,
    Resolution,
    Severity,
)
from security.log_formats import LOG_TYPE_IDS


def object_id() -> str:
    """A 24-hex id, the shape of the original's ids (MongoDB ObjectIds)."""
    return secrets.token_hex(12)


def delimited(values) -> str:
    """`|a|b|` for ["a", "b"]: what the *_text columns hold, so `|a|` finds one value."""
    values = [str(value) for value in values]  # a generator is truthy even when empty
    return "|" + "|".join(values) + "|" if values else ""


__all__ = ["AlertStatus", "IpCategory", "Resolution", "Severity"]  # their home: enumerations


class Entity(models.Model):
    """An identity in an app, keyed by (entity_id, saas, inst): a user (type 2, in the
    directory's app, Office 365 for Entra users) with their accounts in other apps (rows
    whose `parent` is the user, shown inside the user's `accounts`), or an application's
    account (type 1)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    entity_id = models.CharField(max_length=64)  # the id inside the app (an Entra object id)
    saas = models.IntegerField(default=11161)
    inst = models.IntegerField(default=0)
    type = models.IntegerField(default=ENTITY_TYPE_USER)  # security.enumerations
    id_type = models.IntegerField(default=ID_TYPE_USER)
    display_name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    domain = models.CharField(max_length=200, blank=True)
    organization = models.CharField(max_length=200, blank=True)  # organisational unit
    role = models.CharField(max_length=100, blank=True)  # "Global Administrator", ...
    is_admin = models.BooleanField(default=False)
    is_external = models.BooleanField(null=True)
    status = models.IntegerField(default=2)  # 0 N/A, 1 Staged, 2 Active, 3 Suspended, 4 Deleted
    # The user groups as records carry them ({"_id", "id", "name", "description", ...}).
    user_groups = models.JSONField(default=list, blank=True)
    user_groups_text = models.TextField(blank=True, editable=False)  # their ids
    threat_score = models.IntegerField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="accounts"
    )
    last_seen = models.DateTimeField(null=True, blank=True)
    document = models.JSONField(default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "entity_id", "saas", "inst"], name="entity_tenant_key"
            )
        ]
        indexes = [models.Index(fields=["tenant", "display_name", "id"])]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)

    def prepare(self) -> None:
        """Fills the columns drawn from others (called by save() and records_add)."""
        self.user_groups_text = delimited(
            group.get("id") for group in self.user_groups if isinstance(group, dict)
        )


class Alert(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    id_value = models.BigIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    timestamp = models.DateTimeField(db_index=False)
    severity = models.IntegerField(choices=Severity.choices)
    status = models.IntegerField(choices=AlertStatus.choices, default=AlertStatus.UNREAD)
    resolution_status = models.IntegerField(choices=Resolution.choices, default=Resolution.OPEN)
    resolution_date = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.IntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    handled_by = models.CharField(max_length=254, blank=True)
    feedback = models.JSONField(default=dict, blank=True)
    stories = models.JSONField(default=list)
    intent = models.JSONField(default=list)
    threat_score = models.IntegerField(default=0)
    source = models.CharField(max_length=32, default="policy")
    is_system = models.BooleanField(default=False)
    # When the alert was stored here: the order in which the SIEM feed delivers alerts.
    created = models.DateTimeField(default=timezone.now)
    is_preview = models.BooleanField(null=True, blank=True)  # absent on some real alerts
    # The related entities, as the API shows them ({"type", "id", "label", ...}).
    entities = models.JSONField(default=list, blank=True)
    # The rest of the alert as it was raised: policy, evidence, threatScoreReasoning.
    document = models.JSONField(default=dict, blank=True)
    # What the entity.* filters match, drawn from `entities` on save.
    entity_ids_text = models.TextField(blank=True, editable=False)
    ips_text = models.TextField(blank=True, editable=False)
    services_text = models.TextField(blank=True, editable=False)
    instances_text = models.TextField(blank=True, editable=False)
    policies_text = models.TextField(blank=True, editable=False)
    files_text = models.TextField(blank=True, editable=False)
    users_text = models.TextField(blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-timestamp", "-id"], name="alert_tenant_date"),
            models.Index(fields=["tenant", "created", "id"], name="alert_tenant_created"),
            # The Alerts page's filters, each in the page's order (newest first, ties by id),
            # so that a page reads its 50 rows, not every match: by severity, by status, by
            # kind, and by both severity and status (the navigation's count of open high).
            models.Index(
                fields=["tenant", "severity", "-timestamp", "-id"], name="alert_tenant_sev_date"
            ),
            models.Index(
                fields=["tenant", "resolution_status", "-timestamp", "-id"],
                name="alert_tenant_status_date",
            ),
            models.Index(
                fields=["tenant", "source", "-timestamp", "-id"], name="alert_tenant_source_date"
            ),
            models.Index(
                fields=["tenant", "severity", "resolution_status", "-timestamp", "-id"],
                name="alert_tenant_sev_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)

    def prepare(self) -> None:
        """Fills the columns the entity.* filters match, from `entities` (called by save()
        and records_add)."""
        by_type: dict[str, list] = {}
        for entity in self.entities:
            by_type.setdefault(entity.get("type"), []).append(entity)
        self.entity_ids_text = delimited(
            f"{e['id']}:{e.get('inst', 0)}"
            for e in by_type.get("account", []) + by_type.get("user", [])
        )
        self.ips_text = delimited(e["id"] for e in by_type.get("ip", []))
        self.services_text = delimited(e["id"] for e in by_type.get("service", []))
        self.instances_text = delimited(
            f"{e['id']}:{e.get('inst', 0)}" for e in by_type.get("service", [])
        )
        self.policies_text = delimited(e["id"] for e in by_type.get("policyRule", []))
        self.files_text = delimited(e["id"] for e in by_type.get("file", []))
        self.users_text = delimited(e["id"] for e in by_type.get("user", []))


class Activity(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    # `<tenant>_<app>_<event id>`, a 64-hex hash or an ObjectId, as real activities' ids are.
    public_id = models.CharField(max_length=100, default=object_id, unique=True, editable=False)
    timestamp = models.DateTimeField()  # when it happened: the `date` filter and sort
    created = models.DateTimeField()  # when it was stored: the `created` filter and sort
    service = models.IntegerField()  # app id
    app_name = models.CharField(max_length=100)
    instance = models.IntegerField(default=0)
    description = models.TextField(blank=True)
    action_type = models.CharField(max_length=100, blank=True)
    event_action_type = models.CharField(max_length=100, blank=True)  # eventTypeValue
    event_type_name = models.CharField(max_length=100, blank=True)  # EVENT_CATEGORY_*
    is_admin = models.BooleanField(default=False)  # activity.type
    impersonated = models.BooleanField(default=False)
    taken_action = models.CharField(max_length=32, null=True, blank=True)
    device_type = models.CharField(max_length=16, null=True, blank=True)
    device_tags_text = models.TextField(blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    user_agent_tags_text = models.TextField(blank=True)
    ip_address = models.CharField(max_length=45, null=True, blank=True)
    ip_category = models.IntegerField(choices=IpCategory.choices, null=True, blank=True)
    ip_tags_text = models.TextField(blank=True)
    country = models.CharField(max_length=2, null=True, blank=True)
    organization = models.CharField(max_length=200, null=True, blank=True)  # registered ISP
    user_name = models.CharField(max_length=254, null=True, blank=True)
    user_domain = models.CharField(max_length=200, null=True, blank=True)
    user_org_unit = models.CharField(max_length=200, null=True, blank=True)
    user_tags_text = models.TextField(blank=True)
    entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entity_key = models.CharField(max_length=80, blank=True)  # "{entity_id}:{inst}"
    policies_text = models.TextField(blank=True)
    source = models.IntegerField(default=2)  # 0 access control, 1 session, 2 app connector, ...
    alert_ids_text = models.TextField(blank=True)
    object_ids_text = models.TextField(blank=True)
    file_id = models.CharField(max_length=200, null=True, blank=True)
    office365_url = models.CharField(max_length=500, null=True, blank=True)
    feedback = models.JSONField(default=dict, blank=True)
    # The activity as the API serves it, JSON text (security.records.activity_from_record):
    # every key the app's connector delivered (location, userAgent, mainInfo, resolvedActor,
    # entityData, rawDataJson, ...) but the tenant's own. An activity never changes once
    # stored (feedback is kept beside it), so the text is written once and the bulk path
    # joins it into answers without decoding it; the columns above are its filter index.
    record = models.TextField(editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "activities"
        constraints = [
            # An activity without its record could only be served as broken JSON.
            models.CheckConstraint(
                condition=models.Q(record__startswith='{"'), name="activity_record_is_an_object"
            ),
        ]
        # One index per way the API narrows and sorts a tenant's months of activities; each
        # ends in the sort key and id so a page (and a scan step) is a short index walk.
        indexes = [
            models.Index(fields=["tenant", "timestamp", "id"], name="activity_tenant_date"),
            models.Index(fields=["tenant", "created", "id"], name="activity_tenant_created"),
            models.Index(
                fields=["tenant", "service", "timestamp", "id"], name="activity_tenant_service"
            ),
            models.Index(
                fields=["tenant", "user_name", "timestamp", "id"], name="activity_tenant_user"
            ),
            models.Index(
                fields=["tenant", "ip_address", "timestamp", "id"], name="activity_tenant_ip"
            ),
            models.Index(
                fields=["tenant", "action_type", "timestamp", "id"], name="activity_tenant_action"
            ),
            models.Index(
                fields=["tenant", "entity_key", "timestamp", "id"], name="activity_tenant_entity"
            ),
            # The same narrowings sorted by stored time (sortField=created): without these, a
            # page would sort every matching row.
            models.Index(
                fields=["tenant", "service", "created", "id"], name="activity_service_created"
            ),
            models.Index(
                fields=["tenant", "action_type", "created", "id"], name="activity_action_created"
            ),
            models.Index(
                fields=["tenant", "user_name", "created", "id"], name="activity_user_created"
            ),
            models.Index(
                fields=["tenant", "ip_address", "created", "id"], name="activity_ip_created"
            ),
            models.Index(
                fields=["tenant", "entity_key", "created", "id"], name="activity_entity_created"
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.action_type


class File(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    file_id = models.CharField(max_length=200)  # the app's id: "<site collection>|<item>"
    name = models.CharField(max_length=300)
    extension = models.CharField(max_length=20, blank=True)
    mime_type = models.CharField(max_length=150, blank=True)
    file_type = models.IntegerField(default=0)  # 0 Other, 1 Document, ... 6 Folder
    service = models.IntegerField()
    app_name = models.CharField(max_length=100)
    instance = models.IntegerField(default=0)
    size = models.BigIntegerField(default=0)
    owner = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_key = models.CharField(max_length=80, blank=True)  # "{entity_id}:{inst}"
    owner_name = models.CharField(max_length=200, blank=True)
    owner_address = models.CharField(max_length=254, blank=True)
    owner_org_unit = models.CharField(max_length=200, blank=True)
    sharing = models.IntegerField(default=0)  # 0 Private .. 4 Public (Internet)
    created_date = models.DateTimeField()
    modified_date = models.DateTimeField()
    snapshot_last_modified = models.DateTimeField(null=True, blank=True)
    trashed = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    quarantined = models.BooleanField(default=False)
    folder = models.BooleanField(default=False)
    parent_folder = models.CharField(max_length=200, blank=True)
    collaborator_entities_text = models.TextField(blank=True)
    collaborator_domains_text = models.TextField(blank=True)
    collaborator_groups_text = models.TextField(blank=True)
    collaborator_users_text = models.TextField(blank=True, editable=False)
    # The file itself and the folders above it (filter parentFolder descendantof).
    ancestors_text = models.TextField(blank=True, editable=False)
    labels_text = models.TextField(blank=True)
    scan_labels_text = models.TextField(blank=True)
    policies_text = models.TextField(blank=True)
    # The rest of the file as the app reported it (alternateLink, collaborators, SharePoint
    # details, governance actions, ...).
    document = models.JSONField(default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-modified_date", "-id"], name="file_tenant_modified")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)

    def prepare(self) -> None:
        """The columns drawn from others (called by save() and records_add): the owner's
        name and address from the owner entity where the record gave none; the users it is
        shared with (collaborators of type 1, an inference: groups are type 2), by id and as
        entities; the file and the folders above it."""
        if self.owner is not None:
            self.owner_name = self.owner_name or self.owner.display_name
            self.owner_address = self.owner_address or self.owner.email
        collaborators = self.document.get("collaborators") or []
        users = [c.get("id") for c in collaborators if isinstance(c, dict) and c.get("type") == 1]
        self.collaborator_users_text = delimited(users)
        # The same people as entity references (collaborators.entity), in the file's instance.
        self.collaborator_entities_text = delimited(f"{u}:{self.instance}" for u in users if u)
        ancestors = [self.file_id, self.parent_folder]
        for key in ("parentIds", "effectiveParents"):
            ancestors += [a for a in self.document.get(key) or [] if isinstance(a, str)]
        self.ancestors_text = delimited(dict.fromkeys(a for a in ancestors if a))


class Subnet(models.Model):
    """An IP address range (data enrichment)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    name = models.CharField(max_length=200)
    category = models.IntegerField(choices=IpCategory.choices)
    subnets = models.JSONField(default=list)  # CIDR strings as given
    organization = models.CharField(max_length=200, blank=True)
    override_organization = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)  # tag ids (built-in or IpTag.tag_id)
    tags_text = models.TextField(blank=True, editable=False)
    built_in = models.BooleanField(default=False)
    last_modified = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="subnet_tenant_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.tags_text = delimited(self.tags)
        super().save(*args, **kwargs)


class IpTag(models.Model):
    """A custom IP tag of a tenant, made when a range named a tag that did not exist (as
    real tenants do). Built-in tags are the same in every tenant (security.enumerations)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    tag_id = models.CharField(max_length=24, default=object_id, editable=False)
    name = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tag_id"], name="iptag_tenant_id_unique"),
            models.UniqueConstraint(fields=["tenant", "name"], name="iptag_tenant_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class DataSource(models.Model):
    """A Cloud Discovery data source ("continuous report" stream): where uploaded logs go."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    name = models.CharField(max_length=100)
    log_format = models.CharField(max_length=64, default="GENERIC_CEF")  # security/log_formats.py
    receiver_type = models.CharField(max_length=8, default="ftp")  # syslog | ftp
    protocol = models.CharField(max_length=8, blank=True)
    anonymize_users = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)
    last_data_received = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="datasource_tenant_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def log_type(self) -> int:
        """The reference's `logType` id: derived from the format, never stored beside it (the
        two drifted apart when both were kept). 1, OTHER, for a format the table lacks."""
        return LOG_TYPE_IDS.get(self.log_format, 1)


class Sanction(models.TextChoices):
    NONE = "", "Not tagged"
    SANCTIONED = "sanctioned", "Sanctioned"
    UNSANCTIONED = "unsanctioned", "Unsanctioned"  # blocked: the block scripts list it
    MONITORED = "monitored", "Monitored"


class DiscoveredApp(models.Model):
    """A cloud app that a data source's logs showed in use (Cloud Discovery)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    data_source = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="discovered_apps"
    )
    app_id = models.IntegerField()  # the catalogue's id (an `appId`)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=64)  # SAASDB_CATEGORY_* (security.enumerations)
    domains = models.JSONField(default=list)
    score = models.IntegerField(default=5)  # risk score, 0 (risky) to 10
    sanction = models.CharField(max_length=16, choices=Sanction.choices, blank=True)
    users = models.IntegerField(default=0)
    traffic_bytes = models.BigIntegerField(default=0)
    last_seen = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["data_source", "app_id"], name="discovered_app_source_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UploadStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the file"
    RECEIVED = "received", "File received"
    QUEUED = "queued", "Queued for processing"


class DiscoveryUpload(models.Model):
    """One log file: asked for (upload_url), received (PUT), handed over (done_upload)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=24, default=object_id, unique=True, editable=False)
    # SHA-256 of the one-time secret in the upload URL; the secret itself is never stored.
    url_digest = models.CharField(max_length=64, unique=True, editable=False)
    filename = models.CharField(max_length=255)
    source = models.CharField(max_length=64)  # log format, e.g. CISCO_ASA
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a log collector's token asked for the upload URL.
    collector = models.ForeignKey(
        "extensions.LogCollector",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploads",
    )
    data_source = models.ForeignKey(
        DataSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    as_snapshot = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    file = models.FileField(upload_to="discovery/%Y/%m/", blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.filename
