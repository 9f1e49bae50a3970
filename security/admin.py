"""The tenants' records, to look at: they change only through security/services.py (the data
API's closes, feedback, IP ranges and uploads), never by editing a row here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from security.models import (
    Activity,
    Alert,
    DataSource,
    DiscoveredApp,
    DiscoveryUpload,
    Entity,
    File,
    IpTag,
    Subnet,
)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["title", "tenant", "severity", "status", "resolution_status", "timestamp"]
    list_filter = ["tenant", "severity", "resolution_status", "status"]
    search_fields = ["title", "public_id"]
    list_select_related = ["tenant"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "tenant", "app_name", "action_type", "user_name", "ip_address"]
    list_filter = ["tenant", "app_name"]
    search_fields = ["public_id", "user_name", "ip_address"]
    list_select_related = ["tenant"]
    show_full_result_count = False  # months of activities: no COUNT(*) on every page
    raw_id_fields = ["entity"]


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "tenant", "type", "saas", "domain", "status"]
    list_filter = ["tenant", "type", "status"]
    search_fields = ["display_name", "email", "entity_id"]
    raw_id_fields = ["parent"]


@admin.register(File)
class FileAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "app_name", "sharing", "modified_date"]
    list_filter = ["tenant", "sharing", "file_type"]
    search_fields = ["name", "public_id"]
    raw_id_fields = ["owner"]


@admin.register(Subnet)
class SubnetAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "category", "organization", "last_modified"]
    list_filter = ["tenant", "category"]


@admin.register(IpTag)
class IpTagAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "tag_id", "created"]
    list_filter = ["tenant"]


@admin.register(DiscoveredApp)
class DiscoveredAppAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "data_source", "category", "sanction", "last_seen"]
    list_filter = ["tenant", "sanction", "category"]


@admin.register(DataSource)
class DataSourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "log_type", "receiver_type", "last_data_received"]
    list_filter = ["tenant"]


@admin.register(DiscoveryUpload)
class DiscoveryUploadAdmin(ReadOnlyAdmin):
    """Log uploads and where each one is: waiting for its file, received, or queued."""

    list_display = ["filename", "tenant", "source", "status", "size", "data_source", "created"]
    list_filter = ["tenant", "status", "source"]
    readonly_fields = [
        "public_id",
        "filename",
        "source",
        "requested_by",
        "data_source",
        "as_snapshot",
        "status",
        "file",
        "size",
        "sha256",
        "created",
        "expires_at",
        "received_at",
        "done_at",
    ]
    exclude = ["url_digest"]
