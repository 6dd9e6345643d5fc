"""Burning in redactions: passages an officer marks are replaced in the text before anything is rendered.

The replaced text never reaches the HTML, so it cannot be in the PDF (no overlay, no hidden text layer, no
length hint: every passage becomes the same mark). Matching ignores case and treats any run of whitespace as
one space, so a passage copied from the console matches across line breaks. Pure; no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_PASSAGES = 100
MAX_PASSAGE_LENGTH = 1000
MIN_PASSAGE_LENGTH = 2


class RedactionError(ValueError):
    """The list of passages cannot be used (too many, too long or too short)."""


@dataclass
class Redactor:
    """Replaces every occurrence of the given passages with ``mark`` and remembers which passages matched."""

    passages: list[str]
    mark: str

    def __post_init__(self) -> None:
        # Longest first, so a passage inside a longer one does not leave the rest of the longer one behind.
        ordered = sorted(set(self.passages), key=len, reverse=True)
        self._patterns = [(p, re.compile(r"\s+".join(re.escape(w) for w in p.split()), re.IGNORECASE)) for p in ordered]
        self.used: set[str] = set()
        self.count = 0

    def __call__(self, text: str) -> str:
        """Return ``text`` with every passage replaced."""
        for passage, pattern in self._patterns:
            text, found = pattern.subn(self.mark, text)
            if found:
                self.used.add(passage)
                self.count += found
        return text

    def unused(self) -> list[str]:
        """Return the passages that matched nothing (the officer should know)."""
        return [p for p in self.passages if p not in self.used]


def parse_passages(text: str | Iterable[str]) -> list[str]:
    """Return the passages of ``text`` (one per line, blank lines dropped); raise ``RedactionError`` when bad."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    passages = []
    for line in lines:
        passage = " ".join(line.split())
        if not passage:
            continue
        if len(passage) < MIN_PASSAGE_LENGTH:
            raise RedactionError(f"a passage must have at least {MIN_PASSAGE_LENGTH} characters")
        if len(passage) > MAX_PASSAGE_LENGTH:
            raise RedactionError(f"a passage may have at most {MAX_PASSAGE_LENGTH} characters")
        passages.append(passage)
    if len(passages) > MAX_PASSAGES:
        raise RedactionError(f"at most {MAX_PASSAGES} passages")
    return passages
