"""Service accounts: users of a tenant that are not people. A service account holds a role
from the same table as people, owns API tokens that act with that role (within their
scopes) and outlive anyone who set them up, and never signs in: no password, no Entra
identity, invisible to SCIM. Its custodians, people of the tenant named by a full admin,
generate and manage its tokens as their own (DECISIONS 93).

A service account whose last active custodian is deprovisioned keeps working (its tokens
depend on no person) and is marked "no custodian" until a full admin names one; the
deprovisioning sends `custodians_lost` for the alert (accounts/signals.py)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction

from accounts.models import User
from accounts.roles import Capability, Role
from accounts.services import user_save
from accounts.signals import service_account_changed
from core.http import SYSTEM, Origin
from core.inputs import INT64

# Letters, digits, dots, hyphens and underscores, no "@": the names Entra gives people
# (user principal names) always hold one, so a person signing in or provisioned by SCIM
# never meets a service account's name.
validate_service_account_name = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z",
    "Use 1 to 64 letters, digits, dots, hyphens and underscores, starting with a letter or "
    "a digit (no @: people's names have one).",
)

Custody = User.custodians.through  # (from_user: the service account, to_user: its custodian)


def custodians_check(*, tenant_id: int, custodians) -> list[User]:
    """The custodians named by `custodians` (user ids): active people of the tenant, at
    least one. A ValidationError on `custodians` names any other id."""
    if not isinstance(custodians, list | tuple) or not custodians:
        raise ValidationError({"custodians": ["Name at least one custodian: a person's id."]})
    ids: list[int] = []
    for entry in custodians:
        if isinstance(entry, bool) or not isinstance(entry, int | str):
            raise ValidationError({"custodians": [f"{entry!r} is not a user id."]})
        try:
            pk = int(entry)
        except ValueError:
            raise ValidationError({"custodians": [f"{entry!r} is not a user id."]}) from None
        if not 1 <= pk <= INT64:
            raise ValidationError({"custodians": [f"{entry!r} is not a user id."]})
        ids.append(pk)
    people = {
        user.pk: user
        for user in User.objects.people_in(tenant_id).filter(
            pk__in=ids, deprovisioned_at__isnull=True, is_active=True
        )
    }
    if unknown := [str(pk) for pk in ids if pk not in people]:
        raise ValidationError(
            {
                "custodians": [
                    f"Not an active person of this tenant: {', '.join(unknown)}. A custodian "
                    "is a person who may sign in."
                ]
            }
        )
    return [people[pk] for pk in dict.fromkeys(ids)]


def _role_check(role) -> str:
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose one of: {', '.join(Role.values)}."]})
    return role


@transaction.atomic
def service_account_create(
    *,
    tenant,
    name: str,
    role: str,
    custodians: Iterable[int],
    by: User | None = None,
    origin: Origin = SYSTEM,
) -> User:
    """Creates a service account in `tenant` with `role` and its `custodians` (user ids,
    checked by custodians_check). It has an unusable password and no Entra identity: it
    cannot sign in. A name a user of the tenant already has is a Conflict. The tenant's
    event log gets who did it, from `origin`."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}  # every field's, at once
    try:
        validate_service_account_name(name)
    except ValidationError as error:
        errors["name"] = error.messages
    try:
        _role_check(role)
    except ValidationError as error:
        errors.update(error.message_dict)
    people: list[User] = []
    try:
        people = custodians_check(tenant_id=tenant.pk, custodians=list(custodians))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    account = User(tenant=tenant, username=name, role=role, is_service_account=True)
    user_save(user=account)  # an unusable password: no sign-in with one
    account.custodians.set(people)
    _changed(
        account,
        by,
        origin,
        f"Service account {account.username} created with the role {account.role_label}; "
        f"custodians: {_names(people)}.",
    )
    return account


@transaction.atomic
def service_account_change(
    *,
    account: User,
    role: str | None = None,
    custodians: Iterable[int] | None = None,
    by: User | None = None,
    origin: Origin = SYSTEM,
) -> User:
    """Changes a service account's role (its tokens follow, as a person's do: the role
    change's events) or names its custodians anew (at least one active person). What
    changed goes to the tenant's event log (nothing changed: no event)."""
    if not account.is_service_account:
        raise ValidationError("Only a service account has custodians.")
    said = []
    if custodians is not None:
        assert account.tenant_id is not None  # noqa: S101 (a service account has a tenant)
        people = custodians_check(tenant_id=account.tenant_id, custodians=list(custodians))
        before = list(account.custodians.order_by("username"))
        if {p.pk for p in before} != {p.pk for p in people}:
            account.custodians.set(people)
            said.append(f"custodians: {_names(before)} → {_names(people)}")
    if role is not None and role != account.role:
        before_label = account.role_label
        account.role = _role_check(role)
        user_save(user=account)
        said.append(f"role: {before_label} → {account.role_label}")
    if said:
        _changed(account, by, origin, f"Service account {account.username}: {'; '.join(said)}.")
    return account


def _names(people) -> str:
    return ", ".join(sorted(person.username for person in people)) or "none"


def _changed(account: User, by, origin: Origin, detail: str) -> None:
    service_account_changed.send(sender=User, account=account, by=by, origin=origin, detail=detail)


def custody_ids(user: User) -> list[int]:
    """The service accounts `user` is an active custodian of (one query, kept on the user
    object for the request): whose tokens they see and manage as their own."""
    cached = getattr(user, "_custody_ids", None)
    if cached is None:
        cached = []
        if not user.is_service_account and user.tenant_id is not None:
            cached = list(
                Custody.objects.filter(
                    to_user=user,
                    from_user__tenant_id=user.tenant_id,
                    from_user__deprovisioned_at__isnull=True,
                ).values_list("from_user_id", flat=True)
            )
        user._custody_ids = cached  # type: ignore[attr-defined]  # kept for the request
    return cached


def acts_for(user: User, owner: User, capabilities: frozenset) -> bool:
    """Whether `user` (holding `capabilities`) manages `owner`'s tokens as their own: their
    own, or a service account of their tenant that they are a custodian of, or any service
    account of it for a full admin."""
    if owner.pk == user.pk:
        return True
    if not owner.is_service_account or owner.tenant_id != user.tenant_id:
        return False
    return Capability.TOKENS_MANAGE_ALL in capabilities or owner.pk in custody_ids(user)


def may_generate_for(user: User, capabilities: frozenset):
    """The service accounts `user` may generate tokens for: active ones of their tenant that
    they are a custodian of (every one, for a full admin), by name."""
    accounts = User.objects.service_accounts_in(user.tenant_id).filter(
        deprovisioned_at__isnull=True, is_active=True
    )
    if Capability.TOKENS_MANAGE_ALL not in capabilities:
        ids = custody_ids(user)  # kept for the request: no query when already read
        accounts = accounts.filter(pk__in=ids) if ids else accounts.none()
    return accounts.order_by("username")
