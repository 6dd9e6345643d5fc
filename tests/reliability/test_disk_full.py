"""Disk full while an attachment is written: a clear, localised refusal (page or JSON), never a 500, and nothing
half-stored (no case, no blob, no audit gap, no plaintext).

A scratch Peluit is served by gunicorn with one of its folders on a 2 MiB tmpfs: the encrypted attachment store
(PELUIT_MEDIA_ROOT), or the upload folder where uploads and cleaned copies are spooled (var/tmp). A report
whose attachment does not fit is submitted through the API and through the form. Mounting needs root (or
CAP_SYS_ADMIN); where it is not permitted the test is skipped and says so.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.intake.conftest import wbs_post
from tests.reliability.test_broker_down import _manage
from tests.support.servers import Server, Site, run_gunicorn, scratch_site

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


@contextmanager
def small_filesystem(path: Path, size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``path`` (skip the test when mounting is not permitted); unmount after."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _attachment(marker: bytes, size: int) -> bytes:
    """A text attachment of ``size`` bytes that repeats ``marker`` (to look for it afterwards)."""
    line = marker + b" saksi melihat petugas menerima amplop\n"
    return (line * (size // len(line) + 1))[:size]


def _files_holding(folder: Path, marker: bytes) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                if marker in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def _count(site: Site, table: str) -> int:
    with sqlite3.connect(site.database) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - test's own names


def _submit_api(server: Server, content: bytes, language: str) -> requests.Response:
    files = {"attachments": ("kesaksian.txt", content, "text/plain")}
    headers = {"Accept-Language": language}
    return requests.post(f"{server.url}/api/v1/reports/wbs", data=wbs_post(), files=files, headers=headers, timeout=120)


def _submit_form(server: Server, content: bytes, prefix: str) -> requests.Response:
    session = requests.Session()
    form = session.get(f"{server.url}{prefix}/report/wbs/", timeout=60)
    token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    files = {"attachments": ("kesaksian.txt", content, "text/plain")}
    return session.post(
        f"{server.url}{prefix}/report/wbs/",
        data={**wbs_post(), "csrfmiddlewaretoken": token},
        files=files,
        headers={"Origin": server.url},
        timeout=120,
    )


@pytest.mark.parametrize("full", ["media", "upload folder"])
def test_an_attachment_that_does_not_fit(tmp_path: Path, full: str) -> None:
    folder = tmp_path / "site"
    site = scratch_site(folder, PELUIT_MEDIA_ROOT=str(folder / "media"))
    small = folder / "media" if full == "media" else folder / "var" / "tmp"
    marker = b"CANARY-" + secrets.token_hex(8).encode()
    content = _attachment(marker, 3 * MIB)
    with small_filesystem(small), run_gunicorn(site) as server:
        before = _count(site, "audit_auditevent")

        api = _submit_api(server, content, "en")
        assert api.status_code in (413, 422, 503, 507) or 400 <= api.status_code < 500, api.status_code
        assert api.status_code != 500
        assert api.headers["Content-Type"] == "application/json", api.text[:300]
        assert "space" in api.text.lower(), api.text[:300]
        indonesian = _submit_api(server, content, "id")
        assert indonesian.status_code == api.status_code and "ruang" in indonesian.text.lower(), indonesian.text[:300]

        page = _submit_form(server, content, "/en")
        assert page.status_code != 500 and 400 <= page.status_code < 600, page.status_code
        assert page.headers["Content-Type"].startswith("text/html")
        assert "space" in page.text.lower(), page.text[:2000]
        page_id = _submit_form(server, content, "")
        assert page_id.status_code == page.status_code and "ruang" in page_id.text.lower()

        assert _count(site, "casework_case") == 0, "nothing half-stored: no case"
        assert _count(site, "vault_attachmentblob") == 0
        assert _count(site, "audit_auditevent") == before, "no event of a submission that did not happen"
        assert [p for p in (folder / "media").rglob("*") if p.is_file()] == [], "no orphan blob"
        assert _files_holding(folder, marker) == [], "no plaintext anywhere under the site"
        assert "Traceback" not in server.log_text() and marker.decode() not in server.log_text()

        # The refused uploads' space is given back at once (a spool left open would hold it: the next file fails).
        assert shutil.disk_usage(small).used < 256 * 1024, shutil.disk_usage(small)
        small_file = _attachment(marker, 200 * 1024)  # a file that fits goes through once space is there
        assert _submit_api(server, small_file, "en").status_code == 201
    assert _count(site, "casework_case") == 1
    _manage(site, "audit_verify")
    assert _files_holding(folder, marker) == [], "the stored copy is encrypted"
    assert not os.path.ismount(small)
