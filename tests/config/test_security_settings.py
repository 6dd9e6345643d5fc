"""Settings and headers the Foundation promises: hashing, cookies, CSP, language, time zone, health."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from config import settings as peluit_settings

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_argon2_first_and_passwords_at_least_12_characters() -> None:
    assert peluit_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in peluit_settings.AUTH_PASSWORD_VALIDATORS]
    assert 12 in lengths


def test_language_and_time_zone() -> None:
    assert django_settings.LANGUAGE_CODE == "id"
    assert [code for code, _ in django_settings.LANGUAGES] == ["id", "en"]
    assert django_settings.TIME_ZONE == "Asia/Jakarta" and django_settings.USE_TZ


def _cookie_flags(tmp_path: Path, **environment: str) -> dict[str, object]:
    """Import the settings module in a fresh process with exactly this environment and report its cookie flags."""
    code = (
        "import json, config.settings as s; print(json.dumps({name: getattr(s, name) for name in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE')}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PELUIT_INSECURE_HTTP"}
    env.update(PELUIT_VAR_DIR=str(tmp_path / "var"), **environment)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    flags: dict[str, object] = json.loads(result.stdout)
    return flags


def test_cookies_are_secure_httponly_and_strict_by_default(tmp_path: Path) -> None:
    """The module default is secure; only an explicit PELUIT_INSECURE_HTTP (bin/run on loopback) turns it off.

    (This used to assert ``_SECURE_COOKIES or env_bool("PELUIT_INSECURE_HTTP")``, which is true whatever the
    settings say, since the first is defined as the negation of the second.)
    """
    default = _cookie_flags(tmp_path)
    assert default == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "CSRF_COOKIE_SAMESITE": "Strict",
    }
    insecure = _cookie_flags(tmp_path, PELUIT_INSECURE_HTTP="1")
    assert insecure["SESSION_COOKIE_SECURE"] is False and insecure["CSRF_COOKIE_SECURE"] is False
    assert insecure["SESSION_COOKIE_HTTPONLY"] is True and insecure["CSRF_COOKIE_SAMESITE"] == "Strict"
    assert django_settings.SESSION_COOKIE_HTTPONLY and django_settings.CSRF_COOKIE_HTTPONLY
    assert django_settings.SESSION_COOKIE_SAMESITE == "Strict" == django_settings.CSRF_COOKIE_SAMESITE


def test_secrets_are_not_committed() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "var/" not in tracked and "secrets.json" not in tracked
    assert "var/" in (ROOT / ".gitignore").read_text()
    assert len(django_settings.SECRET_KEY) >= 40 and len(django_settings.PELUIT_PEPPER) >= 40


@pytest.mark.parametrize("url", ["/", "/en/", "/auth/login/"])
def test_pages_send_strict_headers(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Nothing is loaded from another host.
    assert not re.search(rb'(src|href)="(https?:)?//', response.content)


def test_healthz_answers_200_with_the_database_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_unknown_pages_are_a_friendly_404_in_the_chosen_language(client: Client) -> None:
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()
    english = client.get("/en/does-not-exist/")
    assert english.status_code == 404 and "Page not found" in english.content.decode()
    assert "Traceback" not in english.content.decode()


def test_default_language_is_indonesian_and_english_is_one_link_away(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="id"' in page  # the unprefixed site is Indonesian whatever the browser says
    assert 'href="/en/"' in page
    assert 'lang="en"' in client.get("/en/").content.decode()


def test_csrf_token_still_required_when_the_browser_sends_origin_null(make_staff) -> None:
    """``Referrer-Policy: no-referrer`` makes browsers send ``Origin: null``; the token must still be checked."""
    client = Client(enforce_csrf_checks=True)
    client.get("/auth/login/")
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    user = make_staff()
    forged = Client(enforce_csrf_checks=True).post(
        "/auth/login/", {"username": user.username, "password": "x" * 12}, HTTP_ORIGIN="null"
    )
    assert forged.status_code == 403
    assert "Formulir sudah kedaluwarsa" in forged.content.decode()
    ok = client.post(
        "/auth/login/",
        {"username": user.username, "password": "wrong password!!", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert ok.status_code == 200  # reached the view (wrong password message), not the CSRF page
    assert "Nama pengguna atau kata sandi salah" in ok.content.decode()
    foreign = client.post(
        "/auth/login/",
        {"username": user.username, "password": "wrong password!!", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )
    assert foreign.status_code == 403


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/console/", 302),  # anonymous: the console guard sends to login
        ("get", "/en/console/cases/", 302),
        ("get", "/auth/login", 301),  # the slash is appended
        ("get", "/no-such-page/", 404),
        ("get", "/auth/logout/", 405),
        ("post", "/auth/login/", 403),  # no CSRF token
    ],
)
def test_every_kind_of_response_sends_the_security_headers(method: str, url: str, status: int) -> None:
    response = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert response.status_code == status
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("url", "text"), [("/auth/logout/", "Metode"), ("/en/auth/logout/", "method")])
def test_a_wrong_method_gets_a_localised_page(client: Client, url: str, text: str) -> None:
    response = client.put(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert text.lower() in response.content.decode().lower()


def test_the_csrf_cookie_ends_with_the_browser_session(client: Client) -> None:
    """A reporter's device keeps no year-long trace of the reporting site."""
    response = client.get("/report/wbs/")
    cookie = response.cookies["peluit_csrf"]
    assert not cookie["expires"] and not cookie["max-age"]


def test_pages_name_an_icon_so_browsers_do_not_ask_for_a_missing_favicon(client: Client) -> None:
    page = client.get("/").content.decode()
    match = re.search(r'<link rel="icon" href="/static/([^"]+)"', page)
    assert match is not None
    assert (ROOT / "static" / match.group(1)).is_file()


@pytest.mark.parametrize(
    ("method", "url", "status"), [("put", "/api/v1/reports/wbs", 405), ("get", "/api/v1/no-such-thing", 404)]
)
def test_the_api_answers_odd_requests_in_json_in_the_client_language(
    client: Client, method: str, url: str, status: int
) -> None:
    response = getattr(client, method)(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] and "tidak" not in response.json()["detail"]
    indonesian = getattr(client, method)(url)
    assert indonesian.json()["detail"] != response.json()["detail"]


def test_the_var_folder_is_private_to_the_user_running_peluit(tmp_path: Path) -> None:
    """var/ holds the database (password hashes, TOTP secrets), the logs and the encrypted files: a new one is
    made 0700, and one left open by an older version (0755 under umask 022) is closed on start."""
    code = "import config.settings as s; print(oct(s.VAR_DIR.stat().st_mode & 0o777))"
    fresh = tmp_path / "fresh" / "var"
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    for folder in (fresh, existing):
        env = {**os.environ, "PELUIT_VAR_DIR": str(folder)}
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.strip().splitlines()[-1] == "0o700", folder
