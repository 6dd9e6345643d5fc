"""Workload for the reporter canary test, run in a subprocess against a file-backed database.

Usage: python tests/reliability/reporter_canary_workload.py ADDRESS USER_AGENT
Every request goes to a reporter path (pages and API, success and failure paths) carrying ADDRESS as the
client address and in every forwarding header, and USER_AGENT as the browser; the test then scans what this
process left behind. The environment chooses the database, media root, var dir (logs) and KDF profile.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from casework.staff import services as staff_services  # noqa: E402
from tests.intake.conftest import gratification_post, jpeg_with_gps, pdf_with_author, wbs_post  # noqa: E402

PASSWORD = "canary test passphrase 1"
RECEIPT = re.compile(r"<code>(\d{4} \d{4} \d{4} \d{4})</code>")


def expect(response: object, *codes: int) -> object:
    status = getattr(response, "status_code", None)
    assert status in codes, f"unexpected status {status}"
    return response


def files() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile("foto.jpg", jpeg_with_gps()), SimpleUploadedFile("surat.pdf", pdf_with_author())]


def main(address: str, user_agent: str) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    staff_services.staff_create(username="kepala", role="supervisor", password=PASSWORD)
    staff_services.staff_create(username="petugas", role="officer", password=PASSWORD)
    client = Client(
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=user_agent,
        HTTP_X_FORWARDED_FOR=f"{address}, 10.0.0.1",
        HTTP_X_REAL_IP=address,
        HTTP_FORWARDED=f"for={address};proto=https",
        HTTP_SEC_CH_UA=f'"{user_agent}";v="1"',
    )
    for path in ("/", "/en/", "/report/wbs/", "/report/gratification/", "/follow/", "/api/v1/openapi.json"):
        expect(client.get(path), 200)
    expect(client.get("/canary-control-404/"), 404)  # logged: the positive control for the log scan

    # Pages: a refused report, a WBS report with files, a gratification report.
    expect(client.post("/report/wbs/", wbs_post(title="", identity_nik="1")), 400)
    page = expect(client.post("/report/wbs/", {**wbs_post(), "attachments": files()}), 200)
    match = RECEIPT.search(page.content.decode())  # type: ignore[attr-defined]
    assert match
    receipt = match.group(1)
    expect(client.post("/report/gratification/", {**gratification_post(), "attachments": files()}), 200)
    # A form error keeps the files (held, sealed against the form token); the corrected form sends them.
    form = client.get("/report/wbs/").content.decode()  # type: ignore[attr-defined]
    token = re.search(r'name="submission_token" value="([^"]+)"', form)
    assert token
    post = {**wbs_post(), "submission_token": token.group(1)}
    held = expect(client.post("/report/wbs/", {**post, "title": "", "attachments": files()}), 400)
    kept = re.findall(r'name="held_files" value="([0-9a-f-]{36})"', held.content.decode())  # type: ignore[attr-defined]
    assert len(kept) == 2, kept
    expect(client.post("/report/wbs/", {**post, "held_files": kept}), 200)

    # Follow-up: a wrong receipt, the right one, read, reply, add a file, log out.
    expect(client.post("/follow/", {"receipt": "0000 1111 2222 3333"}), 400)
    expect(client.post("/follow/", {"receipt": receipt}), 302)
    expect(client.get("/follow/inbox/"), 200)
    expect(client.post("/follow/reply/", {"body": "Balasan pelapor"}), 302)
    expect(client.post("/follow/attach/", {"attachments": files()}), 302)
    expect(client.post("/follow/logout/"), 302)

    # API: submit, follow up, reply, a wrong receipt; then enough wrong receipts to be throttled.
    api = expect(client.post("/api/v1/reports/wbs", {**wbs_post(), "attachments": files()}), 201)
    api_receipt = api.json()["receipt"]  # type: ignore[attr-defined]
    headers = {"X-Peluit-Receipt": api_receipt}
    expect(client.get("/api/v1/followup", headers=headers), 200)
    expect(
        client.post("/api/v1/followup/messages", {"body": "x"}, content_type="application/json", headers=headers), 201
    )
    expect(client.post("/api/v1/reports/gratification", {"recipient_nik": "1"}), 400)
    statuses = {
        client.get("/api/v1/followup", headers={"X-Peluit-Receipt": "9999 8888 7777 6666"}).status_code
        for _ in range(12)
    }
    assert statuses == {403, 429}, statuses
    print("workload done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
