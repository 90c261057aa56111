"""Browser tests: Debian's chromium driven by Playwright against a live server of the real app.

The server is the application built by ``create_app`` served by werkzeug's threaded server on
a free loopback port, once per database backend; each test starts from empty tables. No
browser is downloaded: Playwright launches ``/usr/bin/chromium`` (``make test`` installs it
with apt when it is missing).

``screenshot(page, name)`` writes ``<name>.png`` into ``docs/screenshots/`` when
``LMS_BRIDGE_SCREENSHOTS`` names that folder (``make screenshots``), else into a temporary
folder, so ordinary runs never touch the repository.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from lms_bridge.accounts import create_user
from lms_bridge.app import create_app
from lms_bridge.db import db
from tests.conftest import HASH_METHOD, empty_all_tables, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "kata-sandi-rahasia"
AGENCY_A = "BPSDM Provinsi Lampung"
AGENCY_B = "BPSDM Provinsi Bali"
VIEWPORT = {"width": 1024, "height": 640}


@dataclass(frozen=True)
class LiveSite:
    """Where the pages are served, and the app behind them (to seed the database)."""

    base_url: str
    app: Flask

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def live_app(database_url: str) -> Iterator[Flask]:
    """The real application on the backend under test (not in TESTING mode)."""
    application = create_app(make_settings(database_url))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """werkzeug's threaded server of the app on a free loopback port; yields its base URL."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def site(live_app: Flask, live_server: str) -> LiveSite:
    """The live site over an empty database."""
    with live_app.app_context():
        empty_all_tables()
    return LiveSite(live_server, live_app)


@pytest.fixture
def make_account(site: LiveSite) -> Callable[..., str]:
    """Create an account with the test password; returns its email."""

    def make(email: str, role: str, *agencies: str, name: str = "Siti Aminah") -> str:
        with site.app.app_context():
            create_user(
                email,
                name,
                role,
                agencies,
                password=PASSWORD,
                actor="test",
                hash_method=HASH_METHOD,
            )
            db.session.remove()
        return email

    return make


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs chromium with apt)")
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, site: LiveSite, email: str, password: str = PASSWORD) -> None:
    """Fill in and submit the sign-in form, as a person would (keyboard only)."""
    page.goto(site.url("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_label("Kata sandi").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def signed_in_page(page: Page, site: LiveSite, make_account: Callable[..., str]) -> Page:
    """Signed in as an auditor of agency A."""
    sign_in(page, site, make_account("auditor@lampung.go.id", "auditor", AGENCY_A))
    assert page.url == site.url("/"), page.content()
    return page


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """Save a screenshot: into docs/screenshots/ under ``make screenshots``, else tmp."""
    folder = Path(os.environ.get("LMS_BRIDGE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
