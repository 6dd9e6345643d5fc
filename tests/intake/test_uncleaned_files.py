"""Nothing identifying leaves silently (issue 10, item 1).

A file the cleaner cannot clean is refused with a message naming it, and nothing is stored, unless the reporter
ticks "Send files that cannot be cleaned as they are" (``send_uncleaned`` in the API). Then the receipt, the
reporter's inbox and the officer's case page all say which files went as they are. Everything else reaches the
officer without its place, device or author: the officer's download is searched for the canaries planted in
each test file.
"""

from __future__ import annotations

import io
import re
import struct
import wave
import zipfile
from pathlib import Path
from typing import Any

import mutagen.id3
import mutagen.mp3
import pikepdf
import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case, CaseAttachment, StaffUser
from intake import metadata
from tests.intake.conftest import IntakeStaff, gratification_post, jpeg_with_gps, pdf_with_author, upload, wbs_post
from tests.support import media
from tests.support.assignment import assign_officers
from tests.support.staff import login

pytestmark = pytest.mark.django_db

CANARY = b"Canary"  # every test file names its device, author or place with a value containing this
RECEIPT = re.compile(r"<code>(\d{4} \d{4} \d{4} \d{4})</code>")


def damaged_photo() -> bytes:
    """A phone photo with GPS and camera model in its EXIF, cut off after 2000 bytes (``head -c 2000``)."""
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()  # GPS position and "CanaryCam 3000"
    out = io.BytesIO()
    Image.effect_noise((256, 192), 60).convert("RGB").save(out, "JPEG", quality=95, exif=exif.tobytes())
    whole = out.getvalue()
    assert len(whole) > 6000 and CANARY in whole[:2000]
    assert Image.open(io.BytesIO(whole[:2000])).getexif().get_ifd(0x8825), "the GPS position survives the cut"
    return whole[:2000]


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored() -> None:
    assert Case.objects.count() == 0 and CaseAttachment.objects.count() == 0
    assert stored_files() == []
    assert not AuditEvent.objects.filter(action="intake.report_submitted").exists()


def officer_client(staff: IntakeStaff) -> Client:
    """The officer, logged in, on the team of every case filed so far (new reports reach the supervisors)."""
    for case in Case.objects.exclude(team=staff.officer):
        assign_officers(case, staff.officer)
    client = Client()
    login(client, staff.officer)
    return client


def download(officer: Client, attachment: CaseAttachment) -> bytes:
    """Download as the officer of ``officer_client`` (put on the case's team first, as triage would)."""
    petugas = StaffUser.objects.get(username="petugas1")
    if not attachment.case.team.filter(pk=petugas.pk).exists():
        assign_officers(attachment.case, petugas)
    response = officer.get(f"/console/cases/{attachment.case.number}/files/{attachment.pk}/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- The web forms ---------------------------------------------------------------------------------------


def test_a_damaged_photo_is_refused_by_name_and_nothing_is_stored(client: Client, intake_staff: IntakeStaff) -> None:
    files = [upload("rusak.jpg", damaged_photo()), upload("surat.pdf", pdf_with_author())]

    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": files})

    assert response.status_code == 400
    html = response.content.decode()
    assert "“rusak.jpg” cannot be cleaned" in html
    assert "tick “Send files that cannot be cleaned as they are” to send it anyway" in html  # the form's checkbox
    assert "send_uncleaned=true" not in html, "the API's field is for the API"
    assert "surat.pdf" not in html, "only the file that cannot be cleaned is named"
    assert_nothing_stored()
    indonesian = client.post("/report/wbs/", {**wbs_post(), "attachments": [upload("rusak.jpg", damaged_photo())]})
    assert indonesian.status_code == 400
    assert "“rusak.jpg” tidak dapat dibersihkan" in indonesian.content.decode()
    assert_nothing_stored()


def test_several_files_that_cannot_be_cleaned_are_named_together(client: Client, intake_staff: IntakeStaff) -> None:
    rtf = b"{\\rtf1\\ansi{\\info{\\author Canary Author}}Bukti.\\par}"
    files = [upload("a.jpg", damaged_photo()), upload("b.rtf", rtf), upload("c.pdf", pdf_with_author())]

    response = client.post("/en/report/gratification/", {**gratification_post(), "attachments": files})

    assert response.status_code == 400
    assert "“a.jpg”, “b.rtf” cannot be cleaned: they may still show" in response.content.decode()
    assert_nothing_stored()


def test_ticked_the_files_go_as_they_are_and_both_sides_are_told(client: Client, intake_staff: IntakeStaff) -> None:
    photo = damaged_photo()
    files = [upload("rusak.jpg", photo), upload("surat.pdf", pdf_with_author())]

    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": files, "send_uncleaned": "on"})

    assert response.status_code == 200
    html = response.content.decode()
    listed = html[html.index('id="uncleaned-files"') :]
    assert "Files sent as they are" in listed and "<li>rusak.jpg</li>" in listed and "surat.pdf" not in listed
    case = Case.objects.get()
    officer = officer_client(intake_staff)  # on the team first: new reports reach the supervisors only
    keyring = intake_staff.keyring(intake_staff.officer)
    rows = {
        sealed.open_attachment_meta(access=keyring, attachment=row).content_type: row for row in case.attachments.all()
    }
    assert rows["image/jpeg"].metadata_removed is False and rows["application/pdf"].metadata_removed is True
    event = AuditEvent.objects.get(action="intake.report_submitted")
    assert '"attachments_uncleaned":1' in event.details.replace(" ", "")
    # The officer sees which file went as it is, and gets it exactly as the reporter sent it.
    page = officer.get(f"/en/console/cases/{case.number}/").content.decode()
    row = page[page.index("rusak.jpg") : page.index("</tr>", page.index("rusak.jpg"))]
    assert "sent as it is by the reporter" in row
    assert download(officer, rows["image/jpeg"]) == photo
    assert CANARY not in download(officer, rows["application/pdf"])


def test_every_form_offers_the_choice_unticked(client: Client, intake_staff: IntakeStaff) -> None:
    for path in ("/report/wbs/", "/report/gratification/", "/en/report/wbs/"):
        html = client.get(path).content.decode()
        box = re.search(r'<input type="checkbox" name="send_uncleaned"[^>]*>', html)
        assert box and "checked" not in box.group(0), path
        assert '<label for="id_send_uncleaned">' in html
    assert "Kirim berkas yang tidak dapat dibersihkan apa adanya" in client.get("/report/wbs/").content.decode()


def test_add_files_in_the_inbox_refuses_then_sends_as_is(client: Client, intake_staff: IntakeStaff) -> None:
    receipt = RECEIPT.search(client.post("/en/report/wbs/", wbs_post()).content.decode()).group(1)
    assert client.post("/en/follow/", {"receipt": receipt}).status_code == 302
    inbox = client.get("/en/follow/inbox/").content.decode()
    assert 'name="send_uncleaned"' in inbox

    refused = client.post("/en/follow/attach/", {"attachments": [upload("rusak.jpg", damaged_photo())]})

    assert refused.status_code == 400 and "“rusak.jpg” cannot be cleaned" in refused.content.decode()
    assert CaseAttachment.objects.count() == 0 and stored_files() == []
    sent = client.post(
        "/en/follow/attach/", {"attachments": [upload("rusak.jpg", damaged_photo())], "send_uncleaned": "on"}
    )
    assert sent.status_code == 302
    inbox = client.get("/en/follow/inbox/").content.decode()
    assert "rusak.jpg" in inbox and "sent as it is, not cleaned" in inbox
    assert CaseAttachment.objects.get().metadata_removed is False
    assert AuditEvent.objects.filter(action="intake.reporter_attachment").get().details.replace(" ", "") == (
        '{"metadata_removed":false}'
    )


# --- The API ---------------------------------------------------------------------------------------------


def test_the_api_refuses_unless_send_uncleaned_is_true(intake_staff: IntakeStaff) -> None:
    api = Client(enforce_csrf_checks=True)
    english = {"Accept-Language": "en"}

    def send(**extra: str) -> Any:
        files = {"attachments": [upload("rusak.jpg", damaged_photo())]}
        return api.post("/api/v1/reports/wbs", {**wbs_post(), **files, **extra}, headers=english)

    for refused in (send(), send(send_uncleaned="false"), send(send_uncleaned="0"), send(send_uncleaned="no")):
        assert refused.status_code == 400
        message = refused.json()["errors"]["attachments"][0]
        assert "“rusak.jpg” cannot be cleaned" in message and refused.json()["detail"] == message
        # The API's field, not the web form's checkbox (which an API client has not got).
        assert "Remove it, or send it anyway with send_uncleaned=true." in message
        assert "Send files that cannot be cleaned as they are" not in message and "tick" not in message
    indonesian = api.post("/api/v1/reports/wbs", {**wbs_post(), "attachments": [upload("rusak.jpg", damaged_photo())]})
    assert "Hapus berkas tersebut, atau tetap kirimkan dengan send_uncleaned=true." in indonesian.json()["detail"]
    assert "centang" not in indonesian.json()["detail"]
    assert_nothing_stored()

    accepted = send(send_uncleaned="true")

    assert accepted.status_code == 201 and accepted.json()["uncleaned_files"] == ["rusak.jpg"]
    headers = {"X-Peluit-Receipt": accepted.json()["receipt"], **english}
    assert [a["metadata_removed"] for a in api.get("/api/v1/followup", headers=headers).json()["attachments"]] == [
        False
    ]
    more = {"attachments": [upload("lagi.jpg", damaged_photo()), upload("juga.jpg", damaged_photo())]}
    refused = api.post("/api/v1/followup/attachments", more, headers=headers)
    assert refused.status_code == 400
    assert "“lagi.jpg”, “juga.jpg” cannot be cleaned" in refused.json()["detail"]
    assert "Remove them, or send them anyway with send_uncleaned=true." in refused.json()["detail"]
    more = {"attachments": [upload("lagi.jpg", damaged_photo())], "send_uncleaned": "true"}
    added = api.post("/api/v1/followup/attachments", more, headers=headers)
    assert added.status_code == 201 and [a["metadata_removed"] for a in added.json()["attachments"]] == [False, False]
    clean = api.post("/api/v1/reports/wbs", {**wbs_post(), "attachments": [upload("ok.jpg", jpeg_with_gps())]})
    assert clean.status_code == 201 and clean.json()["uncleaned_files"] == []


def test_the_openapi_document_describes_the_choice(intake_staff: IntakeStaff) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    for operation in ("submit_wbs_report", "submit_gratification_report", "add_followup_attachments"):
        body = operations[operation]["requestBody"]["content"]["multipart/form-data"]["schema"]
        field = body["properties"]["send_uncleaned"]
        assert field["type"] == "boolean" and "tidak dapat dibersihkan" in field["description"]  # Indonesian first
        assert "send_uncleaned" not in body.get("required", [])
    schemas = doc["components"]["schemas"]
    assert schemas["SubmissionOut"]["properties"]["uncleaned_files"]["type"] == "array"
    assert schemas["AttachmentOut"]["properties"]["metadata_removed"]["type"] == "boolean"


# --- What counts as "cannot be cleaned" -------------------------------------------------------------------


def photo_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    photo = jpeg_with_gps()
    image = pikepdf.Stream(pdf, photo)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 32, 24, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_pdf_too_large_to_rewrite_is_refused(
    client: Client, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metadata, "MAX_PDF_REWRITTEN_PICTURES", 10)  # bytes of pictures rewritten in memory
    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": [upload("pindai.pdf", photo_pdf())]})
    assert response.status_code == 400 and "“pindai.pdf” cannot be cleaned" in response.content.decode()
    assert_nothing_stored()


def test_an_image_over_the_pixel_limit_is_refused(client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_MAX_IMAGE_PIXELS = 500  # the photo has 32 x 24 = 768
    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": [upload("besar.jpg", jpeg_with_gps())]})
    assert response.status_code == 400 and "“besar.jpg” cannot be cleaned" in response.content.decode()
    assert_nothing_stored()


# --- Done when: no test file reaches an officer with its metadata unless sent as is ------------------------


def png_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0110] = "CanaryCam 3000"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def gif_with_comment() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (8, 8), shade) for shade in (0, 255, 0)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], comment=b"Canary Author")
    return out.getvalue()


def docx_with_creator() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:  # stored: the canary can be searched for
        package.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override '
            'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        package.writestr("word/document.xml", "<w:document><w:body>Bukti</w:body></w:document>")
        core = "<cp:coreProperties><dc:creator>Canary Author</dc:creator></cp:coreProperties>"
        package.writestr("docProps/core.xml", core)
    return out.getvalue()


def mp3_with_id3() -> bytes:
    data = io.BytesIO((bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 413) * 30)
    tagged = mutagen.mp3.MP3(data)
    tagged.add_tags()
    tagged.tags.add(mutagen.id3.TPE1(encoding=3, text=["Canary Author"]))
    tagged.save(data)
    return data.getvalue()


def wav_with_info() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 800)
    plain = out.getvalue()
    value = b"Canary Author\0"
    info = b"INFO" + b"IART" + struct.pack("<I", len(value)) + value
    listed = b"LIST" + struct.pack("<I", len(info)) + info
    return b"RIFF" + struct.pack("<I", len(plain) - 8 + len(listed)) + plain[8:] + listed


def reporter_files(*, damaged: bool) -> dict[str, bytes]:
    """Every kind of file a reporter sends, each with a canary in its metadata; cut in half if ``damaged``."""
    files = {
        "foto.jpg": jpeg_with_gps(),
        "layar.png": png_with_exif(),
        "kedip.gif": gif_with_comment(),
        "surat.pdf": pdf_with_author(),
        "nota.docx": docx_with_creator(),
        "rekaman.mp3": mp3_with_id3(),
        "memo.wav": wav_with_info(),
        "memo.m4a": media.tagged_m4a(),
        "VID_1.mp4": media.tagged_clip("mp4"),
        "IMG_2.MOV": media.tagged_clip("mov"),
        "klip.3gp": media.tagged_clip("3gp"),
        "catatan.rtf": b"{\\rtf1\\ansi{\\info{\\author Canary Author}}Bukti.\\par}",
    }
    for name, data in files.items():
        assert CANARY in data, name
    if damaged:
        files = {name: data[: len(data) // 2] for name, data in files.items()}
    return files


@pytest.mark.parametrize("damaged", [False, True], ids=["whole", "cut-in-half"])
def test_no_file_reaches_an_officer_with_its_metadata(client: Client, intake_staff: IntakeStaff, damaged: bool) -> None:
    officer = officer_client(intake_staff)
    outcomes = {}
    for name, data in reporter_files(damaged=damaged).items():
        cases_before = Case.objects.count()
        response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": [upload(name, data)]})
        if response.status_code == 400:
            assert f"“{name}” cannot be cleaned" in response.content.decode() or "not accepted" in (
                response.content.decode()
            ), name
            assert Case.objects.count() == cases_before, f"{name}: nothing stored"
            outcomes[name] = "refused"
            continue
        assert response.status_code == 200, name
        attachment = CaseAttachment.objects.order_by("-created_at").first()
        assert attachment.metadata_removed is True, name
        received = download(officer, attachment)
        assert CANARY not in received, name
        assert b"loci" not in received and b"GPS" not in received and b"Exif" not in received, name
        if name.lower().endswith((".mp4", ".mov", ".3gp", ".m4a")):
            media.assert_no_video_metadata(received)
        if name.endswith(".jpg"):
            assert not Image.open(io.BytesIO(received)).getexif().get_ifd(0x8825), "no GPS"
        outcomes[name] = "cleaned"
    if not damaged:
        assert set(outcomes.values()) == {"cleaned", "refused"} and outcomes["catatan.rtf"] == "refused"
        assert all(outcome == "cleaned" for name, outcome in outcomes.items() if name != "catatan.rtf"), outcomes
    assert "refused" in outcomes.values()
