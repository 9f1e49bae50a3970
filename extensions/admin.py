from django.contrib import admin

from extensions.models import LogCollector, SiemAgent


@admin.register(SiemAgent)
class SiemAgentAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "output_format", "last_seen_at", "events_delivered"]
    list_filter = ["tenant", "output_format"]
    readonly_fields = ["token", "created_by", "created_at", "last_seen_at", "events_delivered"]


@admin.register(LogCollector)
class LogCollectorAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "last_upload_at", "files_received", "bytes_received"]
    list_filter = ["tenant"]
    readonly_fields = [
        "token",
        "created_by",
        "created_at",
        "last_upload_at",
        "files_received",
        "bytes_received",
    ]
    filter_horizontal = ["data_sources"]
