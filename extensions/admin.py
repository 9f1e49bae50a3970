"""SIEM agents and log collectors are added, changed and given new tokens by their tenant's
admins on the portal's pages (extensions/views.py), where the service checks the issuer, the
data sources' tenant and the token. The Django admin shows them and can remove them, through
the same services: deleting one revokes its token."""

from django.contrib import admin

from core.http import origin_of
from extensions.models import LogCollector, SiemAgent
from extensions.services import log_collector_delete, siem_agent_delete


class ThroughServicesAdmin(admin.ModelAdmin):
    def delete_service(self, obj, *, by, origin) -> None:
        raise NotImplementedError

    """View and delete only; Django's delete page and its "delete selected" action both end
    in delete_model / delete_queryset, which call the service."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj):
        self.delete_service(obj, by=request.user, origin=origin_of(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(SiemAgent)
class SiemAgentAdmin(ThroughServicesAdmin):
    list_display = ["name", "tenant", "output_format", "last_seen_at", "events_delivered"]
    list_filter = ["tenant", "output_format"]

    @staticmethod
    def delete_service(agent, *, by, origin):
        siem_agent_delete(agent=agent, by=by, origin=origin)


@admin.register(LogCollector)
class LogCollectorAdmin(ThroughServicesAdmin):
    list_display = ["name", "tenant", "last_upload_at", "files_received", "bytes_received"]
    list_filter = ["tenant"]

    @staticmethod
    def delete_service(collector, *, by, origin):
        log_collector_delete(collector=collector, by=by, origin=origin)
