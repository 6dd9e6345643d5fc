"""The official face (issue 10.4): the institution on every reporter page, how to check the site, the onion
address, the quick exit to a neutral page, and a follow-up logout that clears what the browser kept."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from PIL import Image

from tests.intake.conftest import create_intake_staff, wbs_post
from tests.intake.test_views import receipt_of
from tests.support.staff import login

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ONION = "peluitsemarangxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
REPORTER_PAGES = ["/", "/report/wbs/", "/report/gratification/", "/follow/", "/tidak-ada/"]


def settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a new interpreter with extra environment variables; print the institution."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PELUIT_INSTITUTION_NAME, s.PELUIT_INSTITUTION_PHONE, s.PELUIT_INSTITUTION_DOMAIN, "
        "s.PELUIT_ONION_ADDRESS or '-', sep='|')"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_defaults_are_inspektorat_kota_semarang(settings: Any) -> None:
    assert settings.PELUIT_INSTITUTION_NAME == "Inspektorat Kota Semarang"
    assert settings.PELUIT_INSTITUTION_PHONE == "1708"
    assert settings.PELUIT_INSTITUTION_DOMAIN == "inspektorat.semarangkota.go.id"
    assert settings.PELUIT_INSTITUTION_EMAIL.endswith("@semarangkota.go.id")
    assert "Semarang" in settings.PELUIT_INSTITUTION_ADDRESS
    assert settings.PELUIT_INSTITUTION_LOGO == "institution-logo.svg"  # found among the static files
    assert (ROOT / "static" / "institution-logo.svg").is_file()
    assert settings.PELUIT_ONION_ADDRESS == ""


def test_the_environment_names_another_institution() -> None:
    result = settings_in_a_fresh_process(
        PELUIT_INSTITUTION_NAME="Inspektorat Kabupaten Contoh",
        PELUIT_INSTITUTION_PHONE="(024) 555 0101",
        PELUIT_INSTITUTION_DOMAIN="wbs.contoh.go.id",
        PELUIT_ONION_ADDRESS=f"http://{ONION.upper()}/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Inspektorat Kabupaten Contoh|(024) 555 0101|wbs.contoh.go.id|{ONION}"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PELUIT_ONION_ADDRESS", "example.onion", "v3 onion address"),
        ("PELUIT_INSTITUTION_LOGO", "/nonexistent/logo.svg", "missing or over 256 KiB"),
        ("PELUIT_INSTITUTION_LOGO", str(ROOT / "README.md"), ".svg, .png or .jpg"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_clear_message(variable: str, value: str, message: str) -> None:
    result = settings_in_a_fresh_process(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", REPORTER_PAGES)
def test_every_reporter_page_shows_the_institution_and_how_to_check_the_site(
    client: Client, prefix: str, path: str
) -> None:
    html = client.get(prefix + path).content.decode()
    assert "Inspektorat Kota Semarang" in html
    assert "Jl. Pemuda No. 148" in html and 'href="tel:1708"' in html
    assert 'href="mailto:inspektorat@semarangkota.go.id"' in html
    assert 'id="real-site"' in html and "https://inspektorat.semarangkota.go.id/" in html
    assert '<img src="data:image/svg+xml;base64,' in html  # the logo is inlined: no request to anywhere
    assert f'href="{prefix}/libur/"' in html and 'id="quick-exit"' in html
    assert ("Keluar cepat" if prefix == "" else "Quick exit") in html


def test_the_logo_comes_from_the_configured_file(client: Client, settings: Any, tmp_path: Path) -> None:
    logo = tmp_path / "lambang.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(logo)
    png = logo.read_bytes()
    settings.PELUIT_INSTITUTION_LOGO = str(logo)
    settings.PELUIT_INSTITUTION_NAME = "Inspektorat Kabupaten Contoh"
    html = client.get("/").content.decode()
    assert f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"' in html
    assert "Inspektorat Kabupaten Contoh" in html and "Inspektorat Kota Semarang" not in html


def test_a_logo_replaced_while_the_server_runs_is_shown(client: Client, settings: Any, tmp_path: Path) -> None:
    """The inlined logo is kept per file, time of change and size (every reporter page shows it): a new file
    in its place is read again."""
    logo = tmp_path / "lambang.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(logo)
    settings.PELUIT_INSTITUTION_LOGO = str(logo)
    first = client.get("/").content.decode()
    Image.new("RGB", (9, 9), (30, 200, 30)).save(logo)
    os.utime(logo, ns=(logo.stat().st_atime_ns, logo.stat().st_mtime_ns + 1_000_000_000))
    second = client.get("/").content.decode()
    assert f"base64,{base64.b64encode(logo.read_bytes()).decode()}" in second
    assert second != first


def test_console_pages_carry_no_quick_exit(client: Client, make_staff: Any) -> None:
    login(client, make_staff())
    html = client.get("/console/").content.decode()
    assert "Inspektorat Kota Semarang" in html
    assert 'id="quick-exit"' not in html and 'id="real-site"' not in html
    assert 'id="quick-exit"' not in client.get("/auth/login/").content.decode()


@pytest.mark.parametrize(("path", "title"), [("/libur/", "Hari libur"), ("/en/libur/", "Public holidays")])
def test_quick_exit_leads_to_a_neutral_page_and_clears_the_site(client: Client, path: str, title: str) -> None:
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200 and title in html
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA
    # Nothing on it points to reporting: no name, no logo, no icon of ours, no link back.
    for telltale in ("Peluit", "Inspektorat", "favicon", "lapor", "report", "<a "):
        assert telltale.lower() not in html.lower(), telltale
    assert "Hari Kemerdekaan" in html or "Independence Day" in html  # a real calendar, not an empty page
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_follow_up_logout_clears_the_site_data(client: Client, make_staff: Any) -> None:
    create_intake_staff(make_staff)
    receipt = receipt_of(client.post("/report/wbs/", wbs_post()))
    assert client.post("/follow/", {"receipt": receipt}).status_code == 302
    logout = client.post("/follow/logout/")
    assert logout.status_code == 302
    assert logout["Clear-Site-Data"] == CLEAR_SITE_DATA


@pytest.mark.parametrize("path", ["/", "/en/report/wbs/", "/follow/", "/libur/", "/tidak-ada/"])
def test_reporter_pages_name_the_onion_service(client: Client, settings: Any, path: str) -> None:
    settings.PELUIT_ONION_ADDRESS = ONION
    response = client.get(path, {"x": "1"})
    assert response["Onion-Location"] == f"http://{ONION}{path}?x=1"
    if path != "/libur/":
        assert f"http://{ONION}/" in response.content.decode()


def test_no_onion_location_without_the_setting_on_staff_pages_the_api_or_over_the_onion(
    client: Client, settings: Any
) -> None:
    assert "Onion-Location" not in client.get("/")
    settings.PELUIT_ONION_ADDRESS = ONION
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ONION]
    assert "Onion-Location" not in client.get("/auth/login/")
    assert "Onion-Location" not in client.get("/api/v1/openapi.json")
    assert "Onion-Location" not in client.get("/", HTTP_HOST=ONION)


def _kept(name: str) -> int:
    """Return how many copies of base.html's fragment ``name`` the ``template_fragments`` cache holds."""
    return sum(f".{name}." in key for key in caches["template_fragments"]._cache)  # type: ignore[attr-defined]


def test_the_reporter_header_and_footer_are_kept_per_language_address_and_institution_never_stale(
    client: Client, settings: Any
) -> None:
    """base.html keeps its header (language links, logo, name) and reporter footer, the same for every visitor
    of an address, in the ``template_fragments`` cache, keyed by everything they show: a change shows at once."""
    caches["template_fragments"].clear()
    first = client.get("/").content.decode()
    assert (_kept("site_header"), _kept("reporter_footer")) == (1, 1)
    assert client.get("/").content.decode() == first
    assert (_kept("site_header"), _kept("reporter_footer")) == (1, 1)
    english = client.get("/en/").content.decode()
    assert "How to check you are on the real site" in english
    assert "How to check you are on the real site" not in first
    form = client.get("/report/wbs/").content.decode()
    assert 'href="/en/report/wbs/"' in form and 'href="/en/report/wbs/"' not in first  # each address its links
    assert (_kept("site_header"), _kept("reporter_footer")) == (3, 2)
    settings.PELUIT_INSTITUTION_PHONE = "112"
    settings.PELUIT_INSTITUTION_DOMAIN = "wbs.contoh.go.id"
    settings.PELUIT_INSTITUTION_NAME = "Inspektorat Kabupaten Contoh"
    changed = client.get("/").content.decode()
    assert 'href="tel:112"' in changed and 'href="tel:1708"' not in changed
    assert "https://wbs.contoh.go.id/" in changed
    assert "Inspektorat Kabupaten Contoh" in changed and "Inspektorat Kota Semarang" not in changed


def test_the_console_menu_of_each_staff_member_is_their_own(make_staff: Any) -> None:
    """The kept header stops before ``header_extra``, which console pages fill per staff member."""
    from casework.staff.roles import Role

    caches["template_fragments"].clear()
    officer, admin = make_staff(Role.OFFICER, username="petugas9"), make_staff(Role.ADMIN, username="admin9")
    pages = []
    for user in (officer, admin):
        staff_client = Client()
        login(staff_client, user)
        pages.append(staff_client.get("/console/").content.decode())
    assert ('href="/console/cases/"' in pages[0]) and ('href="/console/cases/"' not in pages[1])
    # Console addresses name cases and searches: their headers are not kept.
    assert _kept("site_header") == 0 and "Inspektorat Kota Semarang" in pages[0]


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/",
        "/%2Fevil.example/report/wbs/",
        "///evil.example:8124/follow/",
        "/en//evil.example/login",
        "/en/%2Fevil.example/?q=1",
        "/en///evil.example/",
        "/en/%2F%2Fevil.example/",
    ],
)
def test_a_language_link_is_always_a_path_on_this_site(client: Client, path: str) -> None:
    """A path that reads as another host (a 404 page) must not make the language link point there."""
    html = client.get(path).content.decode()
    links = re.findall(r'<nav class="lang"[^>]*>(.*?)</nav>', html, re.S)
    assert links, html[:500]
    hrefs = re.findall(r'href="([^"]*)"', links[0])
    assert hrefs and all(href.startswith("/") and not href.startswith("//") for href in hrefs), hrefs


@pytest.mark.parametrize(
    ("path", "link"),
    [
        ("/tidak-ada/", "/en/tidak-ada/"),
        ("/en/not-here/", "/not-here/"),
        ("/en/not-here/?q=1", "/not-here/?q=1"),
        ("/report/wbs/extra/", "/en/report/wbs/extra/"),
    ],
)
def test_a_not_found_page_links_to_the_same_address_in_the_other_language(client: Client, path: str, link: str) -> None:
    """An address that names no page has no translation; its language link is the address under the other
    language's prefix (it was the page itself), and that page is the not-found page in the other language."""
    response = client.get(path)
    assert response.status_code == 404
    links = re.findall(r'<nav class="lang"[^>]*>(.*?)</nav>', response.content.decode(), re.S)
    assert re.findall(r'href="([^"]*)"', links[0]) == [link.replace("&", "&amp;")]
    other = client.get(link)
    assert other.status_code == 404 and other["Content-Language"] != response["Content-Language"]


def test_a_page_outside_the_languages_keeps_its_own_address_as_its_link(client: Client) -> None:
    """A page that exists but has no language prefix (not translated by address) is not sent to a 404."""
    from config.context_processors import _translated

    assert _translated("config.urls", "/healthz", "en") == "/healthz"


@pytest.mark.parametrize(
    ("path", "address"),
    [
        ("/EN/", "/en/"),
        ("/EN", "/en/"),
        ("/En/report/wbs/?q=1", "/en/report/wbs/?q=1"),
        ("/ID/report/wbs/", "/report/wbs/"),
        ("/Id", "/"),
        ("/EN//evil.example/", "/en//evil.example/"),
        ("/EN/a%3Fb%20c", "/en/a%3Fb%20c"),
    ],
)
def test_a_language_prefix_in_capitals_is_sent_to_its_own_case(client: Client, path: str, address: str) -> None:
    """Django reads ``/EN/`` as English, but the catalogues and addresses are lower case: the page was a 404
    marked English and worded in Indonesian. It is sent to the address the site writes (the default language
    has no prefix), which then answers in one language throughout."""
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"] == address
    target = client.get(address)
    language = target["Content-Language"]
    html = target.content.decode()
    assert f'<html lang="{language}"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None
    if target.status_code == 404:
        assert ("Page not found" in title.group(1)) == (language == "en"), (language, title.group(1))


def test_a_script_name_sent_as_a_header_cannot_make_the_redirect_leave_the_site(client: Client) -> None:
    """gunicorn takes SCRIPT_NAME from a header of a trusted address; ``//evil.example`` must stay a path."""
    response = client.get("/EN/report/wbs/", {"a": "1"}, SCRIPT_NAME="//evil.example")
    assert response.status_code == 301
    assert response["Location"].startswith("/") and not response["Location"].startswith("//"), response["Location"]
    assert response["Location"].endswith("/en/report/wbs/?a=1"), response["Location"]


def test_an_unknown_prefix_stays_a_not_found_page(client: Client) -> None:
    response = client.get("/de/x/")
    assert response.status_code == 404
    assert response["Content-Language"] == "id" and "Halaman tidak ditemukan" in response.content.decode()
