"""The privacy middleware strips everything that identifies a reporter before any view can read it.

This module doubles as a small URLconf: the views below report what they can see of the request.
"""

from __future__ import annotations

import json

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import include, path

from intake import middleware

CANARY_ADDRESS = "203.0.113.77"
CANARY_AGENT = "CanaryBrowser/9.9 (unique-agent-5b1d7e)"
CANARY_HEADERS = {
    "HTTP_X_FORWARDED_FOR": f"{CANARY_ADDRESS}, 198.51.100.1",
    "HTTP_X_REAL_IP": CANARY_ADDRESS,
    "HTTP_FORWARDED": f"for={CANARY_ADDRESS};proto=https",
    "HTTP_X_FORWARDED_HOST": "evil.example",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_CLIENT_IP": CANARY_ADDRESS,
    "HTTP_TRUE_CLIENT_IP": CANARY_ADDRESS,
    "HTTP_CF_CONNECTING_IP": CANARY_ADDRESS,
    "HTTP_X_CLUSTER_CLIENT_IP": CANARY_ADDRESS,
    "HTTP_X_FORWARDED_SERVER": CANARY_ADDRESS,
    "HTTP_VIA": f"1.1 {CANARY_ADDRESS}",
    "HTTP_SEC_CH_UA": '"CanaryBrowser";v="9"',
    "HTTP_SEC_CH_UA_PLATFORM": '"CanaryOS"',
    "HTTP_SEC_CH_UA_MODEL": '"Canary Phone"',
    "HTTP_USER_AGENT": CANARY_AGENT,
    "HTTP_X_REQUEST_ID": "canary-request-id",
    "REMOTE_ADDR": CANARY_ADDRESS,
    "REMOTE_PORT": "53117",
}


def what_the_view_sees(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "meta": {key: str(value) for key, value in request.META.items() if key.isupper()},
            "host": request.get_host(),
            "secure": request.is_secure(),
        }
    )


urlpatterns = [
    path("healthz", what_the_view_sees),
    *i18n_patterns(
        path("auth/meta", what_the_view_sees),
        path("meta", what_the_view_sees),
        path("", include("intake.urls")),
        prefix_default_language=False,
    ),
]


def seen(client: Client, url: str, **extra: str) -> dict:
    response = client.get(url, **{**CANARY_HEADERS, **extra})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.urls("tests.intake.test_privacy_middleware")
@pytest.mark.parametrize("url", ["/meta", "/en/meta", "/healthz"])
def test_no_identifying_header_reaches_a_reporter_view(client: Client, url: str) -> None:
    view = seen(client, url)
    dump = json.dumps(view["meta"])
    assert CANARY_ADDRESS not in dump
    assert CANARY_AGENT not in dump and "unique-agent" not in dump
    assert "CanaryOS" not in dump and "Canary Phone" not in dump and "canary-request-id" not in dump
    assert "53117" not in dump
    leftovers = {
        key
        for key in view["meta"]
        if key in middleware.IDENTIFYING_META_KEYS
        or (key.startswith(middleware.IDENTIFYING_META_PREFIXES) and key not in middleware.KEPT_META_KEYS)
    }
    assert leftovers == set()
    assert view["host"] == "testserver", "get_host() still works, from Host and not X-Forwarded-Host"


@pytest.mark.urls("tests.intake.test_privacy_middleware")
def test_the_proxy_protocol_header_survives_so_https_is_still_recognised(client: Client, settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    view = seen(client, "/meta")
    assert view["secure"] is True


@pytest.mark.urls("tests.intake.test_privacy_middleware")
def test_staff_paths_keep_their_headers(client: Client) -> None:
    view = seen(client, "/auth/meta")
    assert view["meta"]["HTTP_USER_AGENT"] == CANARY_AGENT
    assert view["meta"]["REMOTE_ADDR"] == CANARY_ADDRESS


def test_the_landing_page_still_renders_with_canary_headers(client: Client, db: None) -> None:
    response = client.get("/", **CANARY_HEADERS)
    assert response.status_code == 200
    assert CANARY_ADDRESS.encode() not in response.content
    assert b"unique-agent" not in response.content


def test_scrub_removes_every_variant_in_place() -> None:
    meta: dict[str, object] = {**CANARY_HEADERS, "HTTP_HOST": "peluit.test", "HTTP_ACCEPT": "text/html"}
    middleware.scrub(meta)
    assert meta == {"HTTP_HOST": "peluit.test", "HTTP_ACCEPT": "text/html", "HTTP_X_FORWARDED_PROTO": "https"}


@pytest.mark.parametrize(
    ("path", "reporter"),
    [("/", True), ("/en/", True), ("/api/v1/wbs", True), ("/console/", False), ("/en/auth/login", False)],
)
def test_reporter_paths_are_everything_but_the_console_and_login(path: str, reporter: bool) -> None:
    assert middleware.is_reporter_path(path) is reporter


def test_the_middleware_is_first_in_the_chain(settings) -> None:
    assert settings.MIDDLEWARE[0] == "intake.middleware.ReporterPrivacyMiddleware"


@pytest.mark.urls("tests.intake.test_privacy_middleware")
def test_request_logs_never_see_the_canaries(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG"):
        assert client.get("/no-such-page", **CANARY_HEADERS).status_code == 404
        assert client.post("/meta", **CANARY_HEADERS).status_code == 200
    assert any(record.name == "django.request" for record in caplog.records), "Django logged the 404"
    for record in caplog.records:
        request = getattr(record, "request", None)
        seen_by_handlers = f"{record.getMessage()} {getattr(request, 'META', '')}"
        assert CANARY_ADDRESS not in seen_by_handlers and "unique-agent" not in seen_by_handlers
