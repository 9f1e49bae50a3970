from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region", "entra_tenant_id", "custom_url"]
    search_fields = ["name", "slug"]
    readonly_fields = ["public_id", "created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "tenant", "role", "is_staff", "deprovisioned_at"]
    list_filter = ["tenant", "role", "is_staff", "is_active"]
    list_select_related = ["tenant"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Tenant", {"fields": ["tenant", "role", "deprovisioned_at"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Tenant", {"fields": ["tenant", "role"]}),
    ]
