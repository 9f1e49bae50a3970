"""Sign in with Microsoft: social-auth's Entra v2 tenant backend, pinned to the tenant whose
custom URL the sign-in starts on, and a pipeline that turns the checked id_token into a portal
user of that tenant with the role its `roles` claim grants, re-read at every sign-in.

social-core checks the id_token itself: RS256 signature against the directory's published
keys, issuer, audience (our client id), expiry, and on a custom URL that `tid` is the tenant's.
"""

import logging
import uuid

from django.db import transaction
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from social_core.backends.azuread_tenant import AzureADV2TenantOAuth2
from social_core.exceptions import AuthException
from social_django.views import auth as social_auth
from social_django.views import complete as social_complete

from accounts import entra
from accounts.models import Tenant, User
from accounts.reauthentication import mark_signed_in
from accounts.services import user_entra_signed_in, user_role_clear

logger = logging.getLogger(__name__)


class SignInRefused(AuthException):
    """Entra vouched for the person, but this portal will not open a session for them. The
    message is for that person, so it is what the refusal page shows."""

    def __init__(self, backend, reason: str) -> None:
        super().__init__(backend, reason, code="authentication_disallowed", stage="pipeline")
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class EntraOAuth2(AzureADV2TenantOAuth2):
    """Entra ID sign-in. On a tenant's custom URL the authority is that tenant's directory,
    so only its accounts can sign in there; on the generic portal it is `organizations`, and
    the token's `tid` decides the tenant."""

    name = "entra"
    ID_KEY = "oid"  # the object id: stable for the person, unlike their name or UPN
    LEGACY_ID_KEYS = ()
    # Openid only: no refresh token is asked for, and none of Entra's tokens is stored.
    DEFAULT_SCOPE = ["openid", "profile", "email"]

    def extra_data(self, user, uid, response, details, pipeline_kwargs):
        # Only who they are: Entra's access token is never stored (the base class keeps it).
        return {"oid": response.get("oid"), "tid": response.get("tid")}

    @property
    def tenant_id(self) -> str:
        tenant = getattr(getattr(self.strategy, "request", None), "tenant", None)
        if tenant is not None and tenant.entra_tenant_id is not None:
            return str(tenant.entra_tenant_id)
        return "organizations"

    @property
    def base_url(self) -> str:
        # ENTRA_AUTHORITY may be http:// for the local fake Entra, which social-core's own
        # AUTHORITY_URL setting (HTTPS only) would refuse.
        return entra.authority_url(self.tenant_id)

    def get_user(self, user_id):
        # Sessions opened by this backend end as soon as the user is deprovisioned.
        user = User.objects.filter(pk=user_id).first()
        return user if user is not None and not user.is_deprovisioned else None


def portal_identity(backend, response, request=None, *args, **kwargs):
    """The tenant and role that the checked id_token grants, or a refusal saying why."""
    tid = response.get("tid")
    try:
        tenant = Tenant.objects.filter(entra_tenant_id=uuid.UUID(str(tid))).first()
    except ValueError:
        tenant = None
    if tenant is None:
        raise SignInRefused(
            backend,
            "Your organisation's Microsoft Entra directory is not connected to any tenant of "
            "this portal.",
        )
    host_tenant = getattr(backend.strategy.request, "tenant", None)
    if host_tenant is not None and host_tenant.pk != tenant.pk:
        raise SignInRefused(backend, "This account belongs to another tenant's portal.")
    try:
        oid = uuid.UUID(str(response.get("oid")))
    except ValueError:
        raise SignInRefused(backend, "The sign-in did not identify an Entra user.") from None
    role = entra.role_from_claim(response.get("roles"))
    if role is None:
        # A role removed in Entra is removed here too, so the user's tokens stop at once.
        user_role_clear(tenant=tenant, entra_object_id=oid)
        raise SignInRefused(
            backend,
            "Your account has no role in this portal. Ask an administrator to assign you one "
            "of the portal's app roles in Microsoft Entra ID.",
        )
    return {"tenant": tenant, "oid": oid, "role": role}


@transaction.atomic
def portal_user(backend, uid, details, response, tenant, oid, role, *args, **kwargs):
    """Finds the user by Entra object id within the tenant (or, once, by user name, to adopt
    an account made by an administrator or SCIM), creates one on first sign-in, and brings
    role and names up to date."""
    username = (response.get("preferred_username") or response.get("upn") or "").strip()
    people = User.objects.in_tenant(tenant.pk)
    user = people.filter(entra_object_id=oid).first()
    if user is None and username:
        namesake = people.filter(username__iexact=username).first()
        if namesake is not None and namesake.is_service_account:
            # A service account never signs in: no person takes it over by its name.
            raise SignInRefused(
                backend,
                "A service account of this portal has your user name, so Microsoft sign-in "
                "cannot use it. Ask an administrator to rename the service account.",
            )
        if namesake is not None and (namesake.is_local or namesake.entra_object_id is not None):
            # A local break-glass account keeps its password and role: Entra never takes it
            # over. Nor does it take another Entra identity's account.
            raise SignInRefused(
                backend,
                "A local account of this portal has your user name, so Microsoft sign-in "
                "cannot use it. Ask an administrator to rename one of the two.",
            )
        user = namesake  # made for Entra by an administrator or by SCIM: adopted once
    is_new = user is None
    if user is None:
        if not username:
            raise SignInRefused(backend, "The sign-in did not say who you are (no user name).")
        user = User(tenant=tenant, username=username)
        user.set_unusable_password()  # signs in with Microsoft only
    if user.is_deprovisioned:
        raise SignInRefused(
            backend, "Your account has been deprovisioned. Ask an administrator to restore it."
        )
    user.entra_object_id = oid
    user.role = role
    user.first_name = (details.get("first_name") or user.first_name)[:150]
    user.last_name = (details.get("last_name") or user.last_name)[:150]
    user.email = response.get("email") or user.email or ""
    social = user_entra_signed_in(user=user, provider=backend.name, uid=str(uid))
    return {"user": user, "social": social, "is_new": is_new}


def confirmed_identity(backend, user, *args, **kwargs):
    """Signing in with Microsoft while signed in is confirming who you are (the
    confirmation page, accounts/reauthentication.py): social-core logs nobody in then, so the
    moment is noted here, for the same person only. Another person's Entra account cannot
    vouch for this session: refused, and the session stays as it was."""
    request = backend.strategy.request
    current = getattr(request, "user", None)
    if current is None or not current.is_authenticated:
        return  # a sign-in: Django's user_logged_in notes the moment
    if current.pk != user.pk:
        raise SignInRefused(
            backend,
            f"You confirmed as {user.username}, but {current.username} is signed in here: "
            "nothing was confirmed. To switch accounts, sign out first.",
        )
    mark_signed_in(request)


@never_cache
def complete(request, backend: str, *args, **kwargs):
    """social-auth's callback, with every refusal (ours, or social-core's on a bad token or
    state) shown as a page that says what happened, and no session."""
    try:
        return social_complete(request, backend, *args, **kwargs)
    except AuthException as error:
        # For whoever reads the logs: social-core's code, stage and claim, never a token.
        logger.warning(
            "Microsoft sign-in refused: %s (code=%s stage=%s claim=%s)",
            error,
            error.code,
            error.stage,
            error.claim,
        )
        return render(
            request,
            "account/sign_in_refused.html",
            {"reason": _reason(error)},
            status=403,
        )


@never_cache
def begin(request, backend: str):
    """The "Sign in with Microsoft" button's target (a POST with CSRF, as social-auth wants)."""
    tenant = getattr(request, "tenant", None)
    reason = None
    if not entra.sso_enabled():
        reason = "Microsoft sign-in is not configured on this portal (ENTRA_CLIENT_ID)."
    elif tenant is not None and tenant.entra_tenant_id is None:
        reason = f"{tenant.name} has not connected a Microsoft Entra directory to this portal."
    if reason is not None:
        return render(request, "account/sign_in_refused.html", {"reason": reason}, status=403)
    return social_auth(request, backend)


def _reason(error: AuthException) -> str:
    """Ours say it all; social-core's public message is generic, so the claim or detail that
    failed (e.g. "Token tenant does not match configured tenant") is added."""
    if isinstance(error, SignInRefused):
        return error.reason
    claim = {"aud": "audience", "iss": "issuer", "tid": "tenant", "exp": "expiry"}.get(
        error.claim or "", f"claim '{error.claim}'" if error.claim else ""
    )
    specifics = error.detail or (f"the token's {claim}" if claim else "")
    return f"{error} ({specifics})" if specifics else str(error)
