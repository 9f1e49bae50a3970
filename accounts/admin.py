from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Tenant, User
from accounts.services import user_deprovision, user_reprovision


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region", "entra_tenant_id", "custom_url"]
    search_fields = ["name", "slug"]
    readonly_fields = ["public_id", "created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "tenant", "role", "is_staff", "deprovisioned_at"]
    actions = ["deprovision", "reprovision"]
    readonly_fields = ["deprovisioned_at"]
    list_filter = ["tenant", "role", "is_staff", "is_active"]
    list_select_related = ["tenant"]
    fieldsets = [
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Tenant",
            {
                "fields": [
                    "tenant",
                    "role",
                    "entra_object_id",
                    "scim_external_id",
                    "deprovisioned_at",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Tenant", {"fields": ["tenant", "role"]}),
    ]

    @admin.action(description="Deprovision selected users (end sessions, refuse their tokens)")
    def deprovision(self, request, queryset):
        done = sum(user_deprovision(user=user) for user in queryset if user.pk != request.user.pk)
        self.message_user(request, f"Deprovisioned {done} user(s).")

    @admin.action(description="Restore selected deprovisioned users")
    def reprovision(self, request, queryset):
        done = sum(user_reprovision(user=user) for user in queryset)
        self.message_user(request, f"Restored {done} user(s).")
