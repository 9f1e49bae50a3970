"""What the Django admin's pages share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin to read: nothing is added, changed or deleted through it (records that the
    tenants' apps report, the token event log: their writes go through their services)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
