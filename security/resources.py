"""The data API's resources, by what each part is: security/listing.py (filter fields and
sorts), security/cursors.py (the scan cursor, the entity key) and security/presenters.py (the
JSON shape of each record). This module hands their names on to the views."""

from security.cursors import SCAN_CURSOR, entity_pk, parse_entity_pk, scan_cursor, scan_resume_q
from security.listing import (
    ACTIVITY_FIELDS,
    ACTIVITY_SORTS,
    ALERT_FIELDS,
    ALERT_SORTS,
    ENTITY_FIELDS,
    ENTITY_SORTS,
    FILE_FIELDS,
    FILE_SORTS,
    SUBNET_FIELDS,
    SUBNET_SORTS,
    ordering,
)
from security.presenters import (
    activity_data,
    alert_data,
    entity_data,
    file_data,
    iso,
    stream_data,
    subnet_data,
    subnet_entry,
    upload_data,
)

__all__ = [
    "ACTIVITY_FIELDS",
    "ACTIVITY_SORTS",
    "ALERT_FIELDS",
    "ALERT_SORTS",
    "ENTITY_FIELDS",
    "ENTITY_SORTS",
    "FILE_FIELDS",
    "FILE_SORTS",
    "SCAN_CURSOR",
    "SUBNET_FIELDS",
    "SUBNET_SORTS",
    "activity_data",
    "alert_data",
    "entity_data",
    "entity_pk",
    "file_data",
    "iso",
    "ordering",
    "parse_entity_pk",
    "scan_cursor",
    "scan_resume_q",
    "stream_data",
    "subnet_data",
    "subnet_entry",
    "upload_data",
]
