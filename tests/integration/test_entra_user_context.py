"""User context end to end, as the reference documents it ("get the token using the
application with user credentials", then call the API on the user's behalf): the token comes
from the fake Entra ID over real HTTP, by the password grant or the authorization-code flow
with PKCE, and the API grants exactly `scp` ∩ the user's role."""

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from accounts.models import User
from accounts.roles import Role
from demo.management.commands.fake_entra import PERMISSIONS
from tests.entra_flow import pick_account
from tests.factories import make_alert, make_token, make_user

APP = "11111111-2222-4333-8444-555555555555"  # the portal's API application id (conftest)
API = f"api://{APP}"
NATIVE = "9d4e2f61-7a3b-4c8d-9e5f-2b1a0c8d7e64"
CONTOSO = "contoso.us2.portal.test"
ALL = PERMISSIONS  # every delegated permission of the API


def post_form(url: str, form: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")  # noqa: S310 (the fake, on loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def directory(entra):
    """Contoso's directory in the fake: a native client consented for every delegated
    permission, and people with passwords, each also a portal user with a role."""
    entra.add_client(NATIVE, "", tid=entra.tid, public=True, delegated=[f"{API}/{p}" for p in ALL])
    return entra


def person(directory, tenant, role: str, upn: str, password: str = "Pass-word-2026!"):
    account = directory.add_account(directory.tid, upn=upn, name="Pat Doe", password=password)
    make_user(tenant, role, username=upn, entra_object_id=uuid.UUID(account.oid), password=None)
    return account


def password_grant(directory, upn, password, scope, client_id=NATIVE, tid=None):
    return post_form(
        f"{directory.url}/{tid or directory.tid}/oauth2/v2.0/token",
        {
            "grant_type": "password",
            "client_id": client_id,
            "username": upn,
            "password": password,
            "scope": scope,
        },
    )


def me(api_client, token):
    return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST=CONTOSO)


@pytest.mark.parametrize(
    ("role", "asked", "granted"),
    [
        (
            Role.SECURITY_READER,
            ["Investigation.read", "Investigation.manage"],
            ["Investigation.read"],
        ),
        (
            Role.SECURITY_OPERATOR,
            ["Investigation.read", "Investigation.manage"],
            ["Investigation.manage", "Investigation.read"],
        ),
        (Role.GLOBAL_ADMIN, [".default"], sorted(ALL)),
        (Role.DISCOVERY_ADMIN, [".default"], ["Discovery.manage", "Discovery.read"]),
    ],
)
def test_the_password_grant_gives_a_token_worth_scp_and_the_role(
    api_client, directory, tenant, role, asked, granted
):
    account = person(directory, tenant, role, "pat@contoso.com")

    status, body = password_grant(
        directory, "pat@contoso.com", "Pass-word-2026!", " ".join(f"{API}/{p}" for p in asked)
    )
    response = me(api_client, body["access_token"])

    assert status == 200
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert (claims["oid"], claims["tid"], claims["upn"], claims["idtyp"]) == (
        account.oid,
        directory.tid,
        "pat@contoso.com",
        "user",
    )
    assert response.status_code == 200
    assert response.json()["capabilities"] == granted
    assert response.json()["authentication"]["context"] == "user"


def test_a_readers_token_asking_to_manage_reads_but_cannot_close_an_alert(
    api_client, directory, tenant
):
    person(directory, tenant, Role.SECURITY_READER, "reader@contoso.com")
    alert = make_alert(tenant)
    _, body = password_grant(
        directory,
        "reader@contoso.com",
        "Pass-word-2026!",
        f"{API}/Investigation.read {API}/Investigation.manage",
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {body['access_token']}", "HTTP_HOST": CONTOSO}

    listed = api_client.get("/api/v1/alerts/", **bearer)
    closed = api_client.post(
        "/api/v1/alerts/close_benign/",
        {"filters": {"id": {"eq": [alert.public_id]}}},
        format="json",
        **bearer,
    )

    assert listed.status_code == 200
    assert closed.status_code == 403
    assert closed.json() == {
        "detail": "This requires the Investigation.manage or Discovery.manage permission."
    }


def test_an_admins_delegated_token_lists_only_their_own_api_tokens(api_client, directory, tenant):
    """A token's reach is the request's capabilities (accounts.permissions), not the role's:
    Entra never grants Tokens.manage_all, so an admin's delegated token is not a key to the
    whole tenant's tokens as their session is."""
    person(directory, tenant, Role.GLOBAL_ADMIN, "admin2@contoso.com")
    admin = User.objects.get(username="admin2@contoso.com")
    make_token(admin, name="mine")
    make_token(make_user(tenant, Role.SECURITY_READER), name="a colleague's")
    _, body = password_grant(directory, "admin2@contoso.com", "Pass-word-2026!", f"{API}/.default")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {body['access_token']}", "HTTP_HOST": CONTOSO}
    api_client.force_login(admin)

    by_entra = api_client.get("/api/v1/tokens/", **bearer).json()["results"]
    by_session = api_client.get("/api/v1/tokens/", HTTP_HOST=CONTOSO).json()["results"]

    assert [token["name"] for token in by_entra] == ["mine"]
    assert sorted(token["name"] for token in by_session) == ["a colleague's", "mine"]


def test_the_authorization_code_flow_with_pkce_gives_a_delegated_token(
    api_client, directory, tenant
):
    account = person(directory, tenant, Role.SECURITY_OPERATOR, "op@contoso.com")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    scope = f"openid {API}/Investigation.read {API}/Settings.manage"
    authorize = f"{directory.url}/{directory.tid}/oauth2/v2.0/authorize?" + urlencode(
        {
            "client_id": NATIVE,
            "response_type": "code",
            "redirect_uri": "http://localhost/callback",
            "scope": scope,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
            "state": "s1",
        }
    )

    redirected = pick_account(authorize, account.oid)
    code = parse_qs(urlsplit(redirected).query)["code"][0]
    status, body = post_form(
        f"{directory.url}/{directory.tid}/oauth2/v2.0/token",
        {
            "grant_type": "authorization_code",
            "client_id": NATIVE,
            "code": code,
            "redirect_uri": "http://localhost/callback",
            "code_verifier": verifier,
            "scope": scope,
        },
    )
    response = me(api_client, body["access_token"])

    assert status == 200
    assert response.status_code == 200
    # An operator holds Investigation.read but not Settings.manage: the token gets only that.
    assert response.json()["capabilities"] == ["Investigation.read"]


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("wrong password", "invalid_grant", 50126),
        ("unknown user", "invalid_grant", 50034),
        ("no delegated permission", "invalid_grant", 65001),
        ("another directory's user", "invalid_grant", 50034),
    ],
)
def test_the_fake_refuses_as_entra_does(directory, tenant, case, error, code):
    person(directory, tenant, Role.SECURITY_READER, "pat@contoso.com")
    directory.add_account(
        str(uuid.uuid4()), upn="sam@fabrikam.com", name="Sam", password="x-Pass-2026!"
    )
    directory.add_client("no-consent-app", "", tid=directory.tid, public=True, delegated=[])
    scope = f"{API}/Investigation.read"
    upn, password, client = {
        "wrong password": ("pat@contoso.com", "wrong", NATIVE),
        "unknown user": ("nobody@contoso.com", "Pass-word-2026!", NATIVE),
        "no delegated permission": ("pat@contoso.com", "Pass-word-2026!", "no-consent-app"),
        "another directory's user": ("sam@fabrikam.com", "x-Pass-2026!", NATIVE),
    }[case]

    status, body = password_grant(directory, upn, password, scope, client_id=client)

    assert status == 400
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert "access_token" not in body


def test_a_deprovisioned_users_token_is_refused_by_the_api(api_client, directory, tenant):
    from accounts.models import User
    from accounts.services import user_deprovision

    person(directory, tenant, Role.SECURITY_OPERATOR, "gone@contoso.com")
    _, body = password_grant(directory, "gone@contoso.com", "Pass-word-2026!", f"{API}/.default")
    user_deprovision(user=User.objects.get(username="gone@contoso.com"))

    response = me(api_client, body["access_token"])

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Invalid user - the owner of this token is not permitted to use tokens"
    }


def test_a_token_from_a_directory_not_connected_here_is_refused(api_client, directory, tenant):
    other = str(uuid.uuid4())
    directory.add_account(other, upn="sam@fabrikam.com", name="Sam", password="x-Pass-2026!")

    status, body = password_grant(
        directory, "sam@fabrikam.com", "x-Pass-2026!", f"{API}/.default", tid="organizations"
    )
    response = me(api_client, body["access_token"])

    assert status == 200  # Entra vouches for the person...
    assert response.status_code == 401  # ...but their directory is not a tenant here
    assert response.json() == {
        "detail": "Unknown tenant: the token's directory is not connected to this portal"
    }


def test_the_fakes_client_ids_are_refused_in_production():
    import re
    from pathlib import Path

    from django.conf import settings

    from demo.management.commands import fake_entra

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    portal_id = re.search(r"ENTRA_CLIENT_ID = (\S+)", makefile).group(1)

    assert {portal_id, fake_entra.DAEMON_CLIENT_ID, fake_entra.NATIVE_CLIENT_ID} == (
        settings.FAKE_ENTRA_CLIENT_IDS
    )


def test_the_user_context_lines_make_run_prints_work(directory, tmp_path):
    """`manage.py fake_entra` (what make run starts) prints a password-grant command: run as
    printed, it returns a delegated token for the security reader, asking for both scopes."""
    import os
    import shlex
    import subprocess
    import sys

    from tests.servers import ROOT, free_port

    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "ENTRA_CLIENT_ID": "6f1c3a52-0d4e-4b8e-9a57-2d7f4c1e9b30",
        "ENTRA_CLIENT_SECRET": "fake-entra-local-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "fake_entra", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        printed = []
        for line in process.stdout:  # it prints before it serves; it serves until stopped
            printed.append(line)
            if "close_benign" in line:
                break
        command = next(line for line in printed if "grant_type=password" in line)
        words = shlex.split(command.split("$(", 1)[1].split("|", 1)[0])
        form = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "-d")
        url = next(word for word in words if word.startswith("http://"))
        status, body = post_form(url, form)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()

    assert status == 200
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert (claims["upn"], claims["scp"], claims["idtyp"]) == (
        "reader@contoso.com",
        "Investigation.read Investigation.manage",
        "user",
    )
    assert any("/api/v1/me/" in line for line in printed)
    assert any("close_benign" in line and "403" in line for line in printed)
