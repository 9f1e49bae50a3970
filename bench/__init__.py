"""`make bench`: see __main__.py."""

import os


def setup_django(database_url: str) -> None:
    """Configures Django for a benchmark on this database and applies the migrations."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
