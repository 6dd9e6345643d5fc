"""Public pages of the reports package: the transparency page, its open data and the service standard.

No login, no JavaScript, nothing from other hosts; they sit on reporter paths, so the request hygiene of
``intake.middleware`` applies (no address, no browser details kept). Views only read.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports import service_standard as standard
from reports import transparency
from reports.exceptions import ReportError
from reports.public_documents import service_standard_pdf

DATA_FORMATS = ("csv", "json")


def _unknown_period(request: HttpRequest, year: str, *, data: bool = False) -> HttpResponse:
    years = transparency.published_years()
    message = _("No figures are published for %(period)r. Published years: %(years)s.") % {
        "period": year[:12],
        "years": ", ".join(str(y) for y in years) or "–",
    }
    if data:
        return JsonResponse({"detail": message, "errors": {"period": message}}, status=404)
    return render(request, "error.html", {"title": _("Period not published"), "message": message}, status=404)


@require_GET
def transparency_page(request: HttpRequest, year: str = "") -> HttpResponse:
    """The figures of a year (the latest published one by default), charts with their tables."""
    years = transparency.published_years()
    try:
        period = transparency.public_period(year or years[0])
    except transparency.UnknownPeriod:
        return _unknown_period(request, year)
    recap = transparency.public_recap(period)
    context: dict[str, Any] = {
        "recap": recap,
        "year": period.start.year,
        "years": years,
        "published_total": transparency.published_total(recap),
        "state_property": transparency.state_property(recap),
        "resources": [
            name for name in transparency.RESOURCES if transparency.resource(recap, name, period="") is not None
        ],
        "licence": transparency.licence(),
    }
    return render(request, "reports/public/transparency.html", context)


@require_GET
def data_package(request: HttpRequest, year: str = "") -> HttpResponse:
    """The year's Frictionless Data package (``datapackage.json``); the latest year at the stable URL."""
    years = transparency.published_years()
    try:
        period = transparency.public_period(year or years[0])
    except transparency.UnknownPeriod:
        return _unknown_period(request, year, data=True)
    recap = transparency.public_recap(period)
    page = request.build_absolute_uri(reverse("transparency_year", args=[period.start.year]))
    package = transparency.datapackage(recap, year=period.start.year, base_url=page)
    if not year:
        # The stable URL describes the latest year: its resources live under that year's folder.
        for res in package["resources"]:
            res["path"] = f"{period.start.year}/{res['path']}"
    return JsonResponse(package, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_GET
def data_resource(request: HttpRequest, year: str, name: str, fmt: str) -> HttpResponse:
    """One table of a year as CSV or JSON (long form; hidden values empty or null)."""
    try:
        period = transparency.public_period(year)
    except transparency.UnknownPeriod:
        return _unknown_period(request, year, data=True)
    if fmt not in DATA_FORMATS or name not in transparency.RESOURCES:
        message = _("There is no such table. The tables are: %(names)s (as .csv or .json).") % {
            "names": ", ".join(transparency.RESOURCES)
        }
        return JsonResponse({"detail": message, "errors": {"table": message}}, status=404)
    recap = transparency.public_recap(period)
    res = transparency.resource(recap, name, period=year)
    if res is None:
        message = _("This table has no figures for %(year)s.") % {"year": year}
        return JsonResponse({"detail": message, "errors": {"table": message}}, status=404)
    if fmt == "csv":
        response = HttpResponse(transparency.as_csv(res), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="peluit-{name}-{period.start.year}.csv"'
        return response
    body = {"period": year, "name": name, "title": res.title, "data": transparency.as_json(res)}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
def service_standard_page(request: HttpRequest) -> HttpResponse:
    """The service standard of both services, printable, with the service pledge."""
    context = {"standards": standard.service_standards(), "pledge": standard.service_pledge()}
    return render(request, "reports/public/service_standard.html", context)


@require_GET
def service_standard_download(request: HttpRequest) -> HttpResponse:
    """The service standard as a signed PDF (made once per version of the standard, then served as stored)."""
    language = get_language() or "id"
    try:
        data = service_standard_pdf(language=language)
    except ReportError as exc:
        return render(
            request, "error.html", {"title": _("The PDF cannot be made now"), "message": exc.message}, status=503
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="peluit-standar-layanan-{language}.pdf"'
    return response
