"""Comparing two console pages that must not tell apart what they answer for."""

from __future__ import annotations

import re

_CSRF_VALUE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def without_number(content: bytes, number: str) -> bytes:
    """Return a page with the case number it was asked for, and its per-response CSRF mask, taken out.

    Two answers that differ only there say the same thing: e.g. a case kept from someone and a number nobody has.
    """
    return _CSRF_VALUE.sub(b"", content.replace(number.encode(), b"N"))
