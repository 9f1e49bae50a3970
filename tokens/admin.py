from django.contrib import admin, messages
from django.template.response import TemplateResponse

from tokens.api import NO_STORE
from tokens.models import ApiToken
from tokens.services import token_generate, token_revoke


class RevokedFilter(admin.SimpleListFilter):
    title = "revoked"
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in {"no", "yes"}:
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens of every kind and tenant. Values are never shown but once, on the page that
    follows "Save" of a new token; the digest is never editable; revocation, by the action,
    goes through the service and keeps the row."""

    list_display = [
        "name",
        "kind",
        "tenant",
        "user",
        "status",
        "suffix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["kind", RevokedFilter, "tenant"]
    list_select_related = ["tenant", "user"]
    search_fields = ["name", "user__username", "suffix"]
    actions = ["revoke_selected"]
    fields = [
        "name",
        "kind",
        "tenant",
        "user",
        "suffix",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields[1:]  # only the name can be changed
    add_fields = ["user", "kind", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    @admin.display(ordering="status")
    def status(self, obj: ApiToken) -> str:
        return "Revoked" if obj.revoked_at else obj.status.capitalize()

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row is the audit trail

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            obj.save(update_fields=["name"])
            return
        token, value = token_generate(user=obj.user, name=obj.name, kind=obj.kind)
        obj.pk, obj.tenant_id, obj.suffix, obj.digest = (
            token.pk,
            token.tenant_id,
            token.suffix,
            token.digest,
        )
        obj.created_at = token.created_at
        obj._state.adding = False
        request._generated_token_value = value

    def response_add(self, request, obj, post_url_continue=None):
        response = TemplateResponse(
            request,
            "admin/tokens/token_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": obj,
                "value": request._generated_token_value,
                "title": "Token generated",
            },
            headers=NO_STORE,
        )
        return response

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        revoked = sum(token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
