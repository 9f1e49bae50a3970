"""The tenant's people and service accounts, for full admins: the Users page (and a new
service account), a user's page with their tokens, deprovisioning with a preview of the
automation it stops, and the hand-over of a departed person's tokens to a service account,
whose new values are shown once."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.models import User
from accounts.permissions import request_capabilities
from accounts.reauthentication import recent_sign_in_required
from accounts.roles import Capability, Role
from accounts.service_accounts import service_account_change, service_account_create
from accounts.services import user_deprovision, user_reprovision
from core.errors import Conflict
from core.http import origin_of
from tokens.governance import role_change_losses
from tokens.handover import (
    DEFAULT_HANDOVER_GRACE,
    HANDOVER_GRACE_CHOICES,
    handover_candidates,
    handover_refusal,
    token_hand_over,
    tokens_used_lately,
)
from tokens.models import ApiToken
from tokens.views.responses import render_no_store


def _full_admin(request) -> None:
    """The Users pages are for full admins (users and tokens alike): a 403 page otherwise."""
    held = request_capabilities(request)
    if Capability.SETTINGS_MANAGE not in held or Capability.TOKENS_MANAGE_ALL not in held:
        raise PermissionDenied("Only a full admin manages the tenant's users.")


def _user(request, user_id: int) -> User:
    user = User.objects.in_tenant(request.user.tenant_id).filter(pk=user_id).first()
    if user is None:
        raise Http404("No user of this tenant has that id.")
    return user


class ServiceAccountForm(forms.Form):
    name = forms.CharField(label="Name", max_length=64, required=False)
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    custodians = forms.MultipleChoiceField(label="Custodians", required=False)

    def __init__(self, *args, tenant_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.people_in(tenant_id).filter(
            deprovisioned_at__isnull=True, is_active=True
        )
        self.fields["custodians"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (str(person.pk), f"{person.display_name} ({person.username})")
            for person in people.order_by("username")
        ]

    def add_service_error(self, error: ValidationError) -> None:
        said = getattr(error, "error_dict", None)
        if said is None:
            self.add_error(None, error)
            return
        for field, errors in said.items():
            self.add_error(field if field in self.fields else None, errors)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def users(request):
    """The tenant's people and service accounts; a new service account (POST)."""
    _full_admin(request)
    tenant_id = request.user.tenant_id
    form = ServiceAccountForm(request.POST or None, tenant_id=tenant_id)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                account = service_account_create(
                    tenant=request.user.tenant,
                    name=form.cleaned_data["name"],
                    role=form.cleaned_data["role"],
                    custodians=[int(pk) for pk in form.cleaned_data["custodians"]],
                    by=request.user,
                    origin=origin_of(request),
                )
            except ValidationError as error:
                form.add_service_error(error)
            except Conflict as conflict:
                form.add_error("name", str(conflict.detail))
            else:
                messages.success(request, f"Service account {account.username} created.")
                return redirect("user", user_id=account.pk)
    everyone = User.objects.in_tenant(tenant_id).prefetch_related("custodians").order_by("username")
    context = {  # each account's active custodians read from the prefetched ones
        "people": [user for user in everyone if not user.is_service_account],
        "service_accounts": [user for user in everyone if user.is_service_account],
        "form": form,
    }
    return render_no_store(request, "tokens/users.html", context, status=status)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def user_page(request, user_id: int):
    """A person or service account: role, status, their tokens; a service account's role
    and custodians changed (POST)."""
    _full_admin(request)
    user = _user(request, user_id)
    form = None
    status = 200
    if user.is_service_account:
        initial = {
            "name": user.username,
            "role": user.role,
            "custodians": [str(pk) for pk in user.custodians.values_list("pk", flat=True)],
        }
        form = ServiceAccountForm(request.POST or None, tenant_id=user.tenant_id, initial=initial)
        if request.method == "POST":
            status = 400
            if form.is_valid() and (losses := _unconfirmed_losses(request, user, form)):
                # A role that takes from its tokens is shown first, saved once confirmed.
                role_label = Role(form.cleaned_data["role"]).label
                context = {"subject": user, "form": form, "losses": losses, "role": role_label}
                return render_no_store(request, "tokens/user_role_preview.html", context)
            if form.is_valid():
                try:
                    service_account_change(
                        account=user,
                        role=form.cleaned_data["role"],
                        custodians=[int(pk) for pk in form.cleaned_data["custodians"]],
                        by=request.user,
                        origin=origin_of(request),
                    )
                except ValidationError as error:
                    form.add_service_error(error)
                else:
                    messages.success(request, f"Service account {user.username} saved.")
                    return redirect("user", user_id=user.pk)
    elif request.method == "POST":
        raise PermissionDenied("Only a service account is changed here.")
    tokens = list(handover_candidates(user))
    context = {
        "subject": user,
        "tokens": tokens,
        "form": form,
        "custodians": user.custodians.order_by("username") if user.is_service_account else [],
        "service_accounts": _targets(request),
    }
    return render_no_store(request, "tokens/user.html", context, status=status)


def _unconfirmed_losses(request, account: User, form) -> list:
    """What the role chosen would take from the account's tokens, unless the person has
    confirmed exactly that role after seeing it."""
    role = form.cleaned_data["role"]
    if role == account.role or request.POST.get("confirmed") == role:
        return []
    return role_change_losses(user=account, after=role)


def _targets(request):
    return (
        User.objects.service_accounts_in(request.user.tenant_id)
        .filter(deprovisioned_at__isnull=True, is_active=True)
        .order_by("username")
    )


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def deprovision(request, user_id: int):
    """GET: what deprovisioning stops (their tokens used in the last 7 days); POST (the
    confirmation): deprovisioned. Restoring is a POST with `restore`."""
    _full_admin(request)
    user = _user(request, user_id)
    if request.method == "POST":
        if request.POST.get("restore"):
            user_reprovision(user=user)
            messages.success(request, f"{user.username} was restored: their tokens work again.")
            return redirect("user", user_id=user.pk)
        if user.pk == request.user.pk:
            raise PermissionDenied("You cannot deprovision yourself.")
        user_deprovision(user=user)
        messages.success(
            request,
            f"{user.username} was deprovisioned: their sessions ended and their tokens are "
            "refused. Hand the tokens over to a service account to keep their automation "
            "running.",
        )
        return redirect("user", user_id=user.pk)
    context = {
        "subject": user,
        "used_lately": tokens_used_lately(user),
        "orphaned": list(User.objects.left_without_custodian_by(user)),
        "self": user.pk == request.user.pk,
    }
    return render_no_store(request, "tokens/user_deprovision.html", context)


class HandOverForm(forms.Form):
    service_account = forms.ChoiceField(label="To the service account")
    grace = forms.ChoiceField(
        label="The old value keeps working for",
        choices=HANDOVER_GRACE_CHOICES,
        initial=DEFAULT_HANDOVER_GRACE,
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {str(account.pk): account for account in targets}
        self.fields["service_account"].choices = [  # type: ignore[attr-defined]
            (pk, account.username) for pk, account in self.targets.items()
        ]


def _hand_over(request, subject: User, tokens: list[ApiToken], back: str):
    """The hand-over form for `tokens` (GET, and a POST with errors), or their hand-over and
    the page that shows each new value once (POST)."""
    form = HandOverForm(request.POST or None, targets=_targets(request))
    now = timezone.now()
    refused = {token.pk: handover_refusal(token, now) for token in tokens}
    movable = [token for token in tokens if not refused[token.pk]]
    status = 200
    if request.method == "POST":
        status = 400
        if not movable:
            form.add_error(None, "None of these tokens can be handed over.")
        elif form.is_valid():
            target = form.targets[form.cleaned_data["service_account"]]
            done, failed = [], []
            for token in movable:
                try:
                    new, value = token_hand_over(
                        token=token,
                        to=target,
                        by=request.user,
                        grace=form.cleaned_data["grace"],
                        origin=origin_of(request),
                    )
                except (Conflict, ValidationError) as error:
                    failed.append((token, getattr(error, "detail", None) or error))
                else:
                    done.append({"old": token, "new": new, "value": value})
            context = {"subject": subject, "target": target, "done": done, "failed": failed}
            return render_no_store(request, "tokens/handed_over.html", context, status=201)
    context = {
        "subject": subject,
        "tokens": tokens,
        "refused": refused,
        "movable": movable,
        "form": form,
        "back": back,
    }
    return render_no_store(request, "tokens/hand_over.html", context, status=status)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def hand_over_all(request, user_id: int):
    """Every current API token of a deprovisioned person, handed over at once."""
    _full_admin(request)
    subject = _user(request, user_id)
    tokens = list(handover_candidates(subject))
    return _hand_over(request, subject, tokens, back=reverse("user", args=[subject.pk]))


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def hand_over_one(request, token_id: int):
    """One token of a deprovisioned person, from its page."""
    _full_admin(request)
    token = (
        ApiToken.objects.for_tenant(request.user.tenant_id)
        .filter(pk=token_id)
        .select_related("user", "tenant")
        .first()
    )
    if token is None:
        raise Http404("No token of this tenant has that id.")
    return _hand_over(request, token.user, [token], back=reverse("tokens:detail", args=[token.pk]))
