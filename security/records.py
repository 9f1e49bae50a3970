"""Where each record's columns sit in the JSON that real tenants return (RECORDS.md), one
table per resource (security/shapes.py), and the records made from what an app reports.

`show(row)` is the record the API answers; `<resource>_from_record(record)` the unsaved row
that stores it. What a record's keys mean is in RECORDS.md; which filter reads which column
is in security/listing.py."""

import json
from typing import Any

from core.http import route_url
from security.enumerations import (
    BUILTIN_IP_TAGS,
    ENTITY_TYPE_USER,
    IP_CATEGORY_VALUES,
    TAG_TARGET_IP,
    TAG_TYPE_BUILT_IN,
    TAG_TYPE_CUSTOM,
    AccessLevel,
    FileStatus,
    FileType,
    app_name,
    pair,
)
from security.models import Activity, Alert, Entity, File, Subnet
from security.shapes import (
    OMIT,
    Column,
    Computed,
    Same,
    Shape,
    from_iso,
    from_ms,
    is_empty,
    is_none,
    join_text,
    split_text,
    to_float_ms,
    to_iso,
    to_ms,
)


def _tenant_directory(tenant) -> str:
    """The Entra tenant GUID records carry (`aadTenantId`, `contextId`)."""
    return str(tenant.entra_tenant_id or tenant.public_id)


def _empty_to_none(value: Any) -> Any:
    return value or None


def _none_to_empty(value: Any) -> Any:
    return value or ""


# --- activities (RECORDS 2) ----------------------------------------------------------------------

# Where RECORDS.md names a filter but not the key it reads (RECORDS 8), the key is the
# filter's own name at the place its neighbours sit: these, per resource (docs/api.md).
KEYS_OF_OUR_CHOOSING = {
    "activities": ("takenAction", "impersonated", "policies", "device.tags", "user.orgUnit"),
    "files": ("fileScanLabels", "policies", "ownerOrgUnit", "quarantined"),
}

ACTIVITY = Shape(
    columns=[
        Column(("_id",), "public_id"),
        Column(("appId",), "service"),
        Column(("appName",), "app_name"),
        Column(("timestamp",), "timestamp", to_ms, from_ms),
        Column(("created",), "created", to_ms, from_ms),
        Column(("description",), "description"),
        Column(("eventTypeValue",), "event_action_type"),
        Column(("eventTypeName",), "event_type_name"),
        Column(("source",), "source"),
        Column(("takenAction",), "taken_action", omit=is_none),
        Column(("impersonated",), "impersonated", omit=lambda value: not value),
        Column(("policies",), "policies_text", split_text, join_text, omit=is_empty),
        Column(("device", "clientIP"), "ip_address", omit=is_none),
        Column(("device", "userAgent"), "user_agent", omit=is_empty),
        Column(("device", "countryCode"), "country", omit=is_none),
        Column(("device", "tags"), "device_tags_text", split_text, join_text, omit=is_empty),
        Column(("location", "organizationSearchable"), "organization", omit=is_none),
        Column(
            ("location", "category"),
            "ip_category",
            out=lambda value: value or 0,
            into=lambda value: value or None,
        ),
        Column(("location", "ipTags"), "ip_tags_text", split_text, join_text, omit=is_empty),
        Column(("user", "userName"), "user_name", omit=is_none),
        Column(("user", "userTags"), "user_tags_text", split_text, join_text),
        Column(("user", "orgUnit"), "user_org_unit", omit=is_none),
        Column(("userAgent", "deviceType"), "device_type", omit=is_none),
        Column(("userAgent", "tags"), "user_agent_tags_text", split_text, join_text),
        Column(("mainInfo", "rawOperationName"), "action_type", omit=is_empty),
        Column(("eventRouting", "adminEvent"), "is_admin", omit=lambda value: not value),
    ],
    same=[
        Same(("uid",), ("_id",)),
        Same(("saasId",), ("appId",)),
        Same(("timestampRaw",), ("timestamp",)),
        Same(("createdRaw",), ("created",)),
        Same(("location", "countryCode"), ("device", "countryCode")),
    ],
    computed=[
        Computed(
            ("location", "categoryValue"),
            lambda row, tenant: IP_CATEGORY_VALUES.get(row.ip_category or 0, "NONE"),
        ),
    ],
    # The tenant's keys: put in front of the stored record when it is served.
    ignored=[("tenantId",), ("aadTenantId",)],
)


def json_text(record: dict[str, Any]) -> str:
    """JSON text as the API writes it (DRF's renderer: compact, UTF-8, no NaN)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _derived_activity_columns(activity: Activity, document: dict[str, Any]) -> None:
    """The filter columns a record implies without holding them at one path: the user's
    domain, the acting entity's key, the objects it acted on, the file it names (as the
    files list's `id`, `<site>|<item>`), its Office 365 address, the alert it handled."""
    if activity.user_name and "@" in activity.user_name and not activity.user_domain:
        activity.user_domain = activity.user_name.rsplit("@", 1)[1]
    actor = document.get("resolvedActor") or {}
    if actor.get("id") and not activity.entity_key:
        activity.entity_key = f"{actor['id']}:{actor.get('instanceId', 0)}"
    main = document.get("mainInfo") or {}
    objects = [o.get("id") for o in main.get("eventObjects") or [] if isinstance(o, dict)]
    activity.object_ids_text = activity.object_ids_text or join_text(
        [i for i in objects if isinstance(i, str) and i]
    )
    raw = document.get("rawDataJson") or {}
    site, item = raw.get("Site"), raw.get("ListItemUniqueId")
    if isinstance(site, str) and isinstance(item, str) and not activity.file_id:
        activity.file_id = f"{site}|{item}"
    target = raw.get("ObjectId")
    if isinstance(target, str) and target.startswith("https://") and not activity.office365_url:
        activity.office365_url = target[:500]
    handled = (document.get("adallom") or {}).get("alertMongoId")
    if isinstance(handled, str) and not activity.alert_ids_text:
        activity.alert_ids_text = join_text([handled])


def activity_from_record(record: dict[str, Any], **columns: Any) -> Activity:
    """An unsaved activity storing `record` (as an app's connector delivers it; the tenant
    and the entity are the caller's): the filter columns it holds and implies, and the
    record itself as the JSON text the API serves (`Activity.record`): an activity never
    changes once stored, so it is written once, here, and served without being decoded."""
    values, document = ACTIVITY.split(record)
    activity = Activity(**values, **columns)
    _derived_activity_columns(activity, document)
    return with_record(activity, document)


def with_record(activity: Activity, document: dict[str, Any] | None = None) -> Activity:
    """The activity with its served record written from its columns and the rest of the
    record (`document`): the one place that text is made."""
    activity.record = json_text(ACTIVITY.show(activity, document=document or {}))
    return activity


def activity_prefix(tenant) -> str:
    """The opening of each of the tenant's served activities: `{` and the tenant's keys,
    which the stored record leaves out (the directory's id may change)."""
    keys = {"tenantId": tenant.pk, "aadTenantId": _tenant_directory(tenant)}
    return json_text(keys)[:-1] + ","


def activity_text(stored: str, prefix: str) -> str:
    """A stored record as served, given the tenant's `activity_prefix`."""
    return prefix + stored[1:]


def activity_data(activity: Activity, tenant) -> dict[str, Any]:
    return json.loads(activity_text(activity.record, activity_prefix(tenant)))


# --- alerts (RECORDS 3) --------------------------------------------------------------------------


def _alert_closed(row: Alert) -> bool:
    return row.resolution_status != 0


def _portal_alert_url(row: Alert, tenant) -> str:
    """The alert's page on the portal, as real alerts link to theirs."""
    return route_url(tenant.custom_url, "security:alert", pk=row.public_id)


ALERT = Shape(
    columns=[
        Column(("_id",), "public_id"),
        Column(("timestamp",), "timestamp", to_ms, from_ms),
        Column(("title",), "title"),
        Column(("description",), "description"),
        Column(("entities",), "entities"),
        Column(("stories",), "stories"),
        Column(("intent",), "intent"),
        Column(("threatScore",), "threat_score"),
        Column(("isSystemAlert",), "is_system"),
        Column(("isPreview",), "is_preview", omit=is_none),
        Column(("idValue",), "id_value"),
        Column(("statusValue",), "status"),
        Column(("severityValue",), "severity"),
        Column(("resolutionStatusValue",), "resolution_status"),
        Column(("resolveTime",), "resolution_date", to_iso, from_iso, omit=is_none),
    ],
    computed=[
        Computed(("contextId",), lambda row, tenant: _tenant_directory(tenant)),
        # Absent while the alert is open, as on real alerts (a client tells open alerts by
        # the absence of resolveTime).
        Computed(
            ("handledByUser",),
            lambda row, tenant: (row.handled_by or None) if _alert_closed(row) else OMIT,
        ),
        Computed(("comment",), lambda row, tenant: row.comment if _alert_closed(row) else OMIT),
        Computed(("URL",), _portal_alert_url),
    ],
    # A public integration adds is_open to the alerts it prints; no tenant answers it.
    ignored=[("is_open",)],
)


def alert_from_record(record: dict[str, Any], **columns: Any) -> Alert:
    values, document = ALERT.split(record)
    closed = record.get("resolveTime") is not None
    return Alert(
        **values,
        handled_by=_none_to_empty(record.get("handledByUser")) if closed else "",
        comment=_none_to_empty(record.get("comment")) if closed else "",
        document=document,
        **columns,
    )


def alert_data(alert: Alert, tenant) -> dict[str, Any]:
    return ALERT.show(alert, tenant)


# --- entities (RECORDS 4) ------------------------------------------------------------------------


def entity_key(entity: Entity) -> dict[str, Any]:
    return {"id": entity.entity_id, "saas": entity.saas, "inst": entity.inst}


def _ii(entity: Entity) -> str:
    return f"{entity.saas}|{entity.inst}|{entity.entity_id}"


def _aliases(entity: Entity) -> list[str]:
    names = [entity.entity_id.lower(), entity.display_name.lower()]
    if entity.email:
        names += [entity.email.lower(), entity.email.split("@")[0].lower()]
    return list(dict.fromkeys(names))


def account_data(account: Entity, user: Entity) -> dict[str, Any]:
    """One of a user's accounts, in the abbreviated keys of a user record's `accounts`."""
    return {
        "_id": f"fa-{user.public_id}-{account.saas}",
        "i": account.entity_id,
        "ii": _ii(user),
        "p": _ii(user),
        "inst": account.inst,
        "saas": account.saas,
        "t": account.type,
        "dn": account.display_name,
        "ext": bool(account.is_external),
        "s": account.status,
        "aliases": _aliases(account),
        "isFake": bool(account.document.get("isFake", False)),
        "pa": account.email or None,
        "em": account.email or None,
        "sublst": [],
        "appData": {"appId": account.saas, "name": app_name(account.saas)},
        "actions": account.document.get("actions", []),
    }


def _accounts(row: Entity, tenant) -> Any:
    if row.type != ENTITY_TYPE_USER:
        return OMIT
    return [account_data(account, row) for account in row.accounts.all()]


ENTITY = Shape(
    columns=[
        Column(("_id",), "public_id"),
        Column(("id",), "entity_id"),
        Column(("type",), "type"),
        Column(("idType",), "id_type"),
        Column(("status",), "status"),
        Column(("displayName",), "display_name"),
        Column(("userGroups",), "user_groups"),
        Column(("isAdmin",), "is_admin"),
        Column(("isExternal",), "is_external"),
        Column(("email",), "email", _empty_to_none, _none_to_empty),
        Column(("role",), "role", _empty_to_none, _none_to_empty),
        Column(("domain",), "domain", _empty_to_none, _none_to_empty),
        Column(("organization",), "organization", _empty_to_none, _none_to_empty),
        Column(("lastSeen",), "last_seen", to_iso, from_iso),
        Column(("threatScore",), "threat_score"),
    ],
    computed=[
        # The pk serialised, as real records carry it (Python json.dumps spacing).
        Computed(("username",), lambda row, tenant: json.dumps(entity_key(row))),
        Computed(("ii",), lambda row, tenant: _ii(row)),
        Computed(
            ("appData",),
            lambda row, tenant: {
                "appId": row.saas,
                "name": app_name(row.saas),
                "saas": row.saas,
                "instance": row.inst,
            },
        ),
        Computed(("accounts",), _accounts),
    ],
)


def entity_from_record(record: dict[str, Any], **columns: Any) -> Entity:
    """An unsaved entity storing `record`; `saas`/`inst` come from its `appData` (a user's
    `accounts` are rows of their own, made by the caller with `parent`)."""
    values, document = ENTITY.split(record)
    app = record.get("appData") or {}
    return Entity(
        **values,
        saas=app.get("saas", app.get("appId", 11161)),
        inst=app.get("instance", 0),
        document=document,
        **columns,
    )


def entity_data(entity: Entity) -> dict[str, Any]:
    return ENTITY.show(entity)


# --- files (RECORDS 5) ---------------------------------------------------------------------------


def _file_status(row: File) -> int:
    if row.deleted:
        return FileStatus.DELETED
    return FileStatus.TRASHED if row.trashed else FileStatus.EXISTS


FILE = Shape(
    columns=[
        Column(("_id",), "public_id"),
        Column(("id",), "file_id"),
        Column(("appId",), "service"),
        Column(("instId",), "instance"),
        Column(("appName",), "app_name"),
        Column(("name",), "name"),
        Column(("fileExtension",), "extension"),
        Column(("mimeType",), "mime_type"),
        Column(("fileSize",), "size"),
        Column(("ftype",), "file_type"),
        Column(("facl",), "sharing"),
        Column(("isFolder",), "folder"),
        Column(("createdDate",), "created_date", to_ms, from_ms),
        Column(("modifiedDate",), "modified_date", to_ms, from_ms),
        Column(("snapshotLastModifiedDate",), "snapshot_last_modified", to_iso, from_iso, is_none),
        Column(("ownerName",), "owner_name"),
        Column(("ownerAddress",), "owner_address"),
        Column(("domains",), "collaborator_domains_text", split_text, join_text),
        Column(("groups",), "collaborator_groups_text", split_text, join_text),
        Column(("parentId",), "parent_folder", omit=is_empty),
        Column(("fTags",), "labels_text", split_text, join_text),
        # KEYS_OF_OUR_CHOOSING: RECORDS.md names the filters, not the keys they read.
        Column(("fileScanLabels",), "scan_labels_text", split_text, join_text, omit=is_empty),
        Column(("policies",), "policies_text", split_text, join_text, omit=is_empty),
        Column(("ownerOrgUnit",), "owner_org_unit", omit=is_empty),
        Column(("quarantined",), "quarantined", omit=lambda value: not value),
    ],
    same=[Same(("originalId",), ("_id",)), Same(("saasId",), ("appId",))],
    computed=[
        Computed(("_tid",), lambda row, tenant: row.tenant_id),
        Computed(("name_l",), lambda row, tenant: row.name.lower()),
        Computed(("fileType",), lambda row, tenant: pair(FileType, row.file_type)),
        Computed(("fileTypeDisplay",), lambda row, tenant: "Folder" if row.folder else "File"),
        Computed(("fileAccessLevel",), lambda row, tenant: pair(AccessLevel, row.sharing)),
        Computed(("fileStatus",), lambda row, tenant: pair(FileStatus, _file_status(row))),
        Computed(("fstat",), lambda row, tenant: int(_file_status(row))),
    ],
)


def file_from_record(record: dict[str, Any], **columns: Any) -> File:
    values, document = FILE.split(record)
    status = (record.get("fileStatus") or [record.get("fstat", 0)])[0]
    return File(
        **values,
        trashed=status == FileStatus.TRASHED,
        deleted=status == FileStatus.DELETED,
        document=document,
        **columns,
    )


def file_data(file: File) -> dict[str, Any]:
    return FILE.show(file)


# --- IP ranges and tags (RECORDS 6) --------------------------------------------------------------


def builtin_tag_data(tag_id: str, tenant) -> dict[str, Any]:
    """A built-in tag as the docs' sample shows one; its `_id` is fixed per tenant."""
    name = BUILTIN_IP_TAGS[tag_id]
    template = "SAGE_BUILTIN_TAG_" + "".join(c if c.isalnum() else "_" for c in name.upper())
    return {
        "_id": _tenant_object_id(tenant, tag_id),
        "id": tag_id,
        "_tid": tenant.pk,
        "name": name,
        "nameTemplate": {"template": template + "_NAME"},
        "description": "",
        "descriptionTemplate": {"template": template + "_DESCRIPTION"},
        "target": TAG_TARGET_IP,
        "type": TAG_TYPE_BUILT_IN,
        "status": 0,
        "visibility": 0,
    }


def custom_tag_data(tag, tenant) -> dict[str, Any]:
    """A tag made from a name, as real tenants answer one (RECORDS 6.2)."""
    return {
        "_id": tag.public_id,
        "_tid": tenant.pk,
        "name": tag.name,
        "target": TAG_TARGET_IP,
        "type": TAG_TYPE_CUSTOM,
        "id": tag.tag_id,
        "status": 0,
    }


def _tenant_object_id(tenant, key: str) -> str:
    import hashlib

    return hashlib.sha256(f"{tenant.public_id}:{key}".encode()).hexdigest()[:24]


def subnet_entry(cidr: str) -> dict[str, Any]:
    """One range as real tenants store it: IPv4 as an IPv4-mapped IPv6 network; a bare
    address is a /32 (mask 128) and keeps its original string."""
    import ipaddress

    network = ipaddress.ip_network(cidr, strict=False)
    if network.version == 4:
        address = int(ipaddress.IPv6Address(f"::ffff:{network.network_address}"))
        mask = network.prefixlen + 96
    else:
        address, mask = int(network.network_address), network.prefixlen
    # Eight groups of four hex digits, also for IPv4-mapped addresses (which Python's
    # `exploded` writes with a dotted tail).
    groups = ":".join(f"{(address >> (16 * (7 - i))) & 0xFFFF:04x}" for i in range(8))
    return {"mask": mask, "address": groups, "originalString": cidr}


def subnet_data(subnet: Subnet, tenant, custom_tags: dict[str, Any]) -> dict[str, Any]:
    """`custom_tags`: the tenant's custom tags by id (security.services.tags_by_id)."""
    tags = []
    for tag_id in subnet.tags:
        if tag_id in BUILTIN_IP_TAGS:
            tags.append(builtin_tag_data(tag_id, tenant))
        elif tag_id in custom_tags:
            tags.append(custom_tag_data(custom_tags[tag_id], tenant))
    return {
        "_id": subnet.public_id,
        "name": subnet.name,
        "subnets": [subnet_entry(cidr) for cidr in subnet.subnets],
        "location": None,
        "organization": subnet.organization or None,
        "tags": tags,
        "category": subnet.category,
        "lastModified": to_float_ms(subnet.last_modified),
        "_tid": tenant.pk,
    }
