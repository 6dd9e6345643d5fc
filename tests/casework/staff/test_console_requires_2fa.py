"""Invariant 5: no console page is reachable without a verified second factor.

Walks every URL pattern under /console/ (in both languages), whatever app added it, so a new page cannot
forget the rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from casework.staff.roles import Role
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x/y"}


def routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    """Yield every concrete route below ``patterns`` with sample values for its converters."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        else:
            yield route


def concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)


def console_urls() -> list[str]:
    # The language prefix of i18n_patterns renders in the active language: walk in the default one.
    with translation.override(settings.LANGUAGE_CODE):
        found = {concrete(r) for r in routes(get_resolver().url_patterns) if r.startswith("console/")}
    urls = sorted(found)
    return urls + ["/en" + url for url in urls]


def test_the_walk_finds_the_console_pages() -> None:
    urls = console_urls()
    assert "/console/" in urls and "/console/staff/" in urls and "/en/console/" in urls


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_login(client: Client, method: str) -> None:
    for url in console_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        if method == "get":
            assert "/auth/login/?next=" in response["Location"], url
        else:  # a form post comes back to the console home after login: its URL only accepts the form
            assert response["Location"].endswith("/auth/login/"), url


def test_password_without_second_factor_is_not_enough(client: Client, make_staff) -> None:
    user = make_staff(Role.ADMIN)
    client.post("/auth/login/", {"username": user.username, "password": PASSWORD})
    for url in console_urls():
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login/" in response["Location"], url


def test_a_session_without_otp_verification_is_not_enough(client: Client, make_staff) -> None:
    client.force_login(make_staff(Role.SUPERVISOR))  # authenticated, but no device verified
    for url in console_urls():
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login/" in response["Location"], url


def test_a_deactivated_account_loses_the_console(client: Client, make_staff) -> None:
    from tests.support.staff import login

    user = make_staff(Role.OFFICER)
    login(client, user)
    user.is_active = False
    user.save()
    response = client.get("/console/")
    assert response.status_code == 302
