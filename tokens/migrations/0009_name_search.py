# A part of a token's name found through an index, however many tokens a tenant has
# (DECISIONS 61): trigrams of the names, on each engine in its own way.

from django.db import migrations

# PostgreSQL: pg_trgm (a trusted extension: the database's owner may create it) and a GIN
# index of the very expression Django's icontains compares, so the planner can use it.
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS token_live_name_trigrams ON tokens_apitoken USING gin '
    '((UPPER("name"::text)) gin_trgm_ops) WHERE revoked_at IS NULL',
]
POSTGRES_UNDO = ["DROP INDEX IF EXISTS token_live_name_trigrams"]

# SQLite: an FTS5 table of the names with the trigram tokenizer (SQLite 3.34+), its rowid the
# token's id, kept in step with the tokens by triggers.
SQLITE = [
    "CREATE VIRTUAL TABLE tokens_name_search USING fts5("
    "name, tenant_id UNINDEXED, tokenize = 'trigram')",
    "INSERT INTO tokens_name_search (rowid, name, tenant_id) "
    "SELECT id, name, tenant_id FROM tokens_apitoken",
    "CREATE TRIGGER tokens_name_search_insert AFTER INSERT ON tokens_apitoken BEGIN "
    "INSERT INTO tokens_name_search (rowid, name, tenant_id) "
    "VALUES (new.id, new.name, new.tenant_id); END",
    "CREATE TRIGGER tokens_name_search_update AFTER UPDATE OF name ON tokens_apitoken BEGIN "
    "UPDATE tokens_name_search SET name = new.name WHERE rowid = new.id; END",
    "CREATE TRIGGER tokens_name_search_delete AFTER DELETE ON tokens_apitoken BEGIN "
    "DELETE FROM tokens_name_search WHERE rowid = old.id; END",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS tokens_name_search_insert",
    "DROP TRIGGER IF EXISTS tokens_name_search_update",
    "DROP TRIGGER IF EXISTS tokens_name_search_delete",
    "DROP TABLE IF EXISTS tokens_name_search",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tokens", "0008_name_order_index")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_UNDO, "sqlite": SQLITE_UNDO}),
        )
    ]
