"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

from intake.middleware import is_reporter_path
from reports.rendering import institution as letterhead


def language_links(request: HttpRequest) -> dict[str, list[tuple[str, str, str]]]:
    """Return links to the current page in the other languages, as (code, name, url)."""
    current = get_language()
    links = [
        (code, str(name), translate_url(request.get_full_path(), code))
        for code, name in settings.LANGUAGES
        if code != current
    ]
    return {"language_links": links}


def institution(request: HttpRequest) -> dict[str, object]:
    """Return the institution as the PDFs' letterhead shows it (name, contacts, logo as a ``data:`` URI) plus
    the onion address, and whether this is a reporter page (quick exit, how to check the site)."""
    onion = settings.PELUIT_ONION_ADDRESS
    face = {**letterhead(), "onion_url": f"http://{onion}/" if onion else ""}
    return {"institution": face, "reporter_page": is_reporter_path(request.path_info)}
