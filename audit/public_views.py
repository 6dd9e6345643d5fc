"""The audit log's public face: the latest published checkpoint, consistency proofs, and witness cosignatures.

Mounted at /audit/ outside the language prefixes (config/urls.py). These are reporter paths for the request
hygiene (the client address and user agent are gone before this code runs, and the throttle applies); nothing
here sets a cookie. Answers are plain text in the C2SP formats: a signed note, or one base64 hash per line.
Another institution's ``manage.py audit_witness`` reads them; see docs/audit.md.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from audit import merkle, selectors
from audit.checkpoints import (
    CheckpointAltered,
    CosignatureRejected,
    add_cosignatures,
    cosigned_note,
)
from audit.publication import latest_published, published

TEXT = "text/plain; charset=utf-8"
MAX_COSIGNED_NOTE_BYTES = 64 * 1024
_SIZE = re.compile(r"0|[1-9][0-9]{0,17}")
PROOF_CACHE_SECONDS = 24 * 3600
PROOF_WAIT_SECONDS = 30
# One proof computation at a time per process (each reads up to the whole log); others wait their turn.
_proof_slot = threading.BoundedSemaphore(1)


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, content_type=TEXT, status=status)


def _checkpoint_altered() -> HttpResponse:
    """The answer when the stored checkpoint cannot be served because its row was edited (never cached)."""
    message = _(
        "This checkpoint cannot be served: the checkpoint table was altered; its operator must run audit_verify."
    )
    return _text(message + "\n", status=409)


def _client_language(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Answer in the client's ``Accept-Language`` (Indonesian by default), as the JSON API does: programs read
    these URLs, and they are outside the language prefixes."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):
            return view(request)

    return wrapper


@csrf_exempt  # no cookie is read: any other method gets require_GET's plain 405, not the CSRF page
@_client_language
@require_GET
def checkpoint(request: HttpRequest) -> HttpResponse:
    """The latest published checkpoint (C2SP tlog-checkpoint; audit/publication.py), with the witnesses'
    cosignatures appended."""
    try:
        latest = latest_published()
        if latest is None:
            return _text(_("No checkpoint has been signed yet.") + "\n", status=404)
        note = cosigned_note(latest)
    except CheckpointAltered:
        return _checkpoint_altered()
    return _text(note)


def _size(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if _SIZE.fullmatch(value) else None


@csrf_exempt
@_client_language
@require_GET
def proof(request: HttpRequest) -> HttpResponse:
    """The consistency proof from tree size ``old`` to ``new`` (a published checkpoint's size): one base64 hash a line.

    ``0 <= old <= new``; the proof of equal sizes, or from the empty tree, is empty. A proof is verified against
    the checkpoint's signed root before it is served; then it is cached, since the tree at a checkpoint's size
    never changes. One that does not verify (stored leaf hashes edited) is a 409, never cached.
    """
    old, new = _size(request, "old"), _size(request, "new")
    if old is None or new is None:
        return _text(_("Give the tree sizes as ?old=N&new=M (whole numbers).") + "\n", status=400)
    if old > new:
        return _text(_("The old tree size must not be larger than the new one.") + "\n", status=400)
    try:
        signed = published(new)
    except CheckpointAltered:
        return _checkpoint_altered()
    if signed is None:  # none of that size, or one the public does not see: the same answer
        return _text(_("The new tree size must be the size of a published checkpoint.") + "\n", status=404)
    # Proofs cached before they were checked against the signed root are not reused ("v2").
    key = f"audit-proof-v2:{old}:{new}:{bytes(signed.root_hash).hex()}"
    body = cache.get(key)
    if body is None:
        if not _proof_slot.acquire(timeout=PROOF_WAIT_SECONDS):
            response = _text(_("The server is busy; please try again shortly.") + "\n", status=503)
            response["Retry-After"] = "30"
            return response
        try:
            body = cache.get(key)
            if body is None:
                try:
                    hashes = selectors.checked_consistency_proof(
                        old_size=old, new_size=new, signed_root=bytes(signed.root_hash)
                    )
                except selectors.ProofDoesNotVerify:
                    # A stored leaf hash was edited: a wrong proof is never served, never cached.
                    return _text(
                        _("The log no longer matches its signed checkpoint; its operator must run audit_verify.")
                        + "\n",
                        status=409,
                    )
                except merkle.ProofError:
                    # Events the signed tree covers are gone from the table: never a proof, never cached.
                    return _text(
                        _("The log no longer holds every event this proof needs; its operator must run audit_verify.")
                        + "\n",
                        status=409,
                    )
                body = "".join(f"{base64.b64encode(h).decode()}\n" for h in hashes)
                cache.set(key, body, PROOF_CACHE_SECONDS)
        finally:
            _proof_slot.release()
    return _text(body)


@csrf_exempt
@_client_language
@require_POST
def cosignature(request: HttpRequest) -> HttpResponse:
    """Receive a witness's cosigned copy of one of our checkpoints; keep the cosignatures of known witnesses.

    The body is the signed note as ``manage.py audit_witness`` returns it. Authenticated by the cosignatures
    themselves (keys in ``PELUIT_AUDIT_WITNESSES``), so it needs no cookie or token.
    """
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_COSIGNED_NOTE_BYTES:
        return _text(_("The cosigned checkpoint is too large.") + "\n", status=413)
    try:
        note = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _text(_("The cosigned checkpoint must be UTF-8 text.") + "\n", status=400)
    try:
        stored = add_cosignatures(note=note, lookup=published)  # only checkpoints the public was shown
    except CosignatureRejected as error:
        return _text(error.message + "\n", status=400)
    except CheckpointAltered:
        return _checkpoint_altered()
    if not stored:
        return _text(_("These cosignatures were already stored.") + "\n")
    count = len(stored)
    return _text(
        ngettext("Stored %(count)d cosignature.", "Stored %(count)d cosignatures.", count) % {"count": count} + "\n",
        status=201,
    )
