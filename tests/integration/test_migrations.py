"""Data migrations, run forwards from the state before them, on the test database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_data_sources_made_before_formats_were_recorded_get_their_log_types_format():
    before = [("security", "0002_created_sort_indexes"), ("extensions", "0001_initial")]
    after = [("security", "0003_feed_and_collectors")]
    executor = MigrationExecutor(connection)
    executor.migrate([("security", "0002_created_sort_indexes")])
    old_apps = executor.loader.project_state(before).apps
    tenant = old_apps.get_model("accounts", "Tenant").objects.create(
        name="Old", slug="old", region="us2"
    )
    DataSource = old_apps.get_model("security", "DataSource")
    DataSource.objects.create(tenant_id=tenant.pk, name="ASA", log_type=104, public_id="a" * 24)
    DataSource.objects.create(tenant_id=tenant.pk, name="Odd", log_type=9999, public_id="b" * 24)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    formats = dict(
        new_apps.get_model("security", "DataSource").objects.values_list("name", "log_format")
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the next test
    assert formats == {"ASA": "CISCO_ASA", "Odd": "GENERIC_CEF"}


@pytest.mark.django_db
def test_the_name_search_triggers_survive_every_migration(reader):
    """On SQLite a migration that adds a NOT NULL column rebuilds the tokens table and drops
    its triggers; each such migration makes them again, so a token made or renamed is found
    by a part of its name (tokens/selectors.name_match_ids; PostgreSQL reads its trigram
    index, with no trigger)."""
    from tokens.models import ApiToken
    from tokens.selectors import name_match_ids
    from tokens.services import token_generate, token_rename

    token, _ = token_generate(user=reader, name="Nightly export")
    token_rename(token=token, name="Quarterly audit")

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
        assert {
            "tokens_name_search_delete",
            "tokens_name_search_insert",
            "tokens_name_search_update",
        } <= triggers
    assert name_match_ids(ApiToken.objects.all(), "audit", 10) == [token.pk]
    assert name_match_ids(ApiToken.objects.all(), "Nightly", 10) == []
