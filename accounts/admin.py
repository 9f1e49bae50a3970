from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Tenant, User
from accounts.services import tenant_save, user_deprovision, user_reprovision, user_save


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """Tenants are added and changed through accounts.services; never deleted here (their
    tokens, users and records would go with them: offboarding is not a click)."""

    list_display = ["name", "slug", "region", "entra_tenant_id", "custom_url"]
    search_fields = ["name", "slug"]
    readonly_fields = ["public_id", "created_at"]

    def save_model(self, request, obj, form, change):
        tenant_save(tenant=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users are added and changed through accounts.services (the add form has hashed the
    password already); never deleted: deprovision them, so that their tokens stay listed,
    marked and refused."""

    list_display = ["username", "kind", "tenant", "role", "is_staff", "deprovisioned_at"]
    actions = ["deprovision", "reprovision"]
    # A service account and its custodians are made and changed by the tenant's full admins
    # (accounts/service_accounts.py, on the Users page and the API): shown here, not edited.
    readonly_fields = ["deprovisioned_at", "is_service_account", "custodian_names"]
    list_filter = ["tenant", "is_service_account", "role", "is_staff", "is_active"]
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
                    "is_service_account",
                    "custodian_names",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Tenant", {"fields": ["tenant", "role"]}),
    ]

    def save_model(self, request, obj, form, change):
        user_save(user=obj)

    @admin.display(description="Kind")
    def kind(self, user) -> str:
        if user.is_service_account and not user.has_custodian:
            return "Service account (no custodian)"
        return user.kind_label

    @admin.display(description="Custodians")
    def custodian_names(self, user) -> str:
        if not user.is_service_account:
            return "—"
        names = [
            f"{person.username}{' (deprovisioned)' if person.is_deprovisioned else ''}"
            for person in user.custodians.order_by("username")
        ]
        return ", ".join(names) or "None: name one on the tenant's Users page"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Deprovision selected users (end sessions, refuse their tokens)")
    def deprovision(self, request, queryset):
        done = sum(user_deprovision(user=user) for user in queryset if user.pk != request.user.pk)
        self.message_user(request, f"Deprovisioned {done} user(s).")

    @admin.action(description="Restore selected deprovisioned users")
    def reprovision(self, request, queryset):
        done = sum(user_reprovision(user=user) for user in queryset)
        self.message_user(request, f"Restored {done} user(s).")
