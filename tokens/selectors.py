"""What a request may see of the tokens table (the page and the API alike), and a part of
a token's name found through the name index."""

from django.db import DatabaseError, connections
from rest_framework import exceptions

from accounts.permissions import request_capabilities
from core.paths import row_by_path_id
from tokens.models import ApiToken

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
        ApiToken.objects.in_any_state_for_credential(
            request.user, request_capabilities(request), getattr(request, "auth", None)
        )
        .with_status()
        .select_related("user", "revoked_by", "created_by", "approved_by")
    )


def get_visible_token(request, token_id: str) -> ApiToken:
    token = row_by_path_id(visible_tokens(request), token_id)
    if token is None:
        raise exceptions.NotFound("Token not found.")
    return token
