from django.db import migrations

# "Last used, most recent first" puts never-used tokens last: DESC NULLS LAST. PostgreSQL's
# plain index on last_used_at serves ASC NULLS LAST and DESC NULLS FIRST only, so it gets this
# one too (scanned backwards it also serves ASC NULLS FIRST). SQLite walks its plain index in
# either NULLS order and refuses NULLS in an index definition, so it needs none.
CREATE = """
CREATE INDEX IF NOT EXISTS token_live_tenant_used_desc
ON tokens_apitoken (tenant_id, kind, last_used_at DESC NULLS LAST, created_at DESC, id DESC)
WHERE revoked_at IS NULL
"""
DROP = "DROP INDEX IF EXISTS token_live_tenant_used_desc"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tokens", "0002_table_indexes")]

    operations = [migrations.RunPython(create, drop)]
