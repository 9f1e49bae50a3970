from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from rest_framework import exceptions

from accounts.models import Tenant, User
from accounts.permissions import request_capabilities
from core.paths import row_by_path_id
from tokens.models import ApiToken


class _TokenLookup:
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

    @staticmethod
    def _part(compiler, info) -> tuple[int, int, list[str]]:
        fields = info["select_fields"]
        names = [compiler.select[i][0].target.attname for i in fields]
        return fields[0], fields[-1] + 1, names

    def __call__(self, digest: str) -> ApiToken | None:
        using = self.using
        with _cursor(connections[using]) as cursor:
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


def _cursor(connection):
    """A cursor through Django's wrapper (so query logging, execute_wrapper and the test
    suite's query counts all see the lookup). On PostgreSQL it is a server-binding cursor that
    prepares the statement on first use: planning the three-table join costs more than running
    it, and Django's own cursors never prepare (for the sake of transaction poolers)."""
    if connection.vendor != "postgresql" or not connection.settings_dict.get(
        "PREPARE_TOKEN_LOOKUP"
    ):
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


_lookups: dict[str, _TokenLookup] = {}


def token_by_digest(digest: str, using: str = "default") -> ApiToken | None:
    """The token with this digest (revoked or not), with its issuer and its tenant loaded, in
    one indexed SELECT."""
    lookup = _lookups.get(using)
    if lookup is None:
        lookup = _lookups[using] = _TokenLookup(using)
    return lookup(digest)


# --- a part of a token's name, through the name index (tokens migration 0009) ----------------

NAME_SEARCH_TABLE = "tokens_name_search"


def name_match_ids(tokens, text: str, limit: int) -> list[int] | None:
    """The ids of `tokens` (a queryset: its own conditions apply) whose name contains `text`
    in any case, at most `limit` of them, found through the name index: PostgreSQL's
    trigram index (its planner uses it for icontains), SQLite's FTS5 trigram table. None
    where no index can answer: fewer than 3 characters (no trigram), or a query FTS5
    refuses."""
    from django.db.models.expressions import RawSQL

    if len(text) < 3:
        return None
    if connections[tokens.db].vendor == "sqlite":
        phrase = '"' + text.replace('"', '""') + '"'  # one FTS5 string: every character literal
        sql = f"SELECT rowid FROM {NAME_SEARCH_TABLE} WHERE {NAME_SEARCH_TABLE} MATCH %s"  # noqa: S608
        matching = RawSQL(sql, (phrase,))  # noqa: S611 (a constant; the text is a parameter)
        tokens = tokens.filter(pk__in=matching)
    else:
        tokens = tokens.filter(name__icontains=text)
    try:
        return list(tokens.order_by().values_list("pk", flat=True)[:limit])
    except DatabaseError:  # FTS5 could not take it: icontains reads every name instead
        return None


# --- what a request may see of the tokens table (the page and the API alike) -------------------


def scoped_credential(request) -> ApiToken | None:
    """The request's API token if it is narrowed by scopes: it reaches itself only here."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) and auth.scopes is not None else None


def visible_tokens(request):
    """The tokens the request may see, in every state (the list's status filter shows the
    current ones unless asked for others; by id, any)."""
    return (
        ApiToken.objects.visible_with(
            request.user, request_capabilities(request), getattr(request, "auth", None)
        )
        .with_status()
        .select_related("user", "revoked_by", "created_by")
    )


def get_visible_token(request, token_id: str) -> ApiToken:
    token = row_by_path_id(visible_tokens(request), token_id)
    if token is None:
        raise exceptions.NotFound("Token not found.")
    return token
