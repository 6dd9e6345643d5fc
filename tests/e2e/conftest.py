"""Browser fixtures: Playwright (Python) driving Debian's Chromium, never a downloaded browser."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.browser import browser_problem

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one unless told
# it is safe. It is: the loop only talks to the browser process.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PELUIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium shared by the e2e tests of one run."""
    from playwright.sync_api import sync_playwright

    # Name a missing library or browser rather than fail with "Connection closed while reading from the driver".
    problem = browser_problem(CHROMIUM)
    if problem:
        pytest.fail(problem, pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page with JavaScript disabled (Peluit needs none) and no shared cookies."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A 360×740 phone-sized page with JavaScript disabled."""
    context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        locale="id-ID",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
