"""Signing in with Microsoft from a test, against the fake Entra, over real HTTP."""

import http.client
from urllib.parse import parse_qsl, urlencode, urlsplit

CONTOSO = "contoso.us2.portal.test"


def pick_account(authorize_url: str, oid: str) -> str:
    """What the fake's account picker does when a person clicks their account: POST the
    authorize request back with the chosen account. Returns where Entra redirects to."""
    url = urlsplit(authorize_url)
    form = dict(parse_qsl(url.query)) | {"oid": oid}
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(
            "POST",
            url.path,
            body=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return response.getheader("Location")
    finally:
        connection.close()


def sign_in_with_microsoft(client, account, host: str = CONTOSO, next_url: str | None = None):
    """The whole sign-in: the button's POST, the account pick at Entra, and the callback,
    whose response (a redirect into the portal, or a refusal page) is returned."""
    begin = client.post("/sso/login/entra/", {"next": next_url} if next_url else {}, HTTP_HOST=host)
    assert begin.status_code == 302, begin.status_code
    callback = urlsplit(pick_account(begin["Location"], account.oid))
    return client.get(f"{callback.path}?{callback.query}", HTTP_HOST=callback.netloc)
