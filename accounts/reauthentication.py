"""Who you are, before minting (GitHub's "sudo mode"): generating or regenerating a token,
changing the token policy and replacing the SCIM secret ask for a sign-in within the last
REAUTHENTICATION_SECONDS (10 minutes). The moment of the last sign-in is kept in the
session: set by every sign-in (a password, MFA, Entra: Django's `user_logged_in`) and by
confirming on /accounts/confirm/ (the password again, or Entra again with `prompt=login`,
which asks for the credentials whatever session Entra has).

A page's form sent too late is kept in the session (`keep_form`) and shown again, filled,
once the person has confirmed; portal.js keeps a dialog's choices the same way it does when
the session has ended."""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, PermissionDenied

SIGNED_IN_AT = "portal_signed_in_at"
KEPT_FORMS = "portal_kept_forms"
CONFIRM = "Confirm it's you: sign in again to do this (it was more than %(minutes)d minutes ago)."


def mark_signed_in(request: HttpRequest) -> None:
    """Notes that the person proved who they are just now."""
    request.session[SIGNED_IN_AT] = time.time()


def on_sign_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: every sign-in counts (connected in AccountsConfig.ready)."""
    if request is not None and hasattr(request, "session"):
        mark_signed_in(request)


def signed_in_recently(request: HttpRequest) -> bool:
    at = request.session.get(SIGNED_IN_AT) if hasattr(request, "session") else None
    return isinstance(at, int | float) and time.time() - at < settings.REAUTHENTICATION_SECONDS


def confirm_url(next_path: str) -> str:
    return f"{reverse('confirm-identity')}?{urlencode({'next': next_path})}"


def confirm_message() -> str:
    return CONFIRM % {"minutes": settings.REAUTHENTICATION_SECONDS // 60}


def keep_form(request: HttpRequest, path: str) -> None:
    """Keeps what the form at `path` sent (not its CSRF token) until it is shown again."""
    data = {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}
    kept = dict(request.session.get(KEPT_FORMS) or {})
    kept[path] = data
    request.session[KEPT_FORMS] = kept


def kept_form(request: HttpRequest, path: str):
    """What `keep_form` kept for `path`, as a QueryDict to bind a form to, once (None if
    nothing)."""
    kept = dict(request.session.get(KEPT_FORMS) or {})
    data = kept.pop(path, None)
    if data is None:
        return None
    request.session[KEPT_FORMS] = kept
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query


def recent_sign_in_required(view=None, *, keep: bool = True):
    """For views whose POST mints or replaces a credential: with a sign-in older than
    REAUTHENTICATION_SECONDS, a request from portal.js gets a 401 naming the confirmation
    page (the script keeps the dialog's choices and goes there); a plain form's data is kept
    (unless `keep` is False) and the browser sent to confirm, then back to the same path,
    whose GET shows the form again, filled (`kept_form`)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method != "POST" or signed_in_recently(request):
                return view(request, *args, **kwargs)
            back = request.path
            if request.headers.get("X-Requested-With") == "fetch":
                return JsonResponse(
                    {"detail": confirm_message(), "login_url": reverse("confirm-identity")},
                    status=401,
                )
            if keep:
                keep_form(request, back)
            return redirect(confirm_url(back))

        return wrapped

    return decorator(view) if view is not None else decorator


class ReauthenticationRequired(APIException):
    """The API's answer to a session too long signed in for what it asks (401)."""

    status_code = 401
    default_code = "reauthentication_required"

    def __init__(self) -> None:
        super().__init__()
        answer: dict = {
            "detail": confirm_message(),
            "reauthenticate_url": reverse("confirm-identity"),
        }
        self.detail = answer


def refuse_stale_session(request) -> None:
    """For API views that mint with a signed-in session: ReauthenticationRequired when the
    request came with a session whose sign-in is older than REAUTHENTICATION_SECONDS."""
    if isinstance(request.successful_authenticator, SessionAuthentication) and not (
        signed_in_recently(request)
    ):
        raise ReauthenticationRequired()


def signed_in_only(request, what: str) -> None:
    """Changes that can widen what a token does are made by a signed-in person whose sign-in
    is recent, never with a token (a 403 saying so; then refuse_stale_session's 401)."""
    if request.auth is not None:
        raise PermissionDenied(f"{what} by a signed-in user, not with a token.")
    refuse_stale_session(request)
