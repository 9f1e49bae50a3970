"""The Defender for Cloud Apps compatible data API, one module a resource: thin views over
security/listing.py (fields, sorts), security/records.py and security/presenters.py (shapes),
security/cursors.py (scan cursors, entity keys), security/filters.py (the list language) and
security/services.py (every change). Each view says which capability each method needs; a
token carries its issuer's capabilities and an Entra token those it was granted, checked at
request time."""

from security.api.activities import ActivityDetailApi, ActivityFeedbackApi, ActivityListApi
from security.api.alerts import AlertCloseApi, AlertDetailApi, AlertListApi, AlertMarkApi
from security.api.discovery import (
    DiscoveryBlockScriptApi,
    DiscoveryCategoriesApi,
    DiscoveryDoneUploadApi,
    DiscoveryStreamsApi,
    DiscoveryUploadListApi,
    DiscoveryUploadUrlApi,
    discovery_upload_put,
)
from security.api.entities import EntityDetailApi, EntityListApi, EntityTreeApi
from security.api.files import FileDetailApi, FileListApi
from security.api.subnets import SubnetCreateApi, SubnetDetailApi, SubnetListApi, SubnetUpdateApi

__all__ = [
    "ActivityDetailApi",
    "ActivityFeedbackApi",
    "ActivityListApi",
    "AlertCloseApi",
    "AlertDetailApi",
    "AlertListApi",
    "AlertMarkApi",
    "DiscoveryBlockScriptApi",
    "DiscoveryCategoriesApi",
    "DiscoveryDoneUploadApi",
    "DiscoveryStreamsApi",
    "DiscoveryUploadListApi",
    "DiscoveryUploadUrlApi",
    "EntityDetailApi",
    "EntityListApi",
    "EntityTreeApi",
    "FileDetailApi",
    "FileListApi",
    "SubnetCreateApi",
    "SubnetDetailApi",
    "SubnetListApi",
    "SubnetUpdateApi",
    "discovery_upload_put",
]
