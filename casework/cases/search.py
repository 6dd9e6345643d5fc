"""Search in the cases an officer holds: decrypted in the request, matched in memory, nothing kept.

There is no search index: an index of report text would be plaintext (or a map of it) at rest. Instead every
case the officer holds is opened for the request: the vault opens all their data keys at once
(``vault.unseal_held_reports``, one audit event for the lot), and the report text, the messages and the file
names are decrypted and matched here. The query itself is never stored, logged or audited (the page posts it,
so it is not in a URL either); the audit log says who searched how many cases.

A query is up to ``MAX_TERMS`` words or "quoted phrases"; a case matches when each of them occurs somewhere in
it (case-insensitive). Automatic messages (the acknowledgement) are not searched: they are the same for
everyone.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from casework.cases.content import IDENTITY_PREFIX, LAYOUTS, NOT_CONTENT
from casework.cases.models import Case, CaseAttachment, CaseKind, CaseMessage
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext

MAX_QUERY = 200
MAX_TERMS = 8
MIN_TERM = 2
MAX_RESULTS = 100
SNIPPET_CONTEXT = 60
_TERM = re.compile(r'"([^"]+)"|(\S+)')


class BadQuery(Exception):
    """The query cannot be searched (empty, too long, too many words); ``message`` says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def query_terms(query: str) -> list[str]:
    """Return the words and "quoted phrases" of ``query``, case-folded; ``BadQuery`` when it cannot be used."""
    if len(query) > MAX_QUERY:
        raise BadQuery(_("The search is too long (at most %(max)d characters).") % {"max": MAX_QUERY})
    terms = []
    for phrase, word in _TERM.findall(query):
        term = " ".join((phrase or word.strip('"')).split()).casefold()
        if term and term not in terms:
            terms.append(term)
    if not terms:
        raise BadQuery(_("Type what you are looking for."))
    if len(terms) > MAX_TERMS:
        raise BadQuery(_("Use at most %(max)d words or phrases.") % {"max": MAX_TERMS})
    if any(len(term) < MIN_TERM for term in terms):
        raise BadQuery(_("Each word must have at least %(min)d characters.") % {"min": MIN_TERM})
    return terms


@dataclass(frozen=True)
class SearchHit:
    """A case that matched: where the first word was found and the text around it."""

    case: Case
    where: str
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    """What one search found among the cases the officer holds."""

    searched: int
    unreadable: int
    total: int  # matching cases; at most MAX_RESULTS are in ``hits``
    hits: list[SearchHit]

    @property
    def truncated(self) -> bool:
        """True when more cases matched than are listed."""
        return self.total > len(self.hits)


@dataclass
class _Text:
    """Decrypted text of one case, kept only for this request."""

    case_id: uuid.UUID
    raw: str  # the decrypted report (JSON); its fields are read only for a case that may match (``_parse``)
    parts: list[tuple[str, str]]  # (where, text); "where" is a content key, "message" or "file"
    parsed: bool = False


def _parse(item: _Text) -> bool:
    """Put the report's searchable fields before the messages and file names; False when it is not a report."""
    if not item.parsed:
        try:
            content = json.loads(item.raw)
        except ValueError:
            return False
        if not isinstance(content, dict):
            return False
        item.parts[:0] = list(_content_parts(content))
        item.parsed = True
    return True


def _literal(term: str) -> bool:
    """True when ``term`` appears unchanged in JSON text that contains it (``json.dumps(ensure_ascii=False)``
    escapes only quotes, backslashes and control characters), so the raw report can rule a case out."""
    return term.isascii() and term.isprintable() and not any(c in term for c in ' "\\')


def _may_match(item: _Text, terms: list[str]) -> bool:
    """False when some term is nowhere in the case's raw text: it cannot match (saves parsing the report)."""
    haystack = "\n".join([item.raw, *(text for _key, text in item.parts)]).casefold()
    return all(term in haystack for term in terms)


def _content_parts(content: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for name, value in content.items():
        if name in NOT_CONTENT or name == "language" or name.startswith(IDENTITY_PREFIX):
            continue
        if isinstance(value, str) and value:
            yield name, value
        elif isinstance(value, Mapping) and value.get("name"):
            yield name, str(value["name"])
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value if isinstance(item, str | int))
            if text:
                yield name, text


def _where(kind: str, key: str) -> str:
    if key == "message":
        return str(_("A message"))
    if key == "file":
        return str(_("A file name"))
    layout = LAYOUTS.get(CaseKind(kind)) if kind in CaseKind.values else None
    field = layout.fields.get(key) if layout is not None else None
    return str(field.label) if field is not None else key


def _flat(text: str) -> str:
    return " ".join(text.split())


def _snippet(text: str, term: str) -> str:
    flat = _flat(text)
    at = flat.casefold().find(term)
    if at < 0:
        return flat[: 2 * SNIPPET_CONTEXT]
    start, end = max(0, at - SNIPPET_CONTEXT), min(len(flat), at + len(term) + SNIPPET_CONTEXT)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def _open(held: vault.HeldReports, report_id: uuid.UUID, purpose: str, ciphertext: bytes) -> str | None:
    try:
        return held.open(report_id, purpose, ciphertext).decode("utf-8")
    except (AccessDenied, CorruptCiphertext, UnicodeDecodeError):
        return None


def _file_name(meta: str) -> str | None:
    """Return the original name from a file's sealed metadata (``casework.cases.sealed.AttachmentMeta``)."""
    try:
        parsed = json.loads(meta)
    except ValueError:
        return None
    return str(parsed.get("name") or "") if isinstance(parsed, dict) else None


def _decrypted(user: Any, held: vault.HeldReports) -> tuple[list[_Text], int]:
    """Return the decrypted text of every held case (three queries) and how many could not be read."""
    opened = set(held.report_ids)
    ids = vault.granted_report_ids(user=user)
    texts: dict[uuid.UUID, _Text] = {}
    unreadable = 0
    # Only the ciphertext: the cases' metadata is read for the matches alone (converting thousands of dates
    # and numbers cost more than decrypting them). Each query is read whole, not through ``iterator()``: on
    # PostgreSQL that is a server-side cursor declared WITH HOLD outside a transaction, which makes the server
    # copy the whole result first (about 600 ms of a 1.6 s search over 5,000 held cases). A case's sealed
    # text is about 4 KiB, so 5,000 cases hold some 20 MiB for the request.
    rows = Case.objects.filter(id__in=ids).values_list("id", "content")
    for case_id, sealed in rows:
        if case_id not in opened:  # granted after the keys were opened, or its key did not open (counted)
            continue
        plaintext = _open(held, case_id, Case.CONTENT_PURPOSE, bytes(sealed))
        if plaintext is None or not plaintext.startswith("{"):
            unreadable += 1
            continue
        texts[case_id] = _Text(case_id, plaintext, [])
    messages = CaseMessage.objects.filter(case_id__in=ids).exclude(
        sender=CaseMessage.Sender.INSPECTORATE,
        author__isnull=True,  # automatic messages
    )
    for message_id, case_id, body in messages.values_list("id", "case_id", "body"):
        if case_id in texts:
            text = _open(held, case_id, f"message:{message_id}", bytes(body))
            if text:
                texts[case_id].parts.append(("message", text))
    files = CaseAttachment.objects.filter(case_id__in=ids).values_list("id", "case_id", "original_name", "size")
    for attachment_id, case_id, name, size in files:
        if case_id in texts:
            text = _open(held, case_id, f"attachment-name:{attachment_id}", bytes(name))
            if text and size is None:  # the name, content type and size sealed together (older rows: the name)
                text = _file_name(text)
            if text:
                texts[case_id].parts.append(("file", text))
    return list(texts.values()), unreadable


def search_held_cases(*, keyring: vault.Keyring, query: str) -> SearchResult:
    """Return the cases the keyring's officer holds whose text contains every term of ``query``, newest first.

    Raises ``BadQuery`` for an unusable query (before anything is opened) and the vault's ``AccessDenied`` for
    staff who may not hold case keys. Writes nothing but the vault's one ``REPORT_UNSEALED`` event; nothing
    decrypted outlives the request.
    """
    terms = query_terms(query)
    held = vault.unseal_held_reports(keyring, purpose="search")
    texts, unreadable = _decrypted(keyring.user, held)
    # Phrases need the text's spaces made single; words alone do not (cheaper for thousands of cases).
    flatten = any(" " in term for term in terms)
    # Words without quotes, backslashes or accents are looked for in the raw report first: most cases are ruled
    # out without parsing their JSON (a fifth of the search's time over 5,000 cases).
    quick = all(_literal(term) for term in terms)
    found: dict[uuid.UUID, _Text] = {}
    for item in texts:
        if quick and not _may_match(item, terms):
            continue
        if not _parse(item):
            unreadable += 1
            continue
        if _matches(item, terms, flatten=flatten):
            found[item.case_id] = item
    newest = (
        Case.objects.filter(id__in=list(found))
        .only("id", "number", "kind", "status", "received_at")
        .order_by("-received_at", "-number")[:MAX_RESULTS]
    )
    return SearchResult(
        searched=len(texts),
        unreadable=held.unreadable + unreadable,
        total=len(found),
        hits=[_hit(case, found[case.id], terms[0]) for case in newest],
    )


def _matches(item: _Text, terms: list[str], *, flatten: bool) -> bool:
    joined = "\n".join(_flat(text) if flatten else text for _key, text in item.parts).casefold()
    return all(term in joined for term in terms)


def _hit(case: Case, item: _Text, term: str) -> SearchHit:
    """Return the hit of a matching case: the first part that holds ``term`` and the text around it."""
    key, text = next(((k, t) for k, t in item.parts if term in _flat(t).casefold()), item.parts[0])
    return SearchHit(case=case, where=_where(case.kind, key), snippet=_snippet(text, term))
