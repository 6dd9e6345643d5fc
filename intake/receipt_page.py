"""The receipt page a reporter sees once: rendered per process as a page with placeholders, then filled in.

Every reporter's receipt page is the same page but for two values, the receipt and the case number. Rendering
it through the template engine was about a seventh of a report's Python on the form channel (0.5 ms in one
process, about twice that on a server busy with Argon2id, docs/reliability.md, stop 25). Here it is rendered
once per language, address and institution with two random placeholders, kept in the process's
``template_fragments`` cache (settings: CACHES), and each receipt page is that text with the two values put in,
escaped as the template escapes them.

What is kept holds no reporter's data: only placeholders. A page that says more than the two values (warnings,
files sent as they are, messages waiting for the visitor) is rendered in full, as are console pages and any
page whose placeholders do not appear exactly once each (a template changed to show them twice or not at all).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.template.loader import render_to_string
from django.utils.html import escape

from intake.middleware import is_reporter_path

# Random per process: no text a template shows can be taken for one of them.
_RECEIPT = f"PELUIT-RECEIPT-{secrets.token_hex(16)}"
_NUMBER = f"PELUIT-CASE-{secrets.token_hex(16)}"
KEEP_SECONDS = 3600
# The context processors' values base.html shows (besides ``institution``, keyed without its logo's data: the
# logo's version names it). Lazy ones (user, perms, messages, csrf_token) are not asked for here.
PAGE_KEYS = ("LANGUAGE_CODE", "LANGUAGE_BIDI", "language_links", "reporter_page")


@dataclass(frozen=True)
class _Case:
    number: str


@dataclass(frozen=True)
class _Placeholders:
    """Stands for a ``Submission`` in the kept page: the two values as placeholders, nothing else to show."""

    case: _Case = _Case(_NUMBER)
    formatted_receipt: str = _RECEIPT
    warnings: list[str] = field(default_factory=list)
    uncleaned_files: list[str] = field(default_factory=list)


def receipt_response(request: HttpRequest, template: str, context: dict[str, Any], submission: Any) -> HttpResponse:
    """Return the receipt page for ``submission``: what ``render(request, template, {**context, "submission":
    submission})`` returns, from the kept page when only the receipt and the case number differ."""
    full = {**context, "submission": submission}
    # Console pages (an officer recording a phone report) show more of the case, and are never kept.
    if submission.warnings or submission.uncleaned_files or not is_reporter_path(request.path_info):
        return render(request, template, full)
    # As base.html's "{% if messages %}" asks, with the same effects (a message read from the cookie is shown).
    if get_messages(request):
        return render(request, template, full)
    key = _key(request, template, context)
    kept = caches["template_fragments"]
    page = kept.get(key)
    if page is None:
        page = render_to_string(template, {**context, "submission": _Placeholders()}, request)
        if page.count(_RECEIPT) != 1 or page.count(_NUMBER) != 1:
            return render(request, template, full)
        kept.set(key, page, KEEP_SECONDS)
    filled = page.replace(_RECEIPT, escape(submission.formatted_receipt)).replace(
        _NUMBER, escape(submission.case.number)
    )
    return HttpResponse(filled)


def _key(request: HttpRequest, template: str, context: dict[str, Any]) -> str:
    """Everything the kept page shows besides the two values: the address and what base.html shows from the
    context processors (``PAGE_KEYS``: language, language links, the institution with its logo by version),
    and the view's own context."""
    shown: dict[str, Any] = {}
    for processor in engines["django"].engine.template_context_processors:  # type: ignore[attr-defined]
        shown.update(processor(request))
    institution = {name: value for name, value in shown.get("institution", {}).items() if name != "logo"}
    parts = [
        template,
        request.get_full_path(),
        repr([shown.get(name) for name in PAGE_KEYS]),
        repr(sorted(institution.items())),
        repr(sorted((name, repr(value)) for name, value in context.items())),
    ]
    return "receipt_page:" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()
