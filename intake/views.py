"""Reporter-facing pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def landing(request: HttpRequest) -> HttpResponse:
    """The public landing page: what Peluit is and how reporters are protected."""
    return render(request, "intake/landing.html")
