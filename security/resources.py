"""Per resource: the filter fields the reference lists (section 5), the sort fields (2.1), and
the JSON shape of one record (the reference's samples where it has them)."""

import base64
import binascii
import hashlib
import ipaddress
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q

from core.inputs import InputError, check_tree, parse_int
from security.filters import (
    MAX_MS,
    Field,
    FilterError,
    boolean_value,
    datetime_to_ms,
    entity_key,
    integer_value,
    spec,
    value_list,
)
from security.models import Activity, Alert, DataSource, DiscoveryUpload, Entity, File, Subnet

EQ = ("eq", "neq")
SET = ("isset", "isnotset")
DATES = ("lte", "gte", "range", "lte_ndays", "gte_ndays")


def _alert_open(operator: str, value: Any, where: str) -> Q:
    is_open = Q(resolution_status=0)
    return is_open if boolean_value(value, where) else ~is_open


def _alert_read(operator: str, value: Any, where: str) -> Q:
    unread = Q(status=0)
    return ~unread if boolean_value(value, where) else unread


def _activity_source(operator: str, value: Any, where: str) -> Q:
    """Source types as numbers or `t:<type>` strings; `s:<stream id>` names a discovery
    stream, which no activity here comes from."""
    types = []
    for item in value_list(value, where):
        if isinstance(item, str) and item.startswith(("t:", "s:")):
            if item.startswith("s:"):
                continue
            item = item[2:]
        types.append(integer_value(item, where))
    matched = Q(source__in=types)
    return matched if operator == "eq" else ~matched


def _loose_boolean(value: Any, where: str) -> bool:
    # isAdmin is typed string in the reference but is a flag.
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return boolean_value(value, where)


def _entity_is_admin(operator: str, value: Any, where: str) -> Q:
    return Q(is_admin=_loose_boolean(value, where))


def _entity_is_external(operator: str, value: Any, where: str) -> Q:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        return Q(is_external__isnull=True)
    return Q(is_external=boolean_value(value, where))


def _entity_entity(operator: str, value: Any, where: str) -> Q:
    """The given entities; a user brings their accounts along."""
    matched = Q()
    for item in value_list(value, where):
        entity_id, inst = entity_key(item, where).rsplit(":", 1)
        matched |= Q(entity_id=entity_id, inst=int(inst)) | Q(
            parent__entity_id=entity_id, parent__inst=int(inst)
        )
    return matched if operator == "eq" else ~matched


def _files_allow_deleted(operator: str, value: Any, where: str) -> Q:
    # Applied by the files list itself: deleted files are left out unless this says true.
    boolean_value(value, where)
    return Q()


ALERT_FIELDS: dict[str, Field] = {
    "entity.entity": spec("entity_ids_text", "entities", *EQ),
    "entity.ip": spec("ips_text", "multi", *EQ),
    "entity.service": spec("services_text", "multi", *EQ, value_kind="int"),
    "entity.instance": spec("instances_text", "multi", *EQ),
    "entity.policy": spec("policies_text", "multi", *EQ),
    "entity.file": spec("files_text", "multi", *EQ),
    "alertOpen": spec("resolution_status", "bool", "eq", custom=_alert_open),
    "severity": spec("severity", "int", *EQ),
    "resolutionStatus": spec("resolution_status", "int", *EQ),
    "read": spec("status", "bool", "eq", custom=_alert_read),
    "date": spec("timestamp", "time", *DATES),
    "resolutionDate": spec("resolution_date", "time", "lte", "gte", "range"),
    "risk": spec("risk", "int", *EQ),
    "alertType": spec("alert_type", "int", *EQ),
    "id": spec("public_id", "str", *EQ),
    "ID": spec("public_id", "str", *EQ),
    "source": spec("source", "str", "eq"),
}

ACTIVITY_FIELDS: dict[str, Field] = {
    "service": spec("service", "int", *EQ),
    "instance": spec("instance", "int", *EQ),
    "user.orgUnit": spec("user_org_unit", "str", *EQ, *SET),
    "actionType": spec("action_type", "str", "contains", *EQ, *SET),
    "activity.eventActionType": spec("event_action_type", "str", *EQ),
    "activity.id": spec("public_id", "str", "eq"),
    "activity.impersonated": spec("impersonated", "bool", "eq"),
    "activity.type": spec("is_admin", "bool", "eq"),
    "activity.takenAction": spec("taken_action", "str", *EQ),
    "device.type": spec("device_type", "str", *EQ),
    "device.tags": spec("device_tags_text", "multi", *EQ),
    "userAgent.userAgent": spec("user_agent", "str", "contains", "ncontains"),
    "userAgent.tags": spec("user_agent_tags_text", "multi", *EQ),
    "location.country": spec("country", "str", *EQ, *SET),
    "location.organizations": spec("organization", "str", *EQ, *SET, "contains"),
    "ip.address": spec("ip_address", "str", *EQ, "startswith", "doesnotstartwith", *SET),
    "ip.category": spec("ip_category", "int", *EQ),
    "ip.tags": spec("ip_tags_text", "multi", *EQ),
    "fileSelector": spec("file_id", "str", *EQ),
    "fileId": spec("file_id", "str", "eq"),
    "office365url": spec("office365_url", "str", "startswith", "eq", "endswith"),
    "text": spec(
        "description",
        "str",
        "eq",
        "startswithsingle",
        "text",
        text_columns=("description", "user_name", "action_type", "app_name", "ip_address"),
    ),
    "date": spec("timestamp", "time", *DATES),
    "created": spec("created", "time", "lte", "gte", "range", "gt", "lt", "eq"),
    "policy": spec("policies_text", "multi", *EQ, *SET),
    "source": spec("source", "int", *EQ, custom=_activity_source),
    "activity.alertId": spec("alert_ids_text", "multi", "eq"),
    "activityObject": spec("object_ids_text", "multi", *EQ),
    "entity": spec("entity_key", "entity", *EQ, *SET),
    "user.username": spec("user_name", "str", *EQ, *SET, "startswith"),
    "user.tags": spec("user_tags_text", "multi", *EQ, *SET),
    "user.domain": spec("user_domain", "str", *EQ, *SET),
}

ENTITY_FIELDS: dict[str, Field] = {
    "type": spec("type", "str", *EQ),
    "isAdmin": spec("is_admin", "bool", "eq", custom=_entity_is_admin),
    "entity": spec("entity_id", "entity", *EQ, custom=_entity_entity),
    "userGroups": spec("user_groups_text", "multi", *EQ),
    "app": spec("saas", "int", *EQ),
    "instance": spec("inst", "int", *EQ),
    "isExternal": spec("is_external", "bool", "eq", custom=_entity_is_external),
    "domain": spec("domain", "str", *EQ, *SET),
    "organization": spec("organization", "str", *EQ, *SET),
    "status": spec("status", "int", *EQ),
}

FILE_FIELDS: dict[str, Field] = {
    "service": spec("service", "int", *EQ),
    "instance": spec("instance", "int", *EQ),
    "fileType": spec("file_type", "int", *EQ),
    "allowDeleted": spec("deleted", "bool", "eq", custom=_files_allow_deleted),
    "policy": spec("policies_text", "multi", "cabinetmatchedrulesequals", "neq", *SET),
    "filename": spec("name", "str", "eq"),
    "modifiedDate": spec("modified_date", "time", *DATES),
    "createdDate": spec("created_date", "time", "lte", "gte", "range"),
    "collaborators.entity": spec("collaborator_entities_text", "entities", *EQ),
    "collaborators.domains": spec("collaborator_domains_text", "multi", *EQ),
    "collaborators.groups": spec("collaborator_groups_text", "multi", *EQ),
    "collaborators.withDomain": spec("collaborator_domains_text", "multi", *EQ),
    "owner.entity": spec("owner_key", "entity", *EQ),
    "owner.orgUnit": spec("owner_org_unit", "str", *EQ),
    "sharing": spec("sharing", "int", *EQ),
    "fileId": spec("file_id", "str", *EQ),
    "fileLabels": spec("labels_text", "multi", *EQ, *SET),
    "fileScanLabels": spec("scan_labels_text", "multi", *EQ, *SET),
    "extension": spec("extension", "str", *EQ),
    "mimeType": spec("mime_type", "str", *EQ),
    "trashed": spec("trashed", "bool", "eq"),
    "parentFolder": spec("parent_folder", "str", *EQ),
    "folder": spec("folder", "bool", "eq"),
    "quarantined": spec("quarantined", "bool", "eq"),
    "snapshotLastModifiedDate": spec("snapshot_last_modified", "time", "lte", "gte", "range"),
}

SUBNET_FIELDS: dict[str, Field] = {
    "category": spec("category", "int", *EQ),
    "tags": spec("tags_text", "multi", *EQ),
    "builtIn": spec("built_in", "bool", "eq"),
}

# sortField -> columns to order by (ascending); the id breaks ties so pages never overlap.
ALERT_SORTS = {"date": ("timestamp", "id"), "severity": ("severity", "timestamp", "id")}
ACTIVITY_SORTS = {"date": ("timestamp", "id"), "created": ("created", "id")}
ENTITY_SORTS = {"date": ("last_seen", "id"), "severity": ("threat_score", "id")}
FILE_SORTS = {"modifiedDate": ("modified_date", "id"), "createdDate": ("created_date", "id")}
SUBNET_SORTS = {"category": ("category", "id"), "tags": ("tags_text", "id"), "name": ("name",)}


def ordering(sorts: dict, sort_field: str | None, direction: str | None, default: tuple) -> list:
    """ORDER BY for a list: the named sort (ascending unless told), or the resource's
    default (field, direction)."""
    if sort_field is None:
        sort_field, default_direction = default
        direction = direction or default_direction
    elif sort_field not in sorts:
        raise FilterError(
            f"sortField '{sort_field}' is not one of " + ", ".join(sorted(sorts))
            if sorts
            else "this list cannot be sorted"
        )
    prefix = "-" if (direction or "asc") == "desc" else ""
    return [prefix + column for column in sorts[sort_field]]


# --- scan mode ---------------------------------------------------------------------------------

# The filter field that scan mode's nextQueryFilters adds: where the previous step stopped.
SCAN_CURSOR = "scanCursor"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def scan_cursor(activity: Activity) -> str:
    """`{microseconds}_{id}` of the last row returned: exact, unlike milliseconds."""
    micros = (activity.timestamp - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{activity.pk}"


def _cursor_part(text: str) -> int | None:
    """A non-negative number of ASCII digits, as scan_cursor writes them."""
    if not (text.isascii() and text.isdigit()):
        return None
    return parse_int(text)


def scan_resume_q(cursor: Any, descending: bool) -> Q:
    """Rows after the cursor in scan order. The first condition alone bounds an index range;
    the second only sorts out the rows that share the cursor's time."""
    where = f"filters.{SCAN_CURSOR}"
    if (
        not isinstance(cursor, dict)
        or set(cursor) != {"after"}
        or not isinstance(cursor["after"], str)
    ):
        raise FilterError(f'{where} must be {{"after": "<cursor>"}} as nextQueryFilters gave it')
    micros, _, pk = cursor["after"].partition("_")
    micros_value, pk_value = _cursor_part(micros), _cursor_part(pk)
    if micros_value is None or pk_value is None or micros_value > MAX_MS * 1000:
        raise FilterError(f"{where}.after is not a cursor this API made")
    at = _EPOCH + timedelta(microseconds=micros_value)
    if descending:
        return Q(timestamp__lte=at) & (Q(timestamp__lt=at) | Q(timestamp=at, pk__lt=pk_value))
    return Q(timestamp__gte=at) & (Q(timestamp__gt=at) | Q(timestamp=at, pk__gt=pk_value))


# --- records as the API shows them ---------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [part for part in text.split("|") if part]


def iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def alert_data(alert: Alert, tenant) -> dict:
    return {
        "_id": alert.public_id,
        "contextId": str(tenant.public_id),
        "timestamp": datetime_to_ms(alert.timestamp),
        "title": alert.title,
        "description": alert.description,
        "isMarkdown": False,
        "entities": alert.entities,
        "idValue": alert.id_value,
        "isSystemAlert": alert.is_system,
        "isPreview": alert.is_preview,
        "statusValue": alert.status,
        "severityValue": alert.severity,
        "resolutionStatusValue": alert.resolution_status,
        "stories": alert.stories,
        "intent": alert.intent,
        "evidence": [],
        "threatScore": alert.threat_score,
        "comment": alert.comment,
        "handledByUser": alert.handled_by or None,
        "resolveTime": iso(alert.resolution_date),
        "URL": f"{tenant.custom_url}/api/v1/alerts/{alert.public_id}/",
    }


def entity_ref(entity: Entity | None) -> dict | None:
    if entity is None:
        return None
    return {
        "id": entity.entity_id,
        "saas": entity.saas,
        "inst": entity.inst,
        "label": entity.display_name,
    }


def activity_data(activity: Activity, tenant) -> dict:
    return {
        "_id": activity.public_id,
        "tenantId": tenant.pk,
        "timestamp": datetime_to_ms(activity.timestamp),
        "created": datetime_to_ms(activity.created),
        "appId": activity.service,
        "appName": activity.app_name,
        "instance": activity.instance,
        "description": activity.description,
        "actionType": activity.action_type,
        "eventTypeName": activity.event_action_type,
        "adminEvent": activity.is_admin,
        "impersonated": activity.impersonated,
        "takenAction": activity.taken_action,
        "device": {
            "clientIP": activity.ip_address,
            "userAgent": activity.user_agent,
            "deviceType": activity.device_type,
            "tags": _split(activity.device_tags_text),
            "userAgentTags": _split(activity.user_agent_tags_text),
        },
        "location": {
            "countryCode": activity.country,
            "organizationSearchable": activity.organization,
            "category": activity.ip_category,
            "ipTags": _split(activity.ip_tags_text),
        },
        "user": {
            "userName": activity.user_name,
            "userDomain": activity.user_domain,
            "orgUnit": activity.user_org_unit,
            "userTags": _split(activity.user_tags_text),
        },
        "entity": entity_ref(activity.entity) if activity.entity_id else None,
        "policies": _split(activity.policies_text),
        "source": activity.source,
        "alertIds": _split(activity.alert_ids_text),
        "objectIds": _split(activity.object_ids_text),
        "fileId": activity.file_id,
        "office365Url": activity.office365_url,
        "feedback": activity.feedback or None,
    }


def entity_pk(entity: Entity) -> str:
    """The entity's `pk` in URLs: base64 of {"id", "saas", "inst"}, as in the reference."""
    key = json.dumps({"id": entity.entity_id, "saas": entity.saas, "inst": entity.inst})
    return base64.b64encode(key.encode()).decode("ascii")


def parse_entity_pk(pk: str) -> dict | None:
    """{"id", "saas", "inst"} from a base64 pk (standard or URL-safe, padded or not), or None."""
    padded = pk + "=" * (-len(pk) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = check_tree(json.loads(decode(padded.encode("ascii"))), "pk")
        except (binascii.Error, ValueError, UnicodeError, RecursionError, InputError):
            continue
        if (
            isinstance(key, dict)
            and isinstance(key.get("id"), str)
            and all(
                isinstance(key.get(k, 0), int) and not isinstance(key.get(k, 0), bool)
                for k in ("saas", "inst")
            )
        ):
            return {"id": key["id"], "saas": key.get("saas"), "inst": key.get("inst", 0)}
    return None


def entity_data(entity: Entity) -> dict:
    return {
        "_id": entity_pk(entity),
        "id": entity.entity_id,
        "saas": entity.saas,
        "inst": entity.inst,
        "type": entity.type,
        "displayName": entity.display_name,
        "email": entity.email or None,
        "domain": entity.domain or None,
        "organization": entity.organization or None,
        "isAdmin": entity.is_admin,
        "isExternal": entity.is_external,
        "status": entity.status,
        "userGroups": entity.user_groups,
        "threatScore": entity.threat_score,
        "lastSeen": datetime_to_ms(entity.last_seen),
    }


def file_data(file: File) -> dict:
    return {
        "_id": file.public_id,
        "fileId": file.file_id,
        "name": file.name,
        "extension": file.extension,
        "mimeType": file.mime_type,
        "fileType": file.file_type,
        "appId": file.service,
        "appName": file.app_name,
        "instance": file.instance,
        "size": file.size,
        "owner": entity_ref(file.owner) if file.owner_id else None,
        "ownerOrgUnit": file.owner_org_unit or None,
        "sharing": file.sharing,
        "createdDate": datetime_to_ms(file.created_date),
        "modifiedDate": datetime_to_ms(file.modified_date),
        "snapshotLastModifiedDate": datetime_to_ms(file.snapshot_last_modified),
        "trashed": file.trashed,
        "deleted": file.deleted,
        "quarantined": file.quarantined,
        "isFolder": file.folder,
        "parentId": file.parent_folder or None,
        "collaborators": {
            "entities": _split(file.collaborator_entities_text),
            "domains": _split(file.collaborator_domains_text),
            "groups": _split(file.collaborator_groups_text),
        },
        "fileLabels": _split(file.labels_text),
        "fileScanLabels": _split(file.scan_labels_text),
        "policies": _split(file.policies_text),
    }


def tag_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:24]


def subnet_entry(cidr: str) -> dict:
    """One range as the original stores it: IPv4 as an IPv4-mapped IPv6 network."""
    network = ipaddress.ip_network(cidr, strict=False)
    if network.version == 4:
        mapped = ipaddress.IPv6Address(f"::ffff:{network.network_address}")
        address, mask = mapped, network.prefixlen + 96
    else:
        address, mask = network.network_address, network.prefixlen
    # Eight groups of four hex digits, also for IPv4-mapped addresses (which Python's
    # `exploded` writes with a dotted tail).
    groups = ":".join(f"{(int(address) >> (16 * (7 - i))) & 0xFFFF:04x}" for i in range(8))
    return {"mask": mask, "address": groups, "originalString": cidr}


def subnet_data(subnet: Subnet, tenant) -> dict:
    return {
        "_id": subnet.public_id,
        "name": subnet.name,
        "subnets": [subnet_entry(cidr) for cidr in subnet.subnets],
        "location": None,
        "organization": subnet.organization or None,
        "tags": [
            {
                "_id": tag_id(tag),
                "id": tag_id(tag),
                "name": tag,
                "nameTemplate": {"template": tag},
                "description": "",
                "descriptionTemplate": {"template": ""},
                "target": 1,
                "type": 2,
                "visibility": 0,
                "status": 0,
                "_tid": tenant.pk,
            }
            for tag in subnet.tags
        ],
        "category": subnet.category,
        "lastModified": datetime_to_ms(subnet.last_modified),
        "builtIn": subnet.built_in,
        "_tid": tenant.pk,
    }


def stream_data(source: DataSource) -> dict:
    return {
        "_id": source.public_id,
        "displayName": source.name,
        "logType": source.log_type,
        "receiverType": source.receiver_type,
        "protocol": source.protocol or None,
        "streamType": 1,
        "isManual": True,
        "anonymizeUsers": source.anonymize_users,
        "created": iso(source.created),
        "lastModified": iso(source.last_modified),
        "lastDataReceived": iso(source.last_data_received),
        "logFilesHistoryCount": source.uploads.count(),
        "supportedEntityTypes": [1, 2],
        "supportedTrafficTypes": [1],
        "globalAggregated": True,
        "timeFrames": {},
        "timeFrames2": {},
        "validTimeFrames": [],
        "validTimeFrames2": [],
        "readTimeFramesFromSecond": True,
        "timeWithoutLogs": 0,
        "lastAlertProcessingTime": datetime_to_ms(source.last_data_received) or 0,
        "logFilesFailsCount": 0,
        "currentServicesCollectionName": "discovery_services",
        "sourceStreams": [],
    }


def upload_data(upload: DiscoveryUpload) -> dict:
    return {
        "_id": upload.public_id,
        "filename": upload.filename,
        "source": upload.source,
        "status": upload.status,
        "statusLabel": upload.get_status_display(),
        "size": upload.size,
        "sha256": upload.sha256 or None,
        "inputStreamName": upload.data_source.name if upload.data_source is not None else None,
        "uploadAsSnapshot": upload.as_snapshot,
        "requestedBy": upload.requested_by.username if upload.requested_by is not None else None,
        "created": datetime_to_ms(upload.created),
        "receivedAt": datetime_to_ms(upload.received_at),
        "doneAt": datetime_to_ms(upload.done_at),
    }
