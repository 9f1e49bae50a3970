"""A full admin decides an approval request on its page: what the token can do, who asked,
until when; approve, or deny (which revokes it), with an optional note."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.reauthentication import recent_sign_in_required
from accounts.roles import Capability
from core.errors import Conflict
from core.http import origin_of
from tokens.approval import NOTE_MAX_LENGTH, decision_refusal, token_approve, token_deny
from tokens.models import ApiToken
from tokens.views.responses import render_no_store


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    note = forms.CharField(label="Note (optional)", required=False, max_length=NOTE_MAX_LENGTH)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def decide(request, token_id: int):
    """GET: the request, with what deciding it would do; POST: approved or denied."""
    if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
        raise PermissionDenied("Only a full admin decides approval requests.")
    token = (
        ApiToken.objects.for_tenant(request.user.tenant_id)
        .filter(pk=token_id)
        .select_related("user", "created_by", "tenant", "revoked_by")
        .first()
    )
    if token is None:
        raise Http404("No token of this tenant has that id.")
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            decide_with = (
                token_approve if form.cleaned_data["decision"] == "approve" else token_deny
            )
            try:
                decide_with(
                    token=token,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    origin=origin_of(request),
                )
            except (Conflict, PermissionDenied) as error:
                form.add_error(None, str(getattr(error, "detail", error)))
                status = 409 if isinstance(error, Conflict) else 403
            except ValidationError as error:
                form.add_error("note", error.message_dict.get("note", error.messages))
            else:
                done = "approved" if form.cleaned_data["decision"] == "approve" else "denied"
                messages.success(request, f"The token “{token.name}” was {done}.")
                return redirect("tokens:api-tokens")
    refused = decision_refusal(token, request.user, timezone.now())
    context = {"token": token, "form": form, "refused": str(refused) if refused else ""}
    return render_no_store(request, "tokens/api_token_decide.html", context, status=status)
