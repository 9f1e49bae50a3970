"""Runs the local fake Entra ID (accounts/fake_entra.py) for development: `make run` starts it
beside the portal so that "Sign in with Microsoft" and Entra bearer tokens work on a laptop."""

import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.fake_entra import FakeEntra
from demo.management.commands.seed_demo import (
    DEMO_APP_ROLES,
    DEMO_ENTRA_TENANT_ID,
    DEMO_USERS,
    demo_object_id,
)

DAEMON_CLIENT_ID = "3b9d8e21-6c4a-4f7e-8d2b-1a0e9c7f5b43"
DAEMON_SECRET = "fake-entra-daemon-secret"  # noqa: S105 (a published development value)


class Command(BaseCommand):
    help = "Serves a fake Microsoft Entra ID on 127.0.0.1 with Contoso's demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, port: int, **options):
        if not settings.DEBUG:
            raise CommandError("The fake Entra ID is for development only (DEBUG=1).")
        if not (settings.ENTRA_CLIENT_ID and settings.ENTRA_CLIENT_SECRET):
            raise CommandError("Set ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET (make run does).")
        fake = FakeEntra(port=port)
        tid = str(DEMO_ENTRA_TENANT_ID)
        fake.add_client(settings.ENTRA_CLIENT_ID, settings.ENTRA_CLIENT_SECRET, name="Portal")
        fake.add_client(
            DAEMON_CLIENT_ID,
            DAEMON_SECRET,
            tid=tid,
            name="Contoso SOAR (demo daemon)",
            roles=["Investigation.read", "Settings.read"],
        )
        for username, first, last, role, _ in DEMO_USERS:
            fake.add_account(
                tid,
                upn=username,
                name=f"{first} {last}",
                roles=[DEMO_APP_ROLES[role]],
                oid=str(demo_object_id(username)),
            )
        fake.add_account(tid, upn="newhire@contoso.com", name="Nestor Wilke", roles=[])
        audience = settings.ENTRA_API_APP_ID
        self.stdout.write(f"Fake Entra ID on {fake.url} (directory {tid})")
        self.stdout.write(
            "  An application token for the API (application context):\n"
            f"    curl -s -d grant_type=client_credentials -d client_id={DAEMON_CLIENT_ID} "
            f"-d client_secret={DAEMON_SECRET} -d scope=api://{audience}/.default "
            f"{fake.url}/{tid}/oauth2/v2.0/token"
        )
        with contextlib.suppress(KeyboardInterrupt):
            fake.serve_forever()
