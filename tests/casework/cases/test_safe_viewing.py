"""Safe viewing (issue 11 item 10): images and PDFs are shown as pictures drawn on the server, bounded, audited.

The officer's browser gets a PNG we wrote (pdftoppm or Pillow in a limited child process), never the file; the
original stays downloadable and each view and download is an audit event.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.test import Client
from django.utils import translation
from PIL import Image

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases import preview, sealed
from casework.models import Case, CaseAttachment
from casework.staff.roles import Role
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, jpeg_with_gps, upload, wbs_post
from tests.intake.test_uncleaned_files import damaged_photo
from tests.support.assignment import assign_officers
from tests.support.staff import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    return create_intake_staff(make_staff)


def pdf_with_boxes(pages: int = 3, *, script: bool = False) -> bytes:
    """Return a PDF whose page N has a black square in its lower left quarter and N small squares on top."""
    pdf = pikepdf.new()
    for number in range(1, pages + 1):
        marks = " ".join(f"{20 + 30 * i} 700 20 20 re f" for i in range(min(number, 15)))
        stream = f"0 0 0 rg 50 50 200 200 re f {marks}".encode()
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Contents = pdf.make_stream(stream)
    if script:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def file_case(*files: Any, send_uncleaned: bool = False) -> Case:
    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    data["send_uncleaned"] = send_uncleaned
    case = intake_services.submit_wbs_report(data=data, attachments=list(files)).case
    assign_officers(case)  # new reports reach the supervisors only; triage puts the officers on the team
    return case


def logged_in(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def view_url(case: Case, attachment: CaseAttachment, page: int | None = None) -> str:
    query = f"?page={page}" if page is not None else ""
    return f"/console/cases/{case.number}/files/{attachment.pk}/view/{query}"


PICTURE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" id="file-page"')


def picture_of(html: str) -> Image.Image:
    """Return the page picture embedded in a viewer page (a PNG in a data: URI)."""
    found = PICTURE.search(html)
    assert found, html[:2000]
    data = base64.b64decode(found.group(1))
    assert data.startswith(b"\x89PNG") and b"%PDF" not in data
    return Image.open(io.BytesIO(data))


def viewed_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED.value).order_by("seq"))


def test_a_pdf_page_is_shown_as_a_picture_drawn_by_the_server_and_audited(staff: IntakeStaff) -> None:
    source = pdf_with_boxes(3, script=True)
    case = file_case(upload("laporan.pdf", source, "application/pdf"))
    attachment = case.attachments.get()
    client = logged_in(staff.officer)
    detail = client.get(f"/console/cases/{case.number}/").content.decode()
    assert view_url(case, attachment) in detail  # the files panel links to the viewer

    page = client.get(view_url(case, attachment, 2))
    html = page.content.decode()
    assert page.status_code == 200 and "laporan.pdf" in html
    assert page["Cache-Control"] == "no-store" and "img-src 'self' data:" in page["Content-Security-Policy"]
    assert "?page=1" in html and "?page=3" in html  # previous and next
    assert "Halaman 2 dari 3" in html
    assert "app.alert" not in html and "JavaScript" not in html
    image = picture_of(html)
    assert image.format == "PNG" and max(image.size) == preview.LONG_SIDE
    rgb = image.convert("RGB")
    width, height = rgb.size
    assert rgb.getpixel((int(width * 150 / 612), int(height * (792 - 150) / 792))) == (0, 0, 0)  # the black square
    assert rgb.getpixel((width - 5, 5)) == (255, 255, 255)  # paper
    # Page 2 has two small squares on top, page 1 one: the page asked for is the page drawn.
    top = int(height * (792 - 710) / 792)
    second_mark = int(width * 60 / 612)
    assert rgb.getpixel((second_mark, top)) == (0, 0, 0)
    first_page = picture_of(client.get(view_url(case, attachment)).content.decode()).convert("RGB")
    assert first_page.getpixel((second_mark, top)) == (255, 255, 255)

    views = viewed_events()
    assert [(e.case_ref, e.details_dict["page"], e.details_dict["attachment_id"]) for e in views] == [
        (case.number, 2, str(attachment.pk)),
        (case.number, 1, str(attachment.pk)),
    ]
    assert views[0].actor_staff_id == staff.officer.pk


def test_an_image_is_redrawn_without_its_metadata(staff: IntakeStaff) -> None:
    case = file_case(upload("foto.jpg", jpeg_with_gps(), "image/jpeg"))
    attachment = case.attachments.get()
    client = logged_in(staff.officer)
    html = client.get(view_url(case, attachment)).content.decode()
    assert 'id="file-pages"' not in html  # one picture, no paging
    image = picture_of(html)
    assert image.size == (32, 24) and "exif" not in image.info  # small pictures are not enlarged
    red, green, blue = image.convert("RGB").getpixel((16, 12))
    assert red > 150 and green < 90 and blue < 90
    assert client.get(view_url(case, attachment, 2)).status_code == 404
    assert len(viewed_events()) == 1


def test_only_the_first_pages_of_a_long_document_can_be_viewed(staff: IntakeStaff) -> None:
    case = file_case(upload("panjang.pdf", pdf_with_boxes(preview.MAX_PAGES + 5), "application/pdf"))
    attachment = case.attachments.get()
    client = logged_in(staff.officer)
    last = client.get(view_url(case, attachment, preview.MAX_PAGES)).content.decode()
    assert f"Halaman {preview.MAX_PAGES} dari {preview.MAX_PAGES}" in last and 'id="file-truncated"' in last
    assert f"?page={preview.MAX_PAGES + 1}" not in last
    beyond = client.get(view_url(case, attachment, preview.MAX_PAGES + 1))
    assert beyond.status_code == 404 and 'id="cannot-view"' in beyond.content.decode()
    for bad in ("0", "-1", "abc", "99999999"):
        assert client.get(f"{view_url(case, attachment)}?page={bad}").status_code == 404
    assert [e.details_dict["page"] for e in viewed_events()] == [preview.MAX_PAGES]  # refusals are not views


def test_files_that_cannot_be_drawn_say_so_and_offer_the_download(staff: IntakeStaff, settings: Any) -> None:
    text = upload("catatan.txt", b"Catatan kronologi kejadian.\n", "text/plain")
    damaged = upload("rusak.jpg", damaged_photo(), "image/jpeg")
    photo = upload("besar.jpg", jpeg_with_gps(), "image/jpeg")
    case = file_case(text, damaged, photo, send_uncleaned=True)
    keyring = staff.keyring(staff.officer)
    # The content type is sealed with the name: tell the files apart by their names.
    named = {sealed.open_attachment_meta(access=keyring, attachment=a).name: a for a in case.attachments.all()}
    by_name = {"text": named["catatan.txt"], "damaged": named["rusak.jpg"]}
    client = logged_in(staff.officer)
    translation.activate("en")
    for key, expected in (("text", "Only images and PDF documents"), ("damaged", "damaged or protected")):
        attachment = by_name[key]
        response = client.get(f"/en{view_url(case, attachment)}")
        html = response.content.decode()
        assert response.status_code == 422 and expected in html, key
        assert f"/en/console/cases/{case.number}/files/{attachment.pk}/" in html  # the download stays
    settings.PELUIT_MAX_IMAGE_PIXELS = 500  # the clean photo has 32 x 24 = 768 pixels
    cleaned_photo = named["besar.jpg"]
    assert client.get(view_url(case, cleaned_photo)).status_code == 422
    assert viewed_events() == []


def test_viewing_needs_the_case(staff: IntakeStaff, make_staff: Any) -> None:
    case = file_case(upload("laporan.pdf", pdf_with_boxes(1), "application/pdf"))
    outsider = make_staff(Role.OFFICER, username="luar")
    auditor = make_staff(Role.AUDITOR, username="auditor")
    attachment = case.attachments.get()
    for user in (outsider, auditor):
        client = logged_in(user)
        response = client.get(view_url(case, attachment))
        # The rendered pages are PNG data URIs (the institution's logo is an inline SVG on every page).
        assert response.status_code == 403 and b"data:image/png" not in response.content, user.username
    assert viewed_events() == []
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).exists()
    other_case = file_case()
    client = logged_in(staff.officer)
    wrong = f"/console/cases/{other_case.number}/files/{attachment.pk}/view/"
    assert client.get(wrong).status_code == 404  # a file is viewed only through its own case


def test_a_download_is_audited(staff: IntakeStaff) -> None:
    case = file_case(upload("laporan.pdf", pdf_with_boxes(1), "application/pdf"))
    attachment = case.attachments.get()
    response = logged_in(staff.officer).get(f"/console/cases/{case.number}/files/{attachment.pk}/")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"%PDF")
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_DOWNLOADED.value)
    assert event.case_ref == case.number and event.actor_staff_id == staff.officer.pk
    assert event.details_dict == {"attachment_id": str(attachment.pk), "metadata_removed": True}


# --- The child process -------------------------------------------------------------------------------------
def test_the_child_can_write_no_file(tmp_path: Path) -> None:
    """The renderer's limits forbid every file write, so no plaintext copy can get a name on disk."""
    target = tmp_path / "copy.bin"
    code = (
        "import casework.cases.preview as p\n"
        "p._limit_resources()\n"
        "import os\n"
        f"fd = os.open({str(target)!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "os.write(fd, b'plaintext' * 100)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(preview.__file__).resolve().parents[2],
        capture_output=True,
        check=False,
    )
    assert child.returncode != 0 and b"File too large" in child.stderr, child.stderr
    assert not target.exists() or target.stat().st_size == 0


def test_the_child_gets_the_plaintext_through_a_pipe_and_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real_run = subprocess.run

    def record(command: list[str], **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_run(command, **kwargs)

    monkeypatch.setenv("PELUIT_PEPPER", "secret-pepper")
    monkeypatch.setattr(preview.subprocess, "run", record)
    picture = preview.render_page(pdf_with_boxes(1), content_type=preview.PDF, page=1)
    assert picture.startswith(b"\x89PNG")
    assert isinstance(seen["input"], bytes) and "stdin" not in seen  # bytes through a pipe, no file
    assert set(seen["env"]) <= {"PATH", "LC_ALL", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    assert "secret-pepper" not in repr(seen["env"]) and os.environ["PELUIT_PEPPER"] == "secret-pepper"


def test_sources_beyond_the_bound_are_not_rendered() -> None:
    with pytest.raises(preview.CannotPreview) as refused:
        preview.render_page(b"%PDF" + b"0" * preview.MAX_SOURCE_BYTES, content_type=preview.PDF)
    assert refused.value.reason == "too_large"
    with pytest.raises(preview.CannotPreview) as wrong_type:
        preview.page_count(b"<svg/>", content_type="image/svg+xml")
    assert wrong_type.value.reason == "type"
