"""The OpenAPI schema tells the truth: schemathesis (pinned in requirements.lock) generates
requests from the portal's schema (/api/schema/) and sends them over real HTTP, checking
every answer: no 5xx, every body as the schema says, no status code the schema does not
list, no request the schema calls valid refused, none it calls invalid accepted.

Every API is covered, each with the credential it takes: the portal's own (tokens, their
events, the token policy, /me, users) with a global admin's API token and with a signed-in
session; the data API (activities, alerts, entities, files, IP ranges) with the token; SCIM
with the SCIM token (not PATCH: see its test); the SIEM feed with a SIEM agent's token.
Bounded (a few cases per operation, a fixed seed) so that the four runs take about three
minutes together. Strings are generated without NUL: every API refuses a NUL with a 400, as
docs/api.md says, and the schema does not repeat it on each string. What the schema says in
words only is told to schemathesis by tests/schemathesis_hooks.py."""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from extensions.services import siem_agent_create
from tests.servers import ROOT
from tokens.rotation import scim_token_rotate
from tokens.services import token_generate

HOST = "contoso.us2.portal.test"
PORTAL_API = r"^/api/v1/(tokens|token-events|token-policy|me|users)"
DATA_API = r"^/api/v1/(activities|alerts|entities|files|subnet)"
# Without the coverage phase, whose boundary values skip the hooks (what the schema says in
# words only: an expiry after now, a range's start before its end, a CIDR).
HOOKED = ("--phases", "examples,fuzzing,stateful")


@pytest.fixture
def demo(live_server, settings):
    """The demo tenant (make run's) behind a real HTTP server."""
    call_command("seed_demo", force=True, stdout=io.StringIO())
    admin = User.objects.get(username="admin@contoso.com")
    return live_server.url, admin


def schemathesis(
    base: str, tmp_path: Path, paths: str, *options: str, examples: int = 12
) -> subprocess.CompletedProcess:
    # The schema as the portal serves it, read once: a SCIM token may not read it itself.
    schema = tmp_path / "schema.json"
    if not schema.exists():
        reader = Client(HTTP_HOST=HOST)
        reader.force_login(User.objects.get(username="admin@contoso.com"))
        schema.write_bytes(reader.get("/api/schema/", {"format": "json"}).content)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(schema),
        "--url",
        base,
        "--header",
        f"Host: {HOST}",
        "--checks",
        "all",
        "--include-path-regex",
        paths,
        "--max-examples",
        str(examples),
        "--seed",
        "20261206",
        "--workers",
        "1",
        "--no-shrink",
        "--generation-allow-x00",
        "false",
        "--report-dir",
        str(tmp_path),
        *options,
    ]
    # What the schema says in words only, the fuzzer is told (tests/schemathesis_hooks.py).
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, env=env
    )


@pytest.fixture
def token_header(demo) -> str:
    """The header of a new API token of the demo tenant's global admin."""
    _, value = token_generate(user=demo[1], name="schemathesis")
    return f"Authorization: Token {value}"


@pytest.mark.django_db(transaction=True)
def test_the_schema_holds_for_an_api_token(demo, token_header, tmp_path):
    # Not its own revocation or rotation: the run would go on without a credential.
    run = schemathesis(
        demo[0],
        tmp_path,
        PORTAL_API,
        "--header",
        token_header,
        "--exclude-method",
        "DELETE",
        "--exclude-path-regex",
        "/(revoke|rotate)/$",
    )

    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.django_db(transaction=True)
def test_the_schema_holds_for_a_signed_in_session(demo, tmp_path):
    base, admin = demo
    client = Client()
    client.force_login(admin)  # a sign-in now: minting needs no confirmation yet
    csrf = secrets.token_hex(16)
    session = client.cookies["sessionid"].value

    # Two checks do not apply: "ignored_auth" takes the session cookie for no credential
    # (it only removes the Authorization header), and "use_after_free" takes a revoked
    # token still readable (by design: with its status, who revoked it and why) for one
    # that was deleted.
    run = schemathesis(
        base,
        tmp_path,
        PORTAL_API,
        *HOOKED,
        "--exclude-checks",
        "ignored_auth,use_after_free",
        "--header",
        f"Cookie: sessionid={session}; csrftoken={csrf}",
        "--header",
        f"X-CSRFToken: {csrf}",
        "--header",
        f"Referer: https://{HOST}/",
    )

    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.django_db(transaction=True)
def test_the_schema_holds_for_the_data_api(demo, token_header, tmp_path):
    # The filters' schema is large: fewer cases per operation keep the run near a minute.
    run = schemathesis(
        demo[0],
        tmp_path,
        DATA_API,
        *HOOKED,
        "--header",
        token_header,
        "--suppress-health-check",
        "too_slow,filter_too_much,data_too_large",
        examples=6,
    )

    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.django_db(transaction=True)
def test_the_schema_holds_for_scim_and_the_siem_feed(demo, tmp_path):
    base, admin = demo
    _, scim_value = scim_token_rotate(user=admin)
    _, siem_value = siem_agent_create(
        user=admin, name="Sentinel", output_format="json", send_alerts=True, send_activities=True
    )

    # Not PATCH: what an operation's value may be depends on its path, which the schema
    # says in words (tests/integration/test_scim.py walks each path Entra sends).
    scim = schemathesis(
        base,
        tmp_path,
        r"^/scim/v2/",
        *HOOKED,
        "--exclude-method",
        "PATCH",
        "--header",
        f"Authorization: Bearer {scim_value}",
    )
    siem = schemathesis(
        base, tmp_path, r"^/api/v1/siem/", *HOOKED, "--header", f"Authorization: Token {siem_value}"
    )

    assert scim.returncode == 0, scim.stdout[-6000:]
    assert siem.returncode == 0, siem.stdout[-6000:]
