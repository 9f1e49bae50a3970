"""Changes to tenants and users: the Django admin, the management commands, the users API
and SCIM provisioning all call these."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import SeenApplication, Tenant, User
from accounts.signals import custodians_lost, role_changed
from core.errors import Conflict


@transaction.atomic
def tenant_save(*, tenant: Tenant) -> Tenant:
    """Creates or changes a tenant, checked by its model first (slug, region, Entra id). A
    slug or directory that a concurrent save took is a Conflict (nothing written)."""
    tenant.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError:
        raise Conflict(f"A tenant with the slug {tenant.slug!r} or its directory exists") from None
    return tenant


@transaction.atomic
def user_save(
    *, user: User, password: str | None = None, checked_elsewhere: tuple[str, ...] = ()
) -> User:
    """Creates or changes a user (the admin's forms, SCIM, the demo data), checked by the
    model first, but for the fields in `checked_elsewhere` (SCIM takes the user names Entra
    has, apostrophes included, which Django's validator refuses). With `password`, it is set
    (hashed) before the save; without, a new user has an unusable one (they sign in with
    Microsoft). A user name that a concurrent request took is a Conflict (nothing written)."""
    if password is not None:
        user.set_password(password)
    elif user._state.adding and not user.password:
        user.set_unusable_password()
    user.full_clean(
        exclude=list(checked_elsewhere), validate_unique=False, validate_constraints=False
    )
    before = None
    if not user._state.adding:
        before = User.objects.filter(pk=user.pk).values_list("role", flat=True).first()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict(f"A user named {user.username} exists") from None
    if before is not None and before != user.role:
        # In this transaction: the tokens' events are written with the change, or neither.
        role_changed.send(sender=User, user=user, before=before, after=user.role)
    return user


def _end_sessions(user: User) -> int:
    from allauth.usersessions.models import UserSession

    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()  # deletes it from the session store, wherever that is
    return len(sessions)


@transaction.atomic
def user_deprovision(*, user: User) -> bool:
    """Takes a user out of the portal at once: no sign-in, every open session ended, and their
    API tokens, kept (and shown marked on the tokens page), refused with a 403 from the next
    request. Returns False if the user was already deprovisioned."""
    # Their custody ends with them; a service account they were the last active custodian
    # of keeps working, and its tenant is told (an alert per account).
    orphaned = list(User.objects.left_without_custodian_by(user))
    updated = User.objects.filter(pk=user.pk, deprovisioned_at__isnull=True).update(
        deprovisioned_at=timezone.now()
    )
    user.refresh_from_db(fields=["deprovisioned_at"])
    if updated and orphaned:
        custodians_lost.send(sender=User, accounts=orphaned, custodian=user)
    # Ended even when the flag was already set: it costs nothing and catches a session that
    # raced the flag.
    _end_sessions(user)
    return bool(updated)


@transaction.atomic
def user_role_clear(*, tenant: Tenant, entra_object_id) -> None:
    """A role removed in Entra is removed here too (at a refused sign-in), so the user's
    tokens lose every privilege at once."""
    users = User.objects.in_tenant(tenant.pk).filter(entra_object_id=entra_object_id)
    for user in users.exclude(role="").select_for_update():
        before = user.role
        User.objects.filter(pk=user.pk).update(role="")
        user.role = ""
        role_changed.send(sender=User, user=user, before=before, after="")


@transaction.atomic
def user_entra_signed_in(*, user: User, provider: str, uid: str):
    """Saves a user as an Entra sign-in found or made them (role and names from the claims)
    and links the Entra identity to them. Entra's user names and addresses are Entra's to
    judge (an apostrophe is fine there), as for SCIM."""
    from social_django.models import UserSocialAuth

    user_save(user=user, checked_elsewhere=("username", "email"))
    social, _ = UserSocialAuth.objects.update_or_create(
        provider=provider, uid=uid, defaults={"user": user}
    )
    return social


@transaction.atomic
def user_scim_delete(*, user: User) -> None:
    """SCIM DELETE: deprovisioned as everywhere (sessions end, tokens kept and refused), and
    no longer a SCIM resource (is_active=False); the row stays, so the tokens stay marked."""
    user_deprovision(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False


@transaction.atomic
def user_reprovision(*, user: User) -> bool:
    """The reverse of user_deprovision: the user may sign in again and their tokens work again
    (with the privileges of their role now). Returns False if they were not deprovisioned."""
    updated = (
        User.objects.filter(pk=user.pk)
        .exclude(deprovisioned_at__isnull=True, is_active=True)
        .update(deprovisioned_at=None, is_active=True)
    )
    user.refresh_from_db(fields=["deprovisioned_at", "is_active"])
    return bool(updated)


SEEN_PRECISION = 60  # seconds: an application's last call is written at most this often


def application_seen(*, application, ip: str | None) -> None:
    """An Entra application called the tenant's API: its row (the credential inventory's),
    made on its first call and brought up to date at most once a minute (a gate in the
    shared cache), so that a busy application costs no write per request."""
    tenant_id, app_id = application.tenant_id, application.app_id[:100]
    if not cache.add(f"entra-app-seen:{tenant_id}:{app_id}", 1, timeout=SEEN_PRECISION):
        return
    now = timezone.now()
    granted = sorted(c.value for c in application.capabilities)
    fields = {"last_seen": now, "last_ip": ip, "capabilities": granted}
    updated = SeenApplication.objects.filter(tenant_id=tenant_id, app_id=app_id).update(**fields)
    if updated:
        return
    try:
        with transaction.atomic():
            SeenApplication.objects.create(
                tenant_id=tenant_id, app_id=app_id, first_seen=now, **fields
            )
    except IntegrityError:  # its first two calls at once, on two servers: one row
        SeenApplication.objects.filter(tenant_id=tenant_id, app_id=app_id).update(**fields)
