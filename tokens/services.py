"""Every change to tokens goes through here: the page, the API, the admin, the
authentication path (last used, at most once a minute) and management commands call these."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tokens import keys
from tokens.models import ApiToken, Kind, validate_token_name


def token_check_new(*, user, name: str) -> str:
    """The checks a new token must pass, for forms that show them before anything is written;
    returns the name as it will be stored."""
    if user.tenant_id is None:
        raise ValidationError("Only users of a tenant can generate tokens.", code="no_tenant")
    if user.is_deprovisioned:
        raise ValidationError("Deprovisioned users cannot generate tokens.", code="deprovisioned")
    return token_check_name(name)


def token_check_name(name: str) -> str:
    """A token name as it will be stored (trimmed), or a ValidationError on `name`."""
    name = (name or "").strip()
    try:
        validate_token_name(name)  # before full_clean, so the message is ours, not the field's
    except ValidationError as error:
        raise ValidationError({"name": error.error_list}) from None
    return name


class AlreadySubmitted(Exception):
    """The form that asked for this token was submitted before, and made `token` then (its
    value went to that first answer only). Nothing more was written."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__(f"Already submitted: it made the token {token.name!r}")
        self.token = token


@transaction.atomic
def token_generate(
    *,
    user,
    name: str,
    kind: str = Kind.API,
    submission_key: str = "",
    created_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Creates a token for `user` and returns it with its value. The value exists only in
    this return value: the caller shows it once and forgets it. With a `submission_key`
    (a form's one-time key) a second request with the same key makes nothing and raises
    AlreadySubmitted, however close together the two arrive. `created_at` is now unless
    given (the demo data's tokens are weeks old)."""
    name = token_check_new(user=user, name=name)
    refuse_if_submitted(user=user, submission_key=submission_key)
    value = keys.generate(kind)
    token = ApiToken(
        tenant_id=user.tenant_id,
        user=user,
        kind=kind,
        name=name,
        digest=keys.digest(value),
        suffix=keys.suffix(value),
        submission_key=submission_key,
        created_at=created_at or timezone.now(),
    )
    token.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        # The same key, an instant earlier: the unique constraint decides the race.
        if submission_key and (earlier := _submitted(user, submission_key)) is not None:
            raise AlreadySubmitted(earlier) from None
        raise
    return token, value


LAST_USED_PRECISION = timedelta(seconds=60)


def token_mark_used(*, token: ApiToken, at: datetime | None = None) -> None:
    """Records that `token` was used `at` (now): at most one write a minute per token, and
    none when the time it carries is recent enough, so a request costs no write then."""
    now = at or timezone.now()
    stale_before = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at >= stale_before:
        return
    # Conditional, so that concurrent requests on several servers write once between them.
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


def refuse_if_submitted(*, user, submission_key: str) -> None:
    """Raises AlreadySubmitted if a form with this one-time key already made a token (for
    callers that must say so before any other check, as adding a SIEM agent does)."""
    if submission_key and (earlier := _submitted(user, submission_key)) is not None:
        raise AlreadySubmitted(earlier)


def _submitted(user, submission_key: str) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, submission_key=submission_key).first()


@transaction.atomic
def token_rename(*, token: ApiToken, name: str) -> ApiToken:
    """A new display name; the value, owner and kind never change."""
    token.name = token_check_name(name)
    ApiToken.objects.filter(pk=token.pk).update(name=token.name)
    return token


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> bool:
    """Revokes a token at once: the next request made with it is refused. The row stays, with
    who revoked it and when, for audit. Returns False if it was already revoked."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if revoked:
        token.revoked_at, token.revoked_by = now, by
    return bool(revoked)


@transaction.atomic
def scim_token_rotate(*, user) -> tuple[ApiToken, str]:
    """A new SCIM secret token for the user's tenant (what Entra's provisioning service is
    given). A tenant has one: any earlier SCIM token stops working at once."""
    for token in ApiToken.objects.for_tenant(user.tenant_id).live().filter(kind=Kind.SCIM):
        token_revoke(token=token, by=user)
    return token_generate(user=user, name="SCIM provisioning", kind=Kind.SCIM)
