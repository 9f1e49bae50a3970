"""What a new token may do: the scopes it may be narrowed to, and what it is granted (its
owner's capabilities now, within its scopes, and within its generator's when a custodian or
a full admin generates it for a service account; DECISIONS 93)."""

from django.core.exceptions import ValidationError

from accounts.roles import SCOPES


def for_service_account(owner, by) -> frozenset | None:
    """What a token that `by` generates for `owner` may at most be granted: `by`'s own
    capabilities when `owner` is a service account of `by`'s tenant (a custodian's, or a
    full admin's, who holds them all); None (no limit beyond the owner's) otherwise."""
    if by is None or not owner.is_service_account or by.tenant_id != owner.tenant_id:
        return None
    return by.capabilities


def granted_for(user, scopes, limit: frozenset | None) -> list[str]:
    """What a new token may do: its owner's capabilities now, within its scopes and `limit`."""
    held = user.capabilities if scopes is None else user.capabilities & set(scopes)
    if limit is not None:
        held = held & limit
    return sorted(c.value if hasattr(c, "value") else c for c in held)


def token_check_scopes(user, scopes, *, limit: frozenset | None = None) -> list[str] | None:
    """The scopes a new token of `user` may have: None (the same as the role), or a list of
    known scopes (accounts.roles.SCOPES) that the role has, sorted and without repeats, and
    within `limit` if given (the capabilities of whoever generates a service account's
    token). Raises ValidationError (on `scopes`) naming an unknown one or one the role
    lacks."""
    if scopes is None:
        return None
    if not scopes:
        raise ValidationError(
            {"scopes": ["Choose at least one capability, or keep the same as your role."]}
        )
    known = {scope.value for scope in SCOPES}
    unknown = [scope for scope in scopes if scope not in known]
    if unknown:
        raise ValidationError(
            {
                "scopes": [
                    f"Unknown capability: {unknown[0]!r}. Choose among {', '.join(sorted(known))}."
                ]
            }
        )
    lacking = sorted(set(scopes) - {c.value for c in user.capabilities})
    if lacking:
        raise ValidationError(
            {"scopes": [f"Your role ({user.role_label}) does not have {', '.join(lacking)}."]}
            if not user.is_service_account
            else {"scopes": [f"Its role ({user.role_label}) does not have {', '.join(lacking)}."]}
        )
    beyond = sorted(set(scopes) - {c.value for c in limit}) if limit is not None else []
    if beyond:
        raise ValidationError(
            {
                "scopes": [
                    f"You may not use {', '.join(beyond)} yourself, so you cannot give it to "
                    "a service account's token."
                ]
            }
        )
    return sorted(set(scopes))
