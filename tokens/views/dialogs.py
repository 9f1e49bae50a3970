"""Generate and Regenerate: step one asks, a valid post answers with step two, the one
response that ever carries the value."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.reauthentication import kept_form, recent_sign_in_required
from core.errors import Conflict
from core.http import origin_of
from tokens.forms import GenerateForm, RotateForm
from tokens.models import ApiToken
from tokens.policy import policy_of
from tokens.rotation import (
    NotTheOwner,
    RotationRefused,
    refuse_unless_owner,
    rotation_refusal,
    token_rotate,
)
from tokens.services import AlreadySubmitted, token_generate
from tokens.views.responses import TEMPLATE, is_fetch, render_no_store

FIELDS_OF_ERRORS = ("scopes", "description", "allowed_ips")  # the service's fields, the form's


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def generate(request):
    """Step one asks for a name; a valid post creates the token and answers with step two,
    the one response that ever carries the value."""
    # A form sent after the sign-in was too old comes back filled (accounts/reauthentication).
    data = request.POST or kept_form(request, request.path)
    policy = policy_of(request.user.tenant_id)
    form = GenerateForm(data, policy=policy, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            owner = form.chosen_owner(request.user)
            token, value = token_generate(
                user=owner,
                by=request.user,
                name=form.cleaned_data["name"],
                submission_key=form.cleaned_data["submission"],
                expires_at=form.expires_at(),
                scopes=form.chosen_scopes(owner),
                origin=origin_of(request),
                description=form.cleaned_data["description"],
                allowed_ips=form.cleaned_data["allowed_ips"],
            )
        except ValidationError as error:
            said = getattr(error, "error_dict", {})
            if "expires_at" in said:
                form.add_expiry_error(error)
            elif field := next((f for f in FIELDS_OF_ERRORS if f in said), None):
                form.add_error(field, said[field])
            else:
                form.add_error(None, error)
        except AlreadySubmitted as repeat:
            template = (
                f"{TEMPLATE}#already-submitted"
                if is_fetch(request)
                else "tokens/api_token_already_submitted.html"
            )
            return render_no_store(request, template, {"token": repeat.token}, status=409)
        else:
            context = {"token": token, "value": value, "tenant": request.user.tenant}
            template = (
                f"{TEMPLATE}#generated" if is_fetch(request) else "tokens/api_token_generated.html"
            )
            return render_no_store(request, template, context, status=201)
    status = 400 if request.method == "POST" else 200
    template = f"{TEMPLATE}#generate-form" if is_fetch(request) else "tokens/api_token_new.html"
    context = {"form": form, "policy_needs_allowlist": policy.manage_needs_allowlist}
    return render_no_store(request, template, context, status=status)


def _rotate_page(request, context: dict, status: int = 200):
    part = "tokens/api_tokens.html#rotate-form"
    template = part if is_fetch(request) else "tokens/api_token_rotate.html"
    return render_no_store(request, template, context, status=status)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def rotate(request, token_id: int):
    """Regenerate: the owner chooses how long the old value keeps working (GET), then gets a
    new value with the same name, scopes and owner, shown once (POST, 201). Another's token
    is refused (403: it would act in their name); a revoked, expired or already regenerated
    one is a form error that says why, and nothing changes."""
    # Revoked ones too, so that regenerating one is told why it cannot be (not "not found").
    tokens = ApiToken.objects.in_any_state_for(request.user, request_capabilities(request))
    token = tokens.filter(pk=token_id).select_related("user").first()
    if token is None:
        if is_fetch(request):
            return JsonResponse({"message": "That token does not exist."}, status=404)
        messages.error(request, "That token does not exist.")
        return redirect("tokens:api-tokens")
    refuse_unless_owner(token, request.user)  # a 403 page saying why
    policy = policy_of(request.user.tenant_id)
    data = request.POST if request.method == "POST" else kept_form(request, request.path)
    form = RotateForm(data, token=token, policy=policy)
    context = {"token": token, "form": form, "strict": policy.strict_rotation}
    if request.method == "GET":
        # Why it cannot be regenerated, said before the form is sent (and again if it is).
        context["refusal"] = rotation_refusal(token, timezone.now())
        return _rotate_page(request, context)
    if not form.is_valid():
        return _rotate_page(request, context, status=400)
    try:
        new, value = token_rotate(
            token=token,
            by=request.user,
            grace=form.cleaned_data["grace"],
            expires_at=form.expires_at(),
            origin=origin_of(request),
        )
    except (RotationRefused, NotTheOwner) as refused:
        form.add_error(None, str(refused))
        return _rotate_page(request, context, status=409 if isinstance(refused, Conflict) else 400)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
            form.add_expiry_error(error)
        else:  # a rule the old token predates (its name, say)
            for message in error.messages:
                form.add_error(None, message)
        return _rotate_page(request, context, status=400)
    context = {"token": new, "value": value, "tenant": request.user.tenant, "replaced": token}
    template = f"{TEMPLATE}#generated" if is_fetch(request) else "tokens/api_token_generated.html"
    return render_no_store(request, template, context, status=201)
