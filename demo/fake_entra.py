"""A local stand-in for Microsoft Entra ID, for development and tests.

It serves, over real HTTP on 127.0.0.1, the parts of Entra that this portal talks to: the
OpenID configuration, the published signing keys (an RSA key made when it starts), the
authorize page (a list of accounts to pick from, instead of a password prompt), and the token
endpoint: authorization code with PKCE (sign-in, and a delegated access token when the scope
names an API), client credentials (daemons, application context) and the resource-owner
password grant (a native app with a person's credentials, user context). Tokens
are signed with RS256 exactly as Entra signs them, so the portal checks them with the same
code it uses against the real Entra. Nothing here is imported by the portal itself.

    fake = FakeEntra().start()
    fake.add_client("portal-client-id", "secret")
    fake.add_account(tid, upn="alice@contoso.com", name="Alice", roles=["SecurityReader"])
    token = fake.access_token(tid=tid, audience="api://app", roles=["Investigation.read"])
"""

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class Account:
    tid: str
    upn: str
    name: str
    roles: list[str] = field(default_factory=list)
    oid: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Claims to change in this account's id_tokens (None removes one), to test refusals.
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    # Corrupt the id_token after signing it, as a man in the middle would.
    tamper: bool = False
    # For the password grant; None: this account cannot sign in with a password.
    password: str | None = None


@dataclass
class Client:
    client_id: str
    secret: str
    tid: str | None = None
    name: str = "Application"
    roles: list[str] = field(default_factory=list)  # application permissions granted to it
    # Delegated permissions granted to it (admin consent), as "api://<app id>/<Permission>".
    delegated: list[str] = field(default_factory=list)
    # A native (public) client: holds no secret, so the token endpoint asks for none.
    public: bool = False


# Entra's error codes for the refusals the fake reproduces (AADSTS…: description).
AADSTS = {
    "bad_password": (
        "AADSTS50126: Error validating credentials due to invalid username or password."
    ),
    "no_user": "AADSTS50034: The user account does not exist in the directory.",
    "no_consent": (
        "AADSTS65001: The user or administrator has not consented to use the application "
        "for the permissions asked."
    ),
}


def requested_permissions(scope: str) -> tuple[str, list[str]]:
    """(resource, [permission, ...]) of the API that a scope names: `api://app/A api://app/B`
    or `api://app/.default`, beside openid, profile, email and offline_access."""
    resource, permissions = "", []
    for item in scope.split():
        if item in {"openid", "profile", "email", "offline_access"}:
            continue
        base, _, permission = item.rpartition("/")
        resource = resource or base
        if base == resource and permission:
            permissions.append(permission)
    return resource, permissions


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SigningKey:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    @property
    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64url(numbers.e.to_bytes(3, "big")),
        }

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(
            claims, self.private, algorithm="RS256", headers={"kid": self.kid, **headers}
        )


class FakeEntra:
    def __init__(self, port: int = 0) -> None:
        self.key = SigningKey()
        self.accounts: dict[str, Account] = {}
        self.clients: dict[str, Client] = {}
        self.requests: list[str] = []  # every path asked for, in order
        self.keys_delay = 0.0  # seconds the key set takes to answer (a slow Entra)
        self._codes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def v1_issuer_template(self) -> str:
        """Entra's v1 issuer is https://sts.windows.net/{tid}/; ours lives under our URL."""
        return f"{self.url}/sts/{{tid}}/"

    def start(self) -> "FakeEntra":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rotate_keys(self) -> None:
        """A new signing key replaces the old one, as when Entra rotates its keys."""
        self.key = SigningKey()

    # --- directory ----------------------------------------------------------------------------

    def add_account(self, tid: str, *, upn: str, name: str, **fields: Any) -> Account:
        account = Account(tid=str(tid), upn=upn, name=name, **fields)
        self.accounts[account.oid] = account
        return account

    def add_client(self, client_id: str, secret: str, **fields: Any) -> Client:
        client = Client(client_id=client_id, secret=secret, **fields)
        self.clients[client_id] = client
        return client

    # --- tokens -------------------------------------------------------------------------------

    def issuer(self, tid: str, version: int = 2) -> str:
        return f"{self.url}/{tid}/v2.0" if version == 2 else self.v1_issuer_template.format(tid=tid)

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return self.key.sign(claims, **headers)

    def access_token(
        self,
        *,
        tid: str,
        audience: str,
        version: int = 2,
        lifetime: int = 3600,
        **claims: Any,
    ) -> str:
        """An access token for an API, signed with the current key. Pass roles=[...] for an
        application, or scp="..." and oid=... for a user; any other claim may be set or, with
        None, removed."""
        now = int(time.time())
        body: dict[str, Any] = {
            "aud": audience,
            "iss": self.issuer(tid, version),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "tid": str(tid),
            "ver": f"{version}.0",
            "azp" if version == 2 else "appid": claims.pop("client_id", str(uuid.uuid4())),
        }
        body.update(claims)
        return self.sign({k: v for k, v in body.items() if v is not None})

    def id_token(self, account: Account, client_id: str, nonce: str | None = None) -> str:
        now = int(time.time())
        given, _, family = account.name.partition(" ")
        claims: dict[str, Any] = {
            "aud": client_id,
            "iss": self.issuer(account.tid),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "tid": account.tid,
            "oid": account.oid,
            "sub": _b64url(hashlib.sha256(f"{account.oid}:{client_id}".encode()).digest()),
            "name": account.name,
            "given_name": given,
            "family_name": family,
            "preferred_username": account.upn,
            "email": account.upn,
            "ver": "2.0",
        }
        if account.roles:
            claims["roles"] = list(account.roles)
        if nonce:
            claims["nonce"] = nonce
        for name, value in account.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        token = self.sign(claims)
        if account.tamper:
            header, payload, signature = token.split(".")
            forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            forged["roles"] = ["GlobalAdmin"]
            token = ".".join([header, _b64url(json.dumps(forged).encode()), signature])
        return token

    # --- HTTP ---------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # quiet: tests and make run print enough
                pass

            def do_GET(self):
                fake.requests.append(urlsplit(self.path).path)
                fake._get(self)

            def do_POST(self):
                fake.requests.append(urlsplit(self.path).path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake._post(self, form)

        return Handler

    @staticmethod
    def _send(handler, status: int, body: str, content_type: str, headers=()) -> None:
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _json(self, handler, status: int, document: dict) -> None:
        self._send(handler, status, json.dumps(document), "application/json")

    def _error(self, handler, error: str, description: str, status: int = 400) -> None:
        """Entra's error shape: error, error_description and, for AADSTS errors, their codes."""
        body: dict[str, Any] = {"error": error, "error_description": description}
        if description.startswith("AADSTS"):
            body["error_codes"] = [int(description[6:].split(":", 1)[0])]
        body["timestamp"] = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        body["trace_id"] = body["correlation_id"] = str(uuid.uuid4())
        self._json(handler, status, body)

    def _get(self, handler) -> None:
        parts = urlsplit(handler.path)
        segments = parts.path.strip("/").split("/")
        directory, rest = segments[0], "/".join(segments[1:])
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if rest in {"discovery/v2.0/keys", "discovery/keys"}:
            time.sleep(self.keys_delay)  # a slow Entra, for the tests that need one
            self._json(handler, 200, {"keys": [self.key.jwk]})
        elif rest == "v2.0/.well-known/openid-configuration":
            base = f"{self.url}/{directory}"
            specific = directory not in {"common", "organizations", "consumers"}
            self._json(
                handler,
                200,
                {
                    "issuer": self.issuer(directory)
                    if specific
                    else f"{self.url}/{{tenantid}}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "response_types_supported": ["code"],
                },
            )
        elif rest == "oauth2/v2.0/authorize":
            self._authorize_page(handler, directory, query)
        else:
            self._error(handler, "not_found", f"No such endpoint: {parts.path}", 404)

    def _post(self, handler, form: dict[str, str]) -> None:
        segments = urlsplit(handler.path).path.strip("/").split("/")
        directory, rest = segments[0], "/".join(segments[1:])
        if rest == "oauth2/v2.0/authorize":
            self._authorize(handler, form)
        elif rest == "oauth2/v2.0/token":
            self._token(handler, directory, form)
        else:
            self._error(handler, "not_found", "No such endpoint", 404)

    def _authorize_page(self, handler, directory: str, query: dict[str, str]) -> None:
        if query.get("client_id") not in self.clients:
            self._error(handler, "unauthorized_client", "Unknown client_id")
            return
        accounts = [
            account
            for account in self.accounts.values()
            if directory in {"common", "organizations"} or account.tid == directory
        ]
        carried = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in query.items()
        )
        # prompt=login: Entra asks for the credentials whatever session it has; here, where
        # picking an account is the credential, it says so.
        again = (
            "The application asked you to sign in again to confirm who you are. "
            if query.get("prompt") == "login"
            else ""
        )
        rows = "".join(
            f'<li><form method="post"><input type="hidden" name="oid" value="{a.oid}">'
            f'{carried}<button type="submit">Sign in as {html.escape(a.name)}</button> '
            f"{html.escape(a.upn)} · roles: {html.escape(', '.join(a.roles) or 'none')}"
            f"</form></li>"
            for a in accounts
        )
        self._send(
            handler,
            200,
            "<!doctype html><html lang=en><head><title>Fake Entra ID: pick an account</title>"
            "</head><body><h1>Fake Entra ID</h1><p>Development stand-in for Microsoft Entra "
            f"ID. {again}Pick an account of directory {html.escape(directory)}:</p>"
            f"<ul>{rows or '<li>No accounts.</li>'}</ul></body></html>",
            "text/html; charset=utf-8",
        )

    def _authorize(self, handler, form: dict[str, str]) -> None:
        account = self.accounts.get(form.get("oid", ""))
        redirect_uri = form.get("redirect_uri", "")
        if account is None or form.get("client_id") not in self.clients or not redirect_uri:
            self._error(handler, "invalid_request", "Unknown account, client or redirect_uri")
            return
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "account": account,
                "client_id": form["client_id"],
                "redirect_uri": redirect_uri,
                "nonce": form.get("nonce"),
                "challenge": form.get("code_challenge"),
                "scope": form.get("scope", ""),
            }
        params = {"code": code}
        if "state" in form:
            params["state"] = form["state"]
        self._send(
            handler, 302, "", "text/plain", [("Location", f"{redirect_uri}?{urlencode(params)}")]
        )

    def delegated_token(self, client: Client, account: Account, scope: str) -> str | None:
        """A user-context access token, as Entra issues it: `scp` holds the permissions asked
        for that the client has been granted (`.default`: all of them); None when that leaves
        none."""
        resource, asked = requested_permissions(scope)
        granted = [p.rpartition("/")[2] for p in client.delegated if p.startswith(resource + "/")]
        scp = granted if asked == [".default"] else [p for p in asked if p in granted]
        if not resource or not scp:
            return None
        return self.access_token(
            tid=account.tid,
            audience=resource,
            scp=" ".join(scp),
            oid=account.oid,
            upn=account.upn,
            name=account.name,
            idtyp="user",
            client_id=client.client_id,
        )

    def _token(self, handler, directory: str, form: dict[str, str]) -> None:
        client = self.clients.get(form.get("client_id", ""))
        if client is None or not (
            client.public
            or secrets.compare_digest(
                client.secret.encode(), form.get("client_secret", "").encode()
            )
        ):
            self._error(handler, "invalid_client", "Bad client_id or client_secret", 401)
            return
        grants = {
            "password": self._password_grant,
            "authorization_code": self._code_grant,
            "client_credentials": self._client_grant,
        }
        grant = form.get("grant_type")
        if grant not in grants:
            self._error(handler, "unsupported_grant_type", f"grant_type {grant!r}")
            return
        grants[grant](handler, directory, client, form)

    def _code_refusal(self, issued: dict, client: Client, form: dict[str, str]) -> str:
        """Why an authorization code may not be redeemed ("" if it may)."""
        if issued["client_id"] != client.client_id:
            return "Unknown or used code"
        if issued["redirect_uri"] != form.get("redirect_uri"):
            return "redirect_uri differs from the authorize one"
        verifier = form.get("code_verifier", "")
        if issued["challenge"] and (
            _b64url(hashlib.sha256(verifier.encode()).digest()) != issued["challenge"]
        ):
            return "PKCE code_verifier does not match"
        if client.public and not issued["challenge"]:
            return "A public client must use PKCE"
        return ""

    def _code_grant(self, handler, directory: str, client: Client, form: dict[str, str]):
        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
        why = "Unknown or used code" if issued is None else self._code_refusal(issued, client, form)
        if why or issued is None:
            self._error(handler, "invalid_grant", why)
            return
        account = issued["account"]
        scope = form.get("scope") or issued.get("scope") or "openid profile email"
        access_token: str | None = secrets.token_urlsafe(32)  # opaque: the portal never uses it
        if requested_permissions(scope)[0]:
            # The scope names an API: a delegated access token for it.
            access_token = self.delegated_token(client, account, scope)
            if access_token is None:
                self._error(handler, "invalid_grant", AADSTS["no_consent"])
                return
        self._json(
            handler,
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "scope": scope,
                "id_token": self.id_token(account, client.client_id, issued["nonce"]),
                "access_token": access_token,
            },
        )

    def _client_grant(self, handler, directory: str, client: Client, form: dict[str, str]):
        resource = form.get("scope", "").removesuffix("/.default")
        if not resource:
            self._error(handler, "invalid_scope", "scope must be <resource>/.default")
            return
        token = self.access_token(
            tid=client.tid or directory,
            audience=resource,
            roles=list(client.roles) or None,
            client_id=client.client_id,
            oid=str(uuid.uuid5(uuid.NAMESPACE_URL, client.client_id)),
            idtyp="app",
        )
        self._json(
            handler, 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        )

    def _password_grant(self, handler, directory: str, client: Client, form: dict[str, str]):
        """ROPC: a native app sends a person's user name and password for a delegated token
        (Entra's "get the token using the application with user credentials")."""
        upn = form.get("username", "").lower()
        account = next(
            (
                a
                for a in self.accounts.values()
                if a.upn.lower() == upn
                and (directory in {"organizations", "common"} or a.tid == directory)
            ),
            None,
        )
        if account is None:
            self._error(handler, "invalid_grant", AADSTS["no_user"])
            return
        if account.password is None or not secrets.compare_digest(
            account.password.encode(), form.get("password", "").encode()
        ):
            self._error(handler, "invalid_grant", AADSTS["bad_password"])
            return
        token = self.delegated_token(client, account, form.get("scope", ""))
        if token is None:
            self._error(handler, "invalid_grant", AADSTS["no_consent"])
            return
        self._json(
            handler,
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "scope": form.get("scope", ""),
                "access_token": token,
            },
        )
