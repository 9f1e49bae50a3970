from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import resolve_url

SESSION_ENDED = "Your session has ended. Sign in again to continue."


def tenant_user_required(view):
    """Signed in, in a tenant, not deprovisioned: what every tenant page needs. A signed-out
    request is sent to sign in with `next` back to where it was; one that portal.js made
    (the dialog, the filter, Revoke) gets a 401 that says so, and the script sends the
    browser to sign in, back to the page it was on (not to the fragment it asked for)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if settings.SESSION_COOKIE_NAME in request.COOKIES:  # there was a session
                messages.info(request, SESSION_ENDED)
            if request.headers.get("X-Requested-With") == "fetch":
                login_url = resolve_url("account_login")
                return JsonResponse({"detail": SESSION_ENDED, "login_url": login_url}, status=401)
            return redirect_to_login(request.get_full_path())
        if request.user.tenant_id is None or request.user.is_deprovisioned:
            raise Http404("Only users of a tenant have this page.")
        return view(request, *args, **kwargs)

    return wrapped
