"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def language_links(request: HttpRequest) -> dict[str, list[tuple[str, str, str]]]:
    """Return links to the current page in the other languages, as (code, name, url)."""
    current = get_language()
    links = [
        (code, str(name), translate_url(request.get_full_path(), code))
        for code, name in settings.LANGUAGES
        if code != current
    ]
    return {"language_links": links}
