"""Records as the API shows them: the JSON shape of one record per resource (the
reference's samples and the records of real tenants where it has none)."""

import hashlib
import ipaddress

from core.http import route_url
from security.cursors import entity_pk
from security.filters import (
    datetime_to_ms,
)
from security.models import Activity, Alert, DataSource, DiscoveryUpload, Entity, File, Subnet

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
        "URL": route_url(tenant.custom_url, "data:alert", pk=alert.public_id),
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
