"""Template context shared by every page."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import Resolver404, get_urlconf, resolve, translate_url
from django.utils.translation import get_language, get_language_from_path

from intake.middleware import is_reporter_path
from reports.rendering import institution as letterhead


def language_links(request: HttpRequest) -> dict[str, list[tuple[str, str, str]]]:
    """Return links to the current page in the other languages, as (code, name, url)."""
    current = get_language()
    path = on_this_site(request.get_full_path())
    links = [
        (code, str(name), _translated(get_urlconf() or settings.ROOT_URLCONF, path, code))
        for code, name in settings.LANGUAGES
        if code != current
    ]
    return {"language_links": links}


def on_this_site(path: str) -> str:
    """Return ``path`` with exactly one leading slash: "//host/…" (also sent as "/%2Fhost/…") reads as another
    site's address to ``translate_url`` and to a browser, and a 404 page would link there."""
    return "/" + path.lstrip("/")


@functools.lru_cache(maxsize=256)
def _translated(urlconf: Any, path: str, code: str) -> str:
    """``translate_url`` kept per URL map, path and language: every page asks it again for the same few paths.

    An address that names no page (a 404) has no translation; its link is the same address under the other
    language's prefix, so the "not found" page can be read in that language too.
    """
    translated = translate_url(path, code)
    if translated != path:
        return translated
    address, _, query = path.partition("?")
    try:
        resolve(address, urlconf)
    except Resolver404:
        current = get_language_from_path(address)
        if current:
            address = on_this_site(address[len(current) + 1 :])  # "/en//host/" less its prefix
        if code != settings.LANGUAGE_CODE:
            address = f"/{code}{address}"
        return address + (f"?{query}" if query else "")
    return translated


def institution(request: HttpRequest) -> dict[str, object]:
    """Return the institution as the PDFs' letterhead shows it (name, contacts, logo as a ``data:`` URI) plus
    the onion address, and whether this is a reporter page (quick exit, how to check the site)."""
    onion = settings.PELUIT_ONION_ADDRESS
    face = {**letterhead(), "onion_url": f"http://{onion}/" if onion else ""}
    return {"institution": face, "reporter_page": is_reporter_path(request.path_info)}


@receiver(setting_changed)
def _forget_translated(*, setting: str, **kwargs: Any) -> None:
    """Tests change the URL map and the languages; a server never does while it runs."""
    if setting in {"ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "INSTALLED_APPS"}:
        _translated.cache_clear()
        caches["template_fragments"].clear()  # base.html's kept header and footer hold links
