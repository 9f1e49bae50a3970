"""Settings > System > Token policy."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.reauthentication import kept_form, recent_sign_in_required
from accounts.roles import Capability
from core.http import origin_of
from tokens.expiry import (
    MAX_EXPIRY_DAYS,
    POLICY_EXPIRY_CHOICES,
)
from tokens.models import DEFAULT_NOTICE_DAYS, MAX_NOTICE_DAYS
from tokens.models.policy import APPROVAL_CHOICES
from tokens.policy import COUNT_BOUND as POLICY_COUNT_BOUND
from tokens.policy import (
    POLICY_FIELDS,
    ApproversLacking,
    policy_of,
    token_policy_plan,
    token_policy_save,
)
from tokens.views.responses import render_no_store

# --- the tenant's token policy ------------------------------------------------------------------


class TokenPolicyForm(forms.Form):
    """What a full admin sets; the rules are the model's (TokenPolicy.clean, through
    tokens.policy), whose errors come back beside their fields."""

    max_lifetime_days = forms.IntegerField(
        label="Maximum lifetime (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="The longest a new API token may live. Blank: unlimited.",
    )
    allow_never = forms.BooleanField(
        label="Allow tokens that never expire",
        required=False,
        help_text="Only without a maximum lifetime.",
    )
    default_expiry = forms.ChoiceField(
        label="Default expiry",
        choices=POLICY_EXPIRY_CHOICES,
        help_text="What the Generate dialog offers first, and what a token made through the "
        "API without an expiry gets.",
    )
    dormant_days = forms.IntegerField(
        label="Retire tokens unused for (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Blank: never retired for disuse.",
    )
    notice_days = forms.IntegerField(
        label="Notice before a new retirement rule (days)",
        min_value=0,
        max_value=MAX_NOTICE_DAYS,
        required=False,
        help_text="A new or shortened retirement rule retires nothing for this long; each "
        "owner of a token it would retire is e-mailed once when it is saved. Blank: 7.",
    )
    strict_rotation = forms.BooleanField(
        label="Strict rotation",
        required=False,
        help_text="Off: an old value used after its grace period is refused and raises an "
        "alert, and the new value keeps working. On: that use revokes the whole token, new "
        "value included (no forgotten script goes unnoticed, but one can take it down).",
    )
    manage_needs_allowlist = forms.BooleanField(
        label="Require an allow-list for tokens that can change data",
        required=False,
        help_text="On: a new token holding any *.manage capability must name the addresses "
        "it will be used from, and no such token's allow-list can be removed. Tokens made "
        "before keep working: the tokens page's Unrestricted filter finds them.",
    )
    approval_required_for = forms.ChoiceField(
        label="Approval required for",
        choices=APPROVAL_CHOICES,
        required=False,
        help_text="A new API token that needs approval is refused (403) until a full admin "
        "other than whoever generated it approves it on the API tokens page; undecided "
        "within 7 days, it is revoked. Needs at least two full admins.",
    )
    # The values the preview showed, sent back by its "Confirm and save".
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_notice_days(self) -> int:
        notice = self.cleaned_data.get("notice_days")
        return DEFAULT_NOTICE_DAYS if notice is None else notice  # blank: the default

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}

    def fingerprint(self) -> str:
        return json.dumps(self.values(), sort_keys=True)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def token_policy(request):
    """Settings > System > Token policy, for full admins. A change that would retire tokens
    (a new or shortened retirement rule) is shown first, with how many and which, and
    saved only once confirmed; its first retirement waits the notice period."""
    if Capability.SETTINGS_MANAGE not in request_capabilities(request):
        raise PermissionDenied("Only administrators who manage settings can set the policy.")
    tenant_id = request.user.tenant_id
    policy = policy_of(tenant_id)
    initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
    form = TokenPolicyForm(request.POST or kept_form(request, request.path), initial=initial)
    status = 200
    context: dict = {"form": form, "policy": policy}
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                plan = token_policy_plan(tenant_id=tenant_id, **form.values())
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            except ApproversLacking as lacking:
                form.add_error("approval_required_for", str(lacking.detail).split(": ", 1)[1])
            else:
                confirmed = form.cleaned_data["confirmed"] == form.fingerprint()
                if plan.notice_starts and plan.retiring_count and not confirmed:
                    context.update(preview=plan, fingerprint=form.fingerprint())
                    status = 200
                else:
                    token_policy_save(
                        tenant_id=tenant_id,
                        by=request.user,
                        origin=origin_of(request),
                        **form.values(),
                    )
                    messages.success(request, "The token policy is saved.")
                    return redirect("token-policy")
    if policy.dormant_days:
        # What the current rule retires, and from when, so that nobody is surprised.
        context["current"] = token_policy_plan(tenant_id=tenant_id)
    context.update(bound=POLICY_COUNT_BOUND, now=timezone.now())
    return render_no_store(request, "tokens/token_policy.html", context, status=status)
