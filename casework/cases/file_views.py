"""Safe viewing of a case's images and PDFs in the console (/console/cases/<number>/files/<id>/view/).

The officer's browser receives a page with a picture of one page, drawn on the server
(``casework.cases.preview``), never the file: no script, form, link or embedded file of a PDF and no
image decoder exploit reaches it. Each page shown is audited; the original stays downloadable (audited too).
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.cases import selectors
from casework.cases.models import Case, CaseAttachment
from casework.cases.preview import MAX_PAGES, CannotPreview
from casework.cases.responses import case_denied as _denied
from casework.cases.responses import console_user as _user
from casework.cases.responses import corrupt_case as _corrupt
from casework.cases.responses import vault_locked as _locked
from casework.cases.services import attachment_page_view
from casework.cases.views import case_readers_only
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, VaultLocked


def cannot_preview_message(reason: str) -> str:
    """Return why a file cannot be shown here, in the officer's language."""
    messages = {
        "type": _("Only images and PDF documents can be viewed in the console."),
        "too_large": _("This file is too large to be viewed in the console."),
        "page": _("This page cannot be viewed here: only the first %(pages)d pages of a document are shown.")
        % {"pages": MAX_PAGES},
        "timeout": _("Drawing this file took too long."),
    }
    return messages.get(reason, _("This file is damaged or protected and cannot be drawn."))


def _file(number: str, attachment_id: uuid.UUID) -> tuple[Case, CaseAttachment]:
    case = get_object_or_404(Case.objects.defer("content"), number=number)
    attachment = get_object_or_404(CaseAttachment, case=case, pk=attachment_id)
    return case, attachment


def _cannot(request: HttpRequest, case: Case, attachment: CaseAttachment, exc: CannotPreview) -> HttpResponse:
    status = 404 if exc.reason == "page" else 422
    context = {"case": case, "attachment": attachment, "message": cannot_preview_message(exc.reason)}
    return render(request, "casework/attachment_view.html", context, status=status)


def _page_number(request: HttpRequest) -> int:
    """Return the ?page= number; anything that is not a small positive number counts as page 1."""
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) <= 4 else 0


@case_readers_only
@require_GET
def case_attachment_view(request: HttpRequest, number: str, attachment_id: uuid.UUID) -> HttpResponse:
    """The viewer page: one page of the file as a picture drawn by the server, paging and download links.

    The picture is part of the page (a ``data:`` URI), so each page shown is one request and one audit event.
    """
    case, attachment = _file(number, attachment_id)
    if not selectors.holds_case(_user(request), case):
        return _denied(request, case)
    try:
        info = attachment_page_view(
            keyring=vault.officer_keyring(request), case=case, attachment=attachment, page=_page_number(request)
        )
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _denied(request, case)
    except CorruptCiphertext as exc:
        return _corrupt(request, exc)
    except CannotPreview as exc:
        return _cannot(request, case, attachment, exc)
    return render(request, "casework/attachment_view.html", {"case": case, "attachment": attachment, "info": info})
