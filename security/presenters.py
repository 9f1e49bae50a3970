"""Cloud Discovery's streams and uploads as the API shows them, in the reference's shapes
(alerts, activities, entities, files and IP ranges have the shapes real tenants return:
security/records.py)."""

from security.models import DataSource, DiscoveryUpload
from security.shapes import to_ms

# --- records as the API shows them ---------------------------------------------------------------


def iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


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
        "lastAlertProcessingTime": to_ms(source.last_data_received) or 0,
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
        "created": to_ms(upload.created),
        "receivedAt": to_ms(upload.received_at),
        "doneAt": to_ms(upload.done_at),
    }
