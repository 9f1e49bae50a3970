import os
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread

from conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class OneAtATimeServer(WSGIServer):
    """The live server, answering one request after the other (connections_override is what
    the threaded server takes; here requests run in the server's own thread, which already
    holds the test database's connection)."""

    def __init__(self, *args, connections_override=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _live_server_safe_for_sqlite():
    """SQLite's in-memory test database is one connection, which the threaded live server's
    request threads would share: two requests at once (Enter pressed three times) then break
    it with "bad parameter or other API misuse". On SQLite the live server answers one
    request at a time; on PostgreSQL each thread has its own connection and stays threaded."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        LiveServerThread.server_class = OneAtATimeServer
    yield
    LiveServerThread.server_class = ThreadedWSGIServer


@pytest.fixture(scope="session")
def browser():
    """The system Chromium, driven by Playwright: no browser download."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    # Playwright's sync API keeps an event loop on this thread for as long as it runs; the
    # tests (and pytest-django's database teardown) still use the ORM synchronously beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def portal(live_server, settings):
    """The live server with PORTAL_DOMAIN pointing at it, so that custom URLs such as
    http://contoso.us2.portal.localhost:<port> reach it (browsers resolve *.localhost)."""
    port = live_server.url.rsplit(":", 1)[1]
    settings.PORTAL_DOMAIN = f"portal.localhost:{port}"
    settings.PORTAL_SCHEME = "http"
    settings.ALLOWED_HOSTS = [".portal.localhost", "portal.localhost", "localhost", "127.0.0.1"]

    class Portal:
        generic = f"http://portal.localhost:{port}"
        api = live_server.url

        @staticmethod
        def tenant_url(tenant) -> str:
            return f"http://{tenant.slug}.{tenant.region}.portal.localhost:{port}"

    return Portal


@pytest.fixture
def open_page(browser, portal):
    """A page signed in as `user` on `base` (by copying a session cookie), at `width` px."""
    contexts = []

    def open_page(user, base: str, path: str = "/", width: int = 1280, javascript: bool = True):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            java_script_enabled=javascript,
            permissions=["clipboard-read", "clipboard-write"] if javascript else [],
        )
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.goto(base + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Saves a screenshot of a main state under test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def screenshot(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return screenshot


@pytest.fixture
def contoso(transactional_db):
    """Contoso, committed (the live server reads it from another thread)."""
    from tests.factories import make_tenant

    return make_tenant(name="Contoso", slug="contoso", region="us2")


@pytest.fixture
def admin(contoso):
    """Contoso's full admin, Megan Bowen."""
    from accounts.roles import Role
    from tests.factories import make_user

    return make_user(
        contoso,
        Role.GLOBAL_ADMIN,
        username="admin@contoso.com",
        first_name="Megan",
        last_name="Bowen",
    )


@pytest.fixture
def axe_page(browser, portal):
    """A page with axe-core at hand: signed in as `user` (or not), `width` px wide."""
    if not AXE.exists():
        skip_or_fail("axe-core is missing: `npm ci` (make test) installs it from package.json")
    contexts = []

    def axe_page(user, base: str, path: str, width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
            )
        contexts.append(context)
        page = context.new_page()
        page.goto(base + path)
        return page

    yield axe_page
    for context in contexts:
        context.close()
