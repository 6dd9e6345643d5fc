"""config/faults.py: database faults answer a localised 503, an unfinished body a 400, bugs still a 500.

This module doubles as a URLconf whose views raise what a broken database or a vanished client raises; the
real faults (a replaced file, held locks, PostgreSQL gone or silent) are in tests/reliability/.
"""

from __future__ import annotations

import logging

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.test import Client
from django.urls import include, path

from config import views

FAULTS = {
    "locked": OperationalError("database is locked"),
    "gone": InterfaceError("connection already closed"),
    "broken": DatabaseError("server closed the connection unexpectedly"),
    "bug": ProgrammingError("column does_not_exist does not exist"),
    "slow": UnreadablePostError("request body too slow"),
}


def fail(request: HttpRequest, fault: str) -> HttpResponse:
    raise FAULTS[fault]


urlpatterns = [
    path("api/v1/fail/<str:fault>", fail),
    path("healthz", views.healthz),
    *i18n_patterns(
        path("fail/<str:fault>", fail, name="fail"), path("", include("intake.urls")), prefix_default_language=False
    ),
]
handler500 = "config.views.server_error"
pytestmark = [pytest.mark.urls("tests.config.test_faults"), pytest.mark.django_db]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("fault", ["locked", "gone", "broken"])
def test_a_database_fault_is_a_503_page_in_the_visitors_language(client: Client, fault: str) -> None:
    page = client.get(f"/fail/{fault}")
    assert page.status_code == 503
    assert page["Retry-After"] == "30" and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert '<html lang="id">' in text and "Layanan sementara tidak tersedia" in text
    assert 'href="/en/fail/' in text, "the language switch still works"
    english = client.get(f"/en/fail/{fault}").content.decode()
    assert "Temporarily unavailable" in english and "Nothing you sent has been saved" in english


def test_a_database_fault_is_json_under_the_api(client: Client) -> None:
    response = client.get("/api/v1/fail/locked", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("The service cannot store or show data right now.")
    indonesian = client.get("/api/v1/fail/gone")
    assert indonesian.json()["detail"].startswith("Layanan belum dapat menyimpan")


def test_a_body_that_never_arrived_is_a_400(client: Client) -> None:
    assert client.get("/en/fail/slow").status_code == 400
    response = client.get("/api/v1/fail/slow", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "did not arrive completely" in response.json()["detail"]


def test_a_bug_is_still_a_500(client: Client) -> None:
    assert client.get("/en/fail/bug").status_code == 500


def test_a_fault_is_logged_in_one_line_without_a_traceback(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        client.get("/en/fail/locked")
    lines = [(r.name, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [("config.faults", "503 /en/fail/locked: OperationalError: database is locked", None)]


def test_healthz_reads_peluits_tables(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
