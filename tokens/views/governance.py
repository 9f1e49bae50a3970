"""Least privilege on the pages: a token's allow-list changed (with what it would refuse
shown first), a token narrowed to what it used (previewed, then confirmed), the tenant's
tokens holding capabilities they do not use, and the credential inventory's download."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.reauthentication import kept_form, recent_sign_in_required
from accounts.roles import DESCRIPTIONS, Capability
from core.errors import Conflict
from core.http import origin_of
from tokens.allowlist import address_allowed, allowlist_check
from tokens.api.governance import inventory_response
from tokens.forms import AllowListForm
from tokens.governance import (
    WideningRefused,
    narrowing_check,
    token_narrow,
    token_set_allowlist,
)
from tokens.least_privilege import COUNT_BOUND, overprivileged_tokens, used_against_granted
from tokens.models import ApiToken, Kind
from tokens.policy import policy_of
from tokens.usage import usage_of
from tokens.views.responses import render_no_store


def _token(request, token_id: int, *, kind: str | None = None) -> ApiToken:
    """A live token the person may see (as on its page), or a 404."""
    tokens = ApiToken.objects.in_any_state_for(
        request.user, request_capabilities(request), kind=kind
    ).live()
    token = tokens.filter(pk=token_id).select_related("user").first()
    if token is None:
        raise Http404("No live token of yours has that id.")
    return token


def _refused_addresses(token: ApiToken, allowed: list[str] | None) -> list[dict]:
    """Of the addresses that used the token lately, those `allowed` would refuse."""
    recent = usage_of(token)["recent_ips"]
    allowlist = " ".join(allowed or ())
    return [entry for entry in recent if not address_allowed(allowlist, entry["ip"])]


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def allowlist(request, token_id: int):
    """Where a token may be used from. A list that would refuse an address that used the
    token lately is shown with those addresses first, and saved once confirmed."""
    token = _token(request, token_id)
    initial = {"allowed_ips": "\n".join(token.allowed_ips or ())}
    form = AllowListForm(request.POST or kept_form(request, request.path), initial=initial)
    context: dict = {"token": token, "form": form, "policy": policy_of(token.tenant_id)}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                chosen = allowlist_check(form.cleaned_data["allowed_ips"])
                refused = _refused_addresses(token, chosen)
                fingerprint = json.dumps(chosen)
                if refused and request.POST.get("confirmed") != fingerprint:
                    context.update(refused=refused, fingerprint=fingerprint, chosen=chosen)
                    return render_no_store(request, "tokens/api_token_allowlist.html", context)
                changed = token_set_allowlist(
                    token=token, allowed_ips=chosen, by=request.user, origin=origin_of(request)
                )
            except ValidationError as error:
                form.add_error("allowed_ips", error.message_dict.get("allowed_ips", error.messages))
            except Conflict as conflict:
                form.add_error(None, conflict.detail)
            else:
                messages.success(
                    request,
                    "The allow-list is saved; the token's value is unchanged."
                    if changed
                    else "The allow-list is as it was.",
                )
                return redirect("tokens:detail", token.pk)
    return render_no_store(request, "tokens/api_token_allowlist.html", context, status=status)


@tenant_user_required
@require_http_methods(["GET", "POST"])
def narrow(request, token_id: int):
    """Narrow a token: GET shows what it holds against what it used in 30 days and what
    narrowing it to what it used keeps and removes; POST (the confirmation, with the
    scopes shown) narrows it, its value unchanged."""
    token = _token(request, token_id, kind=Kind.API)
    evidence = used_against_granted(token)
    context = {
        "token": token,
        "evidence": evidence,
        "keeps": [(name, DESCRIPTIONS[Capability(name)]) for name in evidence.narrowing or ()],
        "removes": [
            (name, DESCRIPTIONS[Capability(name)])
            for name in sorted(token.capabilities)
            if evidence.narrowing is not None and name not in evidence.narrowing
        ],
    }
    if request.method == "POST":
        scopes = request.POST.getlist("scopes")
        try:
            narrowing_check(token, scopes)
            token_narrow(token=token, scopes=scopes, by=request.user, origin=origin_of(request))
        except ValidationError as error:
            context["error"] = " ".join(error.message_dict.get("scopes", error.messages))
            return render_no_store(request, "tokens/api_token_narrow.html", context, status=400)
        except WideningRefused as refused:
            context["error"] = refused.message
            return render_no_store(request, "tokens/api_token_narrow.html", context, status=403)
        except Conflict as conflict:
            context["error"] = conflict.detail
            return render_no_store(request, "tokens/api_token_narrow.html", context, status=409)
        messages.success(
            request,
            f"“{token.name}” now can only {', '.join(sorted(set(scopes)))}; its value is "
            "unchanged, so what uses it keeps working within that.",
        )
        return redirect("tokens:detail", token.pk)
    return render_no_store(request, "tokens/api_token_narrow.html", context)


def _full_admin(request) -> None:
    if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
        raise PermissionDenied("Only administrators who see every token can see this.")


@tenant_user_required
@require_http_methods(["GET"])
def unused(request):
    """The tenant's tokens holding capabilities unused for 30 days, with the narrowing
    each could take (full admins)."""
    _full_admin(request)
    found = overprivileged_tokens(request.user.tenant_id)
    context = {"found": found, "bound": COUNT_BOUND, "now": timezone.now()}
    return render_no_store(request, "tokens/unused_capabilities.html", context)


@tenant_user_required
@require_http_methods(["GET"])
def inventory(request, fmt: str):
    """The credential inventory as a download (full admins), as the API streams it."""
    _full_admin(request)
    if fmt not in ("csv", "json"):
        raise Http404("The inventory comes as CSV or JSON.")
    return inventory_response(request, fmt)
