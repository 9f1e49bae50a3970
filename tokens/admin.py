from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from core.admin import ReadOnlyAdmin
from core.http import NO_STORE, origin_of
from tokens.allowlist import allowlist_check
from tokens.expiry import DEFAULT_EXPIRY, EXPIRY_CHOICES, expiry_of, token_check_expiry
from tokens.forms import AllowListField
from tokens.governance import token_set_allowlist
from tokens.models import ApiToken, Kind, TokenEvent
from tokens.policy import policy_check_allowlist, policy_of
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


class UnrestrictedFilter(admin.SimpleListFilter):
    title = "allow-list"
    parameter_name = "unrestricted"

    def lookups(self, request, model_admin):
        return [("true", "Unrestricted"), ("false", "With an allow-list")]

    def queryset(self, request, queryset):
        if self.value() == "true":
            return queryset.filter(allowlist="")
        if self.value() == "false":
            return queryset.exclude(allowlist="")
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
    "granted_capabilities",
    "lost",
]


class AllowedAddresses(AllowListField):
    """The allow-list field, checked here as the service will (tokens/allowlist.py), so that a
    refusal is a form error and not a half-done save."""

    def __init__(self, **kwargs):
        super().__init__(
            label="Allowed addresses",
            help_text="IPv4/IPv6 addresses and CIDR ranges, one per line, at most 50; blank: "
            "anywhere. A change keeps the value.",
            **kwargs,
        )

    def clean(self, value):
        try:
            return allowlist_check(super().clean(value))
        except ValidationError as error:
            raise ValidationError(error.error_dict["allowed_ips"]) from None


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
    allowed = AllowedAddresses()

    class Meta:
        model = ApiToken
        fields = ["user", "kind", "name", "about", "expires_in", "expires_on", "allowed"]

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
        user = cleaned.get("user")
        if user is not None and cleaned.get("kind") == Kind.API and "allowed" in cleaned:
            check_policy(self, user.tenant_id, user.capabilities, cleaned["allowed"])
        return cleaned


def check_policy(form, tenant_id, capabilities, allowed) -> None:
    """The tenant's rule that a token able to change data has an allow-list, as a form error."""
    try:
        policy_check_allowlist(policy_of(tenant_id), capabilities, allowed)
    except ValidationError as error:
        form.add_error("allowed", error.error_dict["allowed_ips"])


class TokenChangeForm(forms.ModelForm):
    allowed = AllowedAddresses()

    class Meta:
        model = ApiToken
        fields = ["name", "allowed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed"].initial = "\n".join(self.instance.allowed_ips or ())

    def clean_name(self):
        try:
            return token_check_name(self.cleaned_data["name"])
        except ValidationError as error:
            raise ValidationError(error.error_dict["name"]) from None

    def clean(self):
        cleaned = super().clean() or {}
        token = self.instance
        if token.kind == Kind.API and "allowed" in cleaned:
            check_policy(
                self, token.tenant_id, token.granted_capabilities or (), cleaned["allowed"]
            )
        if token.revoked_at is not None and cleaned.get("allowed") != token.allowed_ips:
            self.add_error("allowed", "A revoked token cannot be changed.")
        return cleaned


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
    list_filter = ["kind", RevokedFilter, UnrestrictedFilter, "tenant"]
    list_select_related = ["tenant", "user"]
    search_fields = ["name", "user__username", "suffix"]
    actions = ["revoke_selected"]
    fields = ["name", "allowed", *SHOWN]
    readonly_fields = SHOWN  # only the name and the allow-list can be changed

    def get_queryset(self, request):
        return ApiToken.objects.with_status()

    @admin.display(description="Lost since made")
    def lost(self, obj: ApiToken) -> str:
        return ", ".join(obj.lost_capabilities) or "—"

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
            token_set_allowlist(
                token=obj,
                allowed_ips=form.cleaned_data["allowed"],
                by=request.user,
                origin=origin_of(request),
            )
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
                allowed_ips=form.cleaned_data["allowed"],
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
