"""The forms of the Generate and Regenerate dialogs: the expiry (within the tenant's policy),
the access, the grace period. The rules are the services'; the forms carry the choices."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import DESCRIPTIONS, READ_ONLY, SCOPES
from accounts.service_accounts import may_generate_for
from core.forms import SubmitOnceForm
from tokens.allowlist import allowlist_from_text
from tokens.expiry import (
    DEFAULT_EXPIRY,
    DEFAULT_GRACE,
    EXPIRY_CHOICES,
    EXPIRY_DAYS,
    GRACE_CHOICES,
    expiry_of,
)
from tokens.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, ApiToken
from tokens.rotation import kept_lifetime, lifetime_label, rotation_expiry


class AllowListField(forms.CharField):
    """Where a token may be used from, as a person types it: one address or CIDR range per
    line (or separated by commas or spaces); blank: anywhere. Cleaned into the list the
    services take (tokens/allowlist.allowlist_from_text), whose rules they apply: the Generate
    dialog, a token's page, SIEM agents and log collectors, the admin."""

    def __init__(self, *, label: str = "Allowed addresses (optional)", rows: int = 3, **kwargs):
        super().__init__(
            label=label,
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false"}),
            **kwargs,
        )

    def clean(self, value) -> list[str] | None:  # a list, not text
        return allowlist_from_text(super().clean(value) or "")


class ExpiryForm(forms.Form):
    """The expiry choice of the Generate and Regenerate dialogs: 7, 30, 90 days, 1 year, a
    date, never; with the tenant's `policy`, only what it allows, its default first. The
    rules are the service's (the same as the API's); the form carries the choice."""

    expires = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial=DEFAULT_EXPIRY, required=False
    )
    expires_on = forms.DateField(label="Expires on", required=False)

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_expiry = DEFAULT_EXPIRY
        self.max_days = None
        if policy is not None:
            self.max_days = policy.max_lifetime_days
            never = policy.allow_never and not policy.max_lifetime_days
            self.fields["expires"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                (value, label)
                for value, label in EXPIRY_CHOICES
                if (value == "never" and never)
                or value == "date"
                or (
                    value in EXPIRY_DAYS
                    and (not self.max_days or EXPIRY_DAYS[value] <= self.max_days)
                )
            ]
            self.default_expiry = policy.default_expiry
            self.fields["expires"].initial = policy.default_expiry

    def clean(self):
        data = super().clean() or {}
        data["expires"] = data.get("expires") or self.default_expiry  # a post without it
        if (
            data["expires"] == "date"
            and not data.get("expires_on")
            and "expires_on" not in self.errors
        ):
            self.add_error("expires_on", "Choose the date it expires on.")
        return data

    def expires_at(self):
        """The moment the chosen expiry means (None: never)."""
        return expiry_of(self.cleaned_data["expires"], self.cleaned_data.get("expires_on"))

    def add_expiry_error(self, error: ValidationError) -> None:
        """The service's refusal of the expiry, beside the field that chose it."""
        field = "expires_on" if self.cleaned_data.get("expires") == "date" else "expires"
        self.add_error(field, error.error_dict["expires_at"])


class GenerateForm(SubmitOnceForm, ExpiryForm):
    # Validation is the service's (the same rules as the API); the form only carries the name,
    # the description, the expiry chosen, the access and its one-time key.
    name = forms.CharField(
        label="Token name", required=False, strip=False, max_length=NAME_MAX_LENGTH * 4
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        strip=False,
        max_length=DESCRIPTION_MAX_LENGTH * 4,
    )
    access = forms.ChoiceField(
        label="Access",
        required=False,
        initial="role",
        choices=[
            ("role", "Same as my role"),
            ("read_only", "Read-only"),
            ("custom", "Only these capabilities"),
        ],
    )
    scopes = forms.MultipleChoiceField(
        label="Capabilities", required=False, choices=[(s.value, s.value) for s in SCOPES]
    )
    allowed_ips = AllowListField()
    # Whom it is for: the person generating it ("" ) or a service account they may generate
    # for (accounts.service_accounts.may_generate_for); offered only when there is one.
    owner = forms.ChoiceField(label="For", required=False, initial="")

    field_order = [
        "submission",
        "owner",
        "name",
        "description",
        "expires",
        "expires_on",
        "access",
        "scopes",
        "allowed_ips",
    ]

    def __init__(self, *args, policy=None, user=None, **kwargs):
        """With the tenant's `policy`: only the expiries it allows, its default first; with
        the `user`: only the capabilities their role has to narrow the token to."""
        super().__init__(*args, policy=policy, **kwargs)
        self.user_capabilities = user.capabilities if user is not None else frozenset()
        self.service_accounts = {}
        if user is not None:
            self.service_accounts = {
                str(account.pk): account
                for account in may_generate_for(user, self.user_capabilities)
            }
            self.fields["owner"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                ("", "Me"),
                *(
                    (pk, f"{a.username} (service account)")
                    for pk, a in self.service_accounts.items()
                ),
            ]
            self.fields["owner"].error_messages["invalid_choice"] = (
                "Choose yourself or a service account you are a custodian of."
            )
            mine = user.capabilities
            self.fields["scopes"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                (scope.value, DESCRIPTIONS[scope]) for scope in SCOPES if scope in mine
            ]

    def chosen_owner(self, user):
        """Whom the token is for: `user`, or the service account chosen."""
        return self.service_accounts.get(self.cleaned_data.get("owner") or "", user)

    def chosen_scopes(self, owner=None) -> list[str] | None:
        """None (the same as the role), the role's read capabilities (of the `owner` too,
        when it is a service account), or those ticked."""
        access = self.cleaned_data.get("access") or "role"
        if access == "read_only":
            held = self.user_capabilities & READ_ONLY
            if owner is not None:
                held = held & owner.capabilities
            return sorted(c.value for c in held)
        if access == "custom":
            return list(self.cleaned_data.get("scopes") or [])
        return None


class AllowListForm(forms.Form):
    """A token's allow-list on its page: one address or range per line; blank: anywhere."""

    allowed_ips = AllowListField(label="Allowed addresses", rows=5)


KEEP = "keep"  # the Regenerate dialog's first expiry: the same lifetime as before


class RotateForm(ExpiryForm):
    grace = forms.ChoiceField(
        label="The old value keeps working for",
        initial=DEFAULT_GRACE,
        choices=[(value, label) for value, label, _ in GRACE_CHOICES],
        error_messages={
            "invalid_choice": "Choose how long the old value keeps working: "
            "none, 1 hour, 24 hours or 7 days."
        },
    )

    field_order = ["grace", "expires", "expires_on"]

    def __init__(self, *args, token: ApiToken, policy=None, **kwargs):
        """The expiries that Generate offers within the tenant's `policy`, and first, when
        the policy allows it, the same lifetime as the `token` being regenerated."""
        super().__init__(*args, policy=policy, **kwargs)
        now = timezone.now()
        self.keep_until = rotation_expiry(token, now, policy)
        if self.keep_until == kept_lifetime(token, now):
            label = f"{lifetime_label(token).capitalize()}, as before"
            field = self.fields["expires"]
            field.choices = [(KEEP, label), *field.choices]  # type: ignore[attr-defined]
            field.initial = self.default_expiry = KEEP

    def expires_at(self):
        if self.cleaned_data["expires"] == KEEP:
            return self.keep_until
        return super().expires_at()
