"""Which tokens a person may see, by state and by the credential of the request."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from accounts.roles import Capability
from accounts.service_accounts import custody_ids
from core.tenancy import TenantQuerySet
from tokens.lifecycle import Status, status_conditions
from tokens.models.terms import Kind


def owned_by_or_in_custody_of(rows, user, field: str = "user"):
    """`rows` of `user`'s own tokens, and of the service accounts they are an active
    custodian of (theirs to manage as their own): `field` names the owner."""
    if ids := custody_ids(user):
        return rows.filter(**{f"{field}_id__in": [user.pk, *ids]})
    return rows.filter(**{field: user})


if TYPE_CHECKING:
    from tokens.models.token import ApiToken


class ApiTokenQuerySet(TenantQuerySet):
    def live(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)

    def current(self) -> "ApiTokenQuerySet":
        """Live and not replaced by a rotation: what the table lists (a replaced token in
        its grace period shows on its successor's row)."""
        return self.live().filter(replaced_at__isnull=True)

    def in_grace(self, now: datetime) -> "ApiTokenQuerySet":
        """Replaced by a rotation and still working (the lifecycle's "rotated")."""
        return self.filter(status_conditions(now)[Status.ROTATED])

    def with_status(self, now: datetime | None = None) -> "ApiTokenQuerySet":
        """Annotates `status` (tokens/lifecycle.py), derived at query time, so never stale."""
        conditions = status_conditions(now or timezone.now())
        return self.annotate(
            status=Case(
                *(When(condition, then=Value(status)) for status, condition in conditions.items()),
                output_field=models.CharField(),
            )
        )

    def filter_status(self, status: str, now: datetime | None = None) -> "ApiTokenQuerySet":
        # Filters on the columns themselves, not on the annotation, so an index can serve it.
        return self.filter(status_conditions(now or timezone.now())[status])

    def chain(self, token: "ApiToken") -> "ApiTokenQuerySet":
        """Every value of the token's rotation chain (the token alone if never rotated)."""
        root = token.chain_id or token.pk
        return self.filter(Q(pk=root) | Q(chain_id=root))

    def lock_chain(self, token: "ApiToken") -> list["ApiToken"]:
        """Takes the row lock of the token's chain (its first token's row, which every value
        of it names), then reads the chain as it is now: of a rotation and a revocation at
        once, one waits for the other and sees what it did. Call inside a transaction."""
        root = token.chain_id or token.pk
        list(self.select_for_update().filter(pk=root).values_list("pk", flat=True))
        return list(self.chain(token).select_related("user", "tenant").order_by("pk"))

    def listed_for(self, user, capabilities: frozenset[Capability]) -> "ApiTokenQuerySet":
        """The table's rows for a user holding `capabilities` (the request's,
        accounts.permissions.request_capabilities): the current API tokens only (not
        revoked, not rotated out), with TOKENS_MANAGE_ALL every one of the tenant, otherwise
        their own."""
        return self.in_any_state_for(user, capabilities).current()

    def in_any_state_for(
        self, user, capabilities: frozenset[Capability], kind: str | None = Kind.API
    ) -> "ApiTokenQuerySet":
        """As listed_for, in every state (revoked, rotated out): what a user may look up by
        id, or list under a status filter that asks for them (of `kind`; None: of every
        kind)."""
        if user.tenant_id is None:
            return self.none()
        tokens = self.for_tenant(user.tenant_id)
        if kind is not None:
            tokens = tokens.filter(kind=kind)
        if Capability.TOKENS_MANAGE_ALL not in capabilities:
            tokens = owned_by_or_in_custody_of(tokens, user)
        return tokens

    def in_any_state_for_credential(self, user, capabilities, credential) -> "ApiTokenQuerySet":
        """As in_any_state_for, for a request made with `credential`: a token narrowed by
        scopes reaches itself only (it may read and revoke itself, and nothing else of the
        table)."""
        tokens = self.in_any_state_for(user, capabilities)
        token = credential if isinstance(credential, self.model) else None
        if token is not None and getattr(token, "scopes", None) is not None:
            tokens = tokens.filter(pk=token.pk)
        return tokens
