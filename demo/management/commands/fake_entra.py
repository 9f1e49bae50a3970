"""Runs the local fake Entra ID (demo/fake_entra.py) for development: `make run` starts it
beside the portal so that "Sign in with Microsoft" and Entra bearer tokens work on a laptop."""

import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.http import route_url
from demo.fake_entra import FakeEntra
from demo.management.commands.seed_demo import (
    DEMO_ENTRA_TENANT_ID,
    DEMO_USERS,
    demo_object_id,
)

DAEMON_CLIENT_ID = "3b9d8e21-6c4a-4f7e-8d2b-1a0e9c7f5b43"
DAEMON_SECRET = "fake-entra-daemon-secret"  # noqa: S105 (a published development value)
# A native (public) client with every delegated permission of the API, admin-consented.
NATIVE_CLIENT_ID = "9d4e2f61-7a3b-4c8d-9e5f-2b1a0c8d7e64"
PERMISSIONS = [
    "Investigation.read",
    "Investigation.manage",
    "Discovery.read",
    "Discovery.manage",
    "Settings.read",
    "Settings.manage",
]


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
        api = f"api://{settings.ENTRA_API_APP_ID}"
        # Each person holds the app role that maps to their portal role: ENTRA_ROLE_MAP, read
        # the other way (one map, in config/settings.py).
        app_roles = {role: app_role for app_role, role in settings.ENTRA_ROLE_MAP.items()}
        fake.add_client(
            NATIVE_CLIENT_ID,
            "",
            tid=tid,
            name="Contoso scripts (demo native app)",
            public=True,
            delegated=[f"{api}/{permission}" for permission in PERMISSIONS],
        )
        for username, first, last, role, password in DEMO_USERS:
            fake.add_account(
                tid,
                upn=username,
                name=f"{first} {last}",
                roles=[app_roles[role]],
                oid=str(demo_object_id(username)),
                password=password,  # the same demo password as the local sign-in
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
        portal = f"{settings.PORTAL_SCHEME}://contoso.us2.{settings.PORTAL_DOMAIN}"
        me, alerts = route_url(portal, "api:me"), route_url(portal, "data:alerts")
        close = route_url(portal, "data:alerts-close-benign")
        self.stdout.write(
            "  The demo people sign in to it with the same demo passwords as above.\n"
            "  A person's token for the API (user context: a native app with their user name and\n"
            "  password; here a security reader asking to read and to manage investigations):\n"
            f"    token=$(curl -s -d grant_type=password -d client_id={NATIVE_CLIENT_ID} "
            "-d username=reader@contoso.com -d 'password=demo-Reader-2026!' "
            f"-d 'scope={api}/Investigation.read {api}/Investigation.manage' "
            f"{fake.url}/{tid}/oauth2/v2.0/token "
            "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
            f'    curl -H "Authorization: Bearer $token" {me}\n'
            f'    curl -H "Authorization: Bearer $token" "{alerts}?limit=1"\n'
            f'    curl -X POST -H "Authorization: Bearer $token" '
            '-H "Content-Type: application/json" '
            f'-d \'{{"filters": {{"severity": {{"eq": [2]}}}}}}\' '
            f"{close}    # 403: a reader reads, never closes"
        )
        with contextlib.suppress(KeyboardInterrupt):
            fake.serve_forever()
