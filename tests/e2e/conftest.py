"""Browser fixtures: Playwright (Python) driving Debian's Chromium, never a downloaded browser.

Also the fixtures every browser test shares: pages with JavaScript off (a reporter's, a phone-sized one, a
second one with its own cookies for an officer) and the staff who receive new reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.intake.conftest import IntakeStaff, create_intake_staff
from tests.support.browser import browser_problem
from tests.support.reference import ensure_reference_data

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


def _page(browser: Any, live_server: Any, **options: Any) -> Iterator[Any]:
    """Yield a page in a new browser context (own cookies) with JavaScript disabled; close it afterwards."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="id-ID", **options)
    page = context.new_page()
    page.set_default_timeout(60_000)  # generous: a loaded 2-core machine renders a recap in 20+ s
    yield page
    context.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh page with JavaScript disabled (Peluit needs none) and no shared cookies."""
    yield from _page(browser, live_server)


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A 360×740 phone-sized page with JavaScript disabled."""
    yield from _page(browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True)


@pytest.fixture
def officer_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A second browser (own cookies) for the officer, JavaScript off like the reporter's."""
    yield from _page(browser, live_server)


@pytest.fixture
def intake_staff(make_staff: Any) -> IntakeStaff:
    """The staff who receive new reports, with vault keys and the escrow key (and the reference data)."""
    ensure_reference_data()
    return create_intake_staff(make_staff)
