"""The auditor view: the audit log filtered, one event with its inclusion proof, and the latest checkpoint.

Mounted under /console/audit/, so the console middleware already demands a password and a verified second
factor; each view also requires the ``audit.read_audit_log`` permission. Auditors see events, never report
content (the log holds none).

Someone with the database can edit the log's tables behind its back. The pages still answer: a row holding
values its columns cannot hold is shown as not readable, under a banner that sends the auditor to
``manage.py audit_verify``; a page the database cannot even read (SQLite text that is not UTF-8) is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit import signing
from audit.checkpoints import CheckpointAltered, checked_checkpoint, current_checkpoint, signed_time, stored_time
from audit.db import is_undecodable_text
from audit.exceptions import AuditError
from audit.forms import EventFilterForm
from audit.models import READ_AUDIT_LOG, AuditEvent
from audit.publication import latest_published, publication_period
from audit.selectors import event_proof, event_with_hashes, events_filtered
from audit.verify import TIME_TOLERANCE

PAGE_SIZE = 50
# Only staff who may read the audit log (auditors, supervisors) reach these views; 403 for anyone else.
auditors_only = permission_required(READ_AUDIT_LOG, raise_exception=True)


def unreadable_log_is_409(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 409 with a clear message when SQLite cannot read an altered cell of the log (text not UTF-8).

    Without this the error would pass for a database outage (a 503 telling the auditor to try again later).
    Every other database error still propagates, so an unavailable database keeps its 503.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OperationalError as error:
            if not is_undecodable_text(error):
                raise
        return render(request, "audit/unreadable.html", status=409)

    return wrapper


@auditors_only
@require_GET
@unreadable_log_is_409
def event_list(request: HttpRequest) -> HttpResponse:
    """The log, newest first, filtered by period, actor, action and case."""
    form = EventFilterForm(request.GET or None)
    if not form.is_bound:
        events = events_filtered()
    elif form.is_valid():
        events = events_filtered(**form.cleaned_data)
    else:
        events = AuditEvent.objects.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    try:
        checkpoint, altered = checked_checkpoint(), False
    except CheckpointAltered:
        checkpoint, altered = None, True
    signed_at = time_altered = None
    if checkpoint is not None:
        # Shown: the time the note signed. The row's own ``created_at`` is not signed; unreadable, or more than a
        # minute away from the signed time, it was edited (the banner), and the checkpoint is still shown.
        row_time, signed_at = stored_time(checkpoint), signed_time(checkpoint)
        # A note whose time cannot be shown (edited past year 1 or 9999 in the local zone) was altered too.
        time_altered = row_time is None or signed_at is None or abs(row_time - signed_at) > TIME_TOLERANCE
        signed_at = signed_at or row_time
    published_altered = False
    try:
        shown = None if altered else latest_published()
    except CheckpointAltered:
        shown, published_altered = None, True  # the published checkpoint's row was edited or deleted
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "checkpoint": checkpoint,
        "signed_at": signed_at,
        "checkpoint_altered": altered,
        "published": shown,
        "published_altered": published_altered,
        "published_at": signed_time(shown) if shown is not None else None,
        "publication_minutes": (publication_period() or 0) // 60,
        "altered": altered or bool(time_altered) or published_altered or any(event.altered for event in page),
        "verifier_key": signing.verifier_key().encode(),
    }
    return render(request, "audit/event_list.html", context)


@auditors_only
@require_GET
@unreadable_log_is_409
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    """One event, its hashes and its inclusion proof in the latest checkpoint that covers it."""
    if seq < 1:  # seq numbers start at 1; a row edited to 0 has no leaf index (audit_verify names it)
        raise Http404
    event = event_with_hashes(seq)
    if event is None:
        raise Http404
    proof = event_proof(event)
    context = {
        "event": event,
        "details": sorted(event.details_dict.items()),
        "proof": proof,
        "proof_hex": [h.hex() for h in proof.proof],
    }
    return render(request, "audit/event_detail.html", context)


@auditors_only
@require_GET
def checkpoint_download(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint as a text file, for ``audit_verify --checkpoint`` or any signed-note tool."""
    try:
        checkpoint = checked_checkpoint()
    except CheckpointAltered:
        return render(request, "audit/unreadable.html", status=409)
    if checkpoint is None:
        raise Http404(_("No checkpoint has been signed yet."))
    response = HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")
    filename = f"peluit-audit-checkpoint-{checkpoint.tree_size}.txt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@auditors_only
@require_POST
def checkpoint_create(request: HttpRequest) -> HttpResponse:
    """Sign a checkpoint now if the log has grown since the latest one."""
    try:
        checkpoint = current_checkpoint()
    except AuditError:
        messages.error(request, _("The audit log does not verify, so no checkpoint was signed. Run audit_verify."))
    else:
        messages.success(request, _("The latest checkpoint covers %(size)d events.") % {"size": checkpoint.tree_size})
    return redirect("console:audit:events")
