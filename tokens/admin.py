from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from core.admin import ReadOnlyAdmin
from core.http import NO_STORE, origin_of
from tokens.expiry import DEFAULT_EXPIRY, EXPIRY_CHOICES, expiry_of, token_check_expiry
from tokens.models import ApiToken, Kind, TokenEvent
from tokens.rotation import scim_token_rotate
from tokens.services import (
    token_check_description,
    token_check_name,
    token_check_new,
    token_generate,
    token_rename,
    token_revoke,
)


class RevokedFilter(admin.SimpleListFilter):
    title = "revoked"
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in {"no", "yes"}:
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


# What the change page shows of a token besides its name, which alone can be changed.
SHOWN = [
    "kind",
    "tenant",
    "user",
    "created_by",
    "description",
    "suffix",
    "created_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
    "revoked_reason",
    "expires_at",
]


class TokenAddForm(forms.ModelForm):
    """API and SCIM tokens only: a SIEM agent's or log collector's token belongs to its agent
    or collector, which the tenant's admins add on their own pages. The service's checks run
    here, so that a refusal is a form error, not a half-done save."""

    kind = forms.ChoiceField(
        choices=[(Kind.API, Kind.API.label), (Kind.SCIM, Kind.SCIM.label)],
        help_text="A new SCIM token replaces the tenant's current one, which stops at once.",
    )

    expires_in = forms.ChoiceField(
        label="Expires",
        choices=[(k, v) for k, v in EXPIRY_CHOICES if k != "date"],
        initial=DEFAULT_EXPIRY,
        required=False,
        help_text="Or a date below.",
    )
    expires_on = forms.DateField(
        label="Expires on", required=False, help_text="Through that day (UTC)."
    )
    # Not "description": that model field is not editable, and a ModelForm refuses it.
    about = forms.CharField(
        label="Description",
        required=False,
        help_text="What it is for (shown on the token's page).",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "kind", "name", "about", "expires_in", "expires_on"]

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("user") is not None and "name" in cleaned:
            try:
                cleaned["name"] = token_check_new(user=cleaned["user"], name=cleaned["name"])
            except ValidationError as error:
                self.add_error(None, error)
        try:
            cleaned["about"] = token_check_description(cleaned.get("about", ""))
        except ValidationError as error:
            self.add_error("about", error.error_dict["description"])
        on = cleaned.get("expires_on")  # a date given wins over the choice
        choice = "date" if on else cleaned.get("expires_in") or DEFAULT_EXPIRY
        cleaned["expires_at"] = expiry_of(choice, on)
        try:
            token_check_expiry(cleaned["expires_at"], now=timezone.now())
        except ValidationError as error:
            self.add_error("expires_on", error.error_dict["expires_at"])
        return cleaned


class TokenChangeForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]

    def clean_name(self):
        try:
            return token_check_name(self.cleaned_data["name"])
        except ValidationError as error:
            raise ValidationError(error.error_dict["name"]) from None


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens of every kind and tenant. Values are never shown but once, on the page that
    follows "Save" of a new token; the digest is never editable; every write (generate,
    rename, revoke) goes through tokens/services.py, as on the page and the API."""

    list_display = [
        "name",
        "kind",
        "tenant",
        "user",
        "status",
        "suffix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["kind", RevokedFilter, "tenant"]
    list_select_related = ["tenant", "user"]
    search_fields = ["name", "user__username", "suffix"]
    actions = ["revoke_selected"]
    fields = ["name", *SHOWN]
    readonly_fields = SHOWN  # only the name can be changed

    def get_queryset(self, request):
        return ApiToken.objects.with_status()

    @admin.display(ordering="status")
    def status(self, obj: ApiToken) -> str:
        return obj.status_label  # the lifecycle's state (get_queryset's with_status())

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TokenAddForm if obj is None else TokenChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return TokenAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row is the audit trail

    def save_model(self, request, obj, form, change):
        if change:
            token_rename(token=obj, name=form.cleaned_data["name"])
            return
        user, name = form.cleaned_data["user"], form.cleaned_data["name"]
        if form.cleaned_data["kind"] == Kind.SCIM:
            token, value = scim_token_rotate(user=user, origin=origin_of(request))
        else:
            token, value = token_generate(
                user=user,
                name=name,
                by=request.user,
                origin=origin_of(request),
                expires_at=form.cleaned_data["expires_at"],
                description=form.cleaned_data["about"],
            )
        obj.pk, obj.tenant_id, obj.suffix, obj.digest = (
            token.pk,
            token.tenant_id,
            token.suffix,
            token.digest,
        )
        obj.name, obj.kind, obj.created_at = token.name, token.kind, token.created_at
        obj._state.adding = False
        request._generated_token_value = value

    def response_add(self, request, obj, post_url_continue=None):
        return TemplateResponse(
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

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        origin = origin_of(request)
        revoked = sum(
            token_revoke(token=token, by=request.user, origin=origin) for token in queryset
        )
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(TokenEvent)
class TokenEventAdmin(ReadOnlyAdmin):
    """The token event log, to read: events are never added, changed or deleted here (nor
    anywhere: tokens/models.py)."""

    list_display = [
        "created",
        "kind",
        "token_name",
        "token_kind",
        "token_suffix",
        "tenant",
        "actor_label",
        "reason",
        "count",
        "source_ip",
    ]
    list_filter = ["kind", "reason", "token_kind", "tenant"]
    search_fields = ["token_name", "actor_label", "token_suffix"]
    list_select_related = ["tenant"]
