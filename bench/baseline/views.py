"""The baseline endpoints: validate with the same form as Peluit, insert one plaintext row, answer as Peluit does.

Same middleware, same form (``WbsReportForm``), the same receipt template for the page and the same JSON shape
for the API. What is missing is exactly what Peluit adds: the receipt's Argon2id derivation, sealing, the case
records (number, clocks, acknowledgement) and the audit log.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bench.baseline.models import PlainReport
from intake.forms import FILE_FIELDS, WbsReportForm


@dataclass(frozen=True)
class _Case:
    number: str


@dataclass(frozen=True)
class _Submission:
    case: _Case
    formatted_receipt: str
    warnings: tuple[str, ...] = ()
    uncleaned_files: tuple[str, ...] = ()


def _store(form: WbsReportForm) -> _Submission:
    data = {k: v for k, v in form.cleaned_data.items() if k not in FILE_FIELDS}
    with transaction.atomic():
        report = PlainReport.objects.create(
            kind="wbs", received_at=timezone.now(), content=json.dumps(data, cls=DjangoJSONEncoder, default=str)
        )
    digits = f"{secrets.randbelow(10**16):016d}"
    return _Submission(
        case=_Case(number=f"BASE-{report.pk:06d}"),
        formatted_receipt=" ".join(digits[i : i + 4] for i in range(0, 16, 4)),
    )


@require_http_methods(["GET", "POST"])
def wbs_form(request: HttpRequest) -> HttpResponse:
    """The WBS form page's baseline: on a valid post, one insert and the receipt page."""
    if request.method != "POST":
        return render(request, "intake/wbs_form.html", {"form": WbsReportForm(), "held": []})
    form = WbsReportForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/wbs_form.html", {"form": form, "held": []}, status=400)
    return render(request, "intake/receipt.html", {"submission": _store(form), "kind": "wbs"})


@csrf_exempt
@require_POST
def wbs_api(request: HttpRequest) -> HttpResponse:
    """The API's baseline: on a valid post, one insert and the same JSON fields as ``POST /api/v1/reports/wbs``."""
    form = WbsReportForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": "invalid", "errors": form.errors}, status=400)
    submission = _store(form)
    receipt = submission.formatted_receipt
    return JsonResponse(
        {
            "receipt": receipt.replace(" ", ""),
            "receipt_formatted": receipt,
            "case_number": submission.case.number,
            "warnings": [],
            "uncleaned_files": [],
        },
        status=201,
    )
