"""The lookup every API request makes: the token with a value's digest, with its issuer and
tenant, in one indexed SELECT (the hot path; `make bench` measures it).

CompiledTokenLookup has the ORM write the SQL and the column converters once and then
only executes it, reading the compiler's layout (`klass_info`, `select`, converters),
building instances as Model.from_db does (ModelState) and, on PostgreSQL, preparing the
statement through the connection's `_prepare_cursor`. Those are Django internals: if a
release moves them, building it fails, a warning names this file, and PlainTokenLookup
(the ORM's public API, the same one SELECT) serves instead;
tests/integration/test_token_lookup.py fails loudly so that we notice."""

import logging

import django
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from accounts.models import Tenant, User
from tokens.models import ApiToken

logger = logging.getLogger(__name__)


class CompiledTokenLookup:
    """The authentication lookup, compiled once per database connection alias.

    Building and compiling a queryset costs far more than running it (about 0.4 ms of ORM work
    against 0.05 ms for the indexed SELECT), and this query runs on every API request. So the
    ORM writes the SQL and the column converters once, from the same queryset that a plain
    `select_related(...).filter(digest=...)` would use, and each request only executes it and
    builds the three model instances. Nothing about a token is cached: every request reads
    the row as it is now."""

    DEFERRED = (
        "submission_key",
        "last_used_ip",
        "last_used_user_agent",
        "recent_ips",
        "approved_at",
        "user__password",
        "user__last_login",
        "user__date_joined",
        "tenant__created_at",
    )

    def __init__(self, using: str) -> None:
        self.using = using
        # Columns that no API request reads are left for Django to load on first access.
        queryset = (
            ApiToken.objects.using(using).select_related("user", "tenant").defer(*self.DEFERRED)
        )
        compiler = queryset.filter(digest="").query.get_compiler(using)
        self.sql, params = compiler.as_sql()
        if params != ("",):  # only a change to the queryset above could cause this
            raise ImproperlyConfigured(
                "the token lookup must take the digest as its only parameter"
            )
        self.compiler = compiler
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select])
        related = {info["field"].name: info for info in compiler.klass_info["related_klass_infos"]}
        self.token_part = self._part(compiler, compiler.klass_info)
        self.user_part = self._part(compiler, related["user"])
        self.tenant_part = self._part(compiler, related["tenant"])
        loaded = {f.attname for f in ApiToken._meta.concrete_fields} - set(self.DEFERRED)
        if set(self.token_part[2]) != loaded:
            raise ImproperlyConfigured("the compiled select no longer lays out the token's columns")
        if not callable(getattr(compiler, "apply_converters", None)):
            raise ImproperlyConfigured("Django's compiler no longer has apply_converters")
        connection = connections[using]
        if self.prepared(connection) and not hasattr(connection, "_prepare_cursor"):
            raise ImproperlyConfigured("Django's connection no longer has _prepare_cursor")

    @staticmethod
    def _part(compiler, info) -> tuple[int, int, list[str]]:
        fields = info["select_fields"]
        names = [compiler.select[i][0].target.attname for i in fields]
        return fields[0], fields[-1] + 1, names

    def __call__(self, digest: str) -> ApiToken | None:
        using = self.using
        with self.cursor(connections[using]) as cursor:
            cursor.execute(self.sql, (digest,))
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        token = self._build(ApiToken, using, self.token_part, row)
        user = self._build(User, using, self.user_part, row)
        tenant = self._build(Tenant, using, self.tenant_part, row)
        ApiToken.user.field.set_cached_value(token, user)
        ApiToken.tenant.field.set_cached_value(token, tenant)
        if user.tenant_id == tenant.pk:
            User.tenant.field.set_cached_value(user, tenant)
        return token

    @staticmethod
    def _build(model, using, part, row):
        """What Model.from_db does, minus the generic __init__ (a third of the lookup's time),
        unless something listens for the model's init signals."""
        start, end, names = part
        if pre_init.has_listeners(model) or post_init.has_listeners(model):
            return model.from_db(using, names, row[start:end])
        instance = model.__new__(model)
        instance.__dict__.update(zip(names, row[start:end], strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, using
        return instance

    @staticmethod
    def prepared(connection) -> bool:
        return connection.vendor == "postgresql" and bool(
            connection.settings_dict.get("PREPARE_TOKEN_LOOKUP")
        )

    def cursor(self, connection):
        """A cursor through Django's wrapper (so query logging, execute_wrapper and the test
        suite's query counts all see the lookup). On PostgreSQL it is a server-binding cursor
        that prepares the statement on first use: planning the three-table join costs more
        than running it, and Django's own cursors never prepare (for the sake of transaction
        poolers)."""
        if not self.prepared(connection):
            return connection.cursor()
        connection.ensure_connection()
        return connection._prepare_cursor(_PreparedCursor(connection.connection))


try:
    import psycopg

    class _PreparedCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

except ImportError:  # pragma: no cover - PostgreSQL is optional
    psycopg = None  # type: ignore[assignment]


class PlainTokenLookup:
    """The same lookup through the ORM's public API: one indexed SELECT too, about 0.4 ms
    more per request. Used where CompiledTokenLookup cannot be built (a Django release moved
    the internals it reads)."""

    def __init__(self, using: str) -> None:
        self.queryset = (
            ApiToken.objects.using(using)
            .select_related("user", "tenant")
            .defer(*CompiledTokenLookup.DEFERRED)
        )

    def __call__(self, digest: str) -> ApiToken | None:
        token = self.queryset.filter(digest=digest).first()
        if token is not None and token.user.tenant_id == token.tenant_id:
            token.user.tenant = token.tenant  # the issuer's tenant is the token's: no query
        return token


# What a Django release that moved the compiler's or the connection's internals raises
# while CompiledTokenLookup is built.
INTERNALS_MOVED = (AttributeError, KeyError, IndexError, TypeError, ImproperlyConfigured)


def make_lookup(using: str) -> CompiledTokenLookup | PlainTokenLookup:
    try:
        return CompiledTokenLookup(using)
    except INTERNALS_MOVED as error:
        logger.warning(
            "tokens/lookup.py: the compiled token lookup cannot be built on Django %s (%s: %s);"
            " the plain ORM lookup serves instead",
            django.get_version(),
            type(error).__name__,
            error,
        )
        return PlainTokenLookup(using)


_lookups: dict[str, CompiledTokenLookup | PlainTokenLookup] = {}


def token_by_digest(digest: str, using: str = "default") -> ApiToken | None:
    """The token with this digest (revoked or not), with its issuer and its tenant loaded, in
    one indexed SELECT."""
    lookup = _lookups.get(using)
    if lookup is None:
        lookup = _lookups[using] = make_lookup(using)
    return lookup(digest)
