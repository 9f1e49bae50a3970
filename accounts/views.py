from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.reauthentication import mark_signed_in
from core.http import is_safe_redirect


@login_required
def home(request):
    return redirect("tokens:api-tokens")


@tenant_user_required
def about(request):
    """Settings > System > About: what the "?" menu's About dialog shows, as a page."""
    return render(request, "accounts/about.html", {"tenant": request.user.tenant})


CONFIRM_FAILURES = 5  # wrong passwords on the confirmation page before it waits
CONFIRM_LOCKOUT = 15 * 60  # seconds


@tenant_user_required
@require_http_methods(["GET", "POST"])
def confirm_identity(request):
    """Confirm it's you (accounts/reauthentication.py): the password again, for a person who
    has one, or Entra again with `prompt=login`, for a person who signs in with Microsoft;
    then back to `next`. Five wrong passwords make it wait 15 minutes."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not is_safe_redirect(request, back):
        back = reverse("tokens:api-tokens")
    user = request.user
    has_password = user.has_usable_password()
    error = ""
    if request.method == "POST" and has_password:
        failures = f"confirm-failures:{user.pk}"
        if (cache.get(failures) or 0) >= CONFIRM_FAILURES:
            error = "Too many wrong passwords: try again in 15 minutes, or sign out and in again."
        elif user.check_password(request.POST.get("password", "")):
            cache.delete(failures)
            mark_signed_in(request)
            return redirect(back)
        else:
            cache.add(failures, 0, timeout=CONFIRM_LOCKOUT)
            try:
                cache.incr(failures)
            except ValueError:  # expired between add and incr
                cache.set(failures, 1, timeout=CONFIRM_LOCKOUT)
            error = "That is not your password."
    context = {
        "next": back,
        "has_password": has_password,
        "entra": user.social_auth.filter(provider="entra").exists(),
        "error": error,
        "minutes": settings.REAUTHENTICATION_SECONDS // 60,
    }
    return render(request, "account/confirm.html", context, status=400 if error else 200)
