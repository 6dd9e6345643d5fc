"""Issue 10 item 3: files survive a form error, held sealed against the form's one-time token.

Reproduction (before): a WBS form with a missing title and a photo came back with "No file chosen"; sending
the corrected form filed the report without the photo.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case
from intake.models import SubmissionToken
from tests.intake.conftest import GPS_LATITUDE, IntakeStaff, jpeg_with_gps, pdf_with_author, upload, wbs_post
from tests.intake.voice_samples import encode, synthetic_voice
from tests.support.assignment import assign_officers
from vault import services as vault
from vault.exceptions import AccessDenied
from vault.models import HeldBlob

pytestmark = pytest.mark.django_db
HELD = re.compile(r'<input type="checkbox" name="held_files" value="([0-9a-f-]{36})"[^>]*checked> <label[^>]*>([^<]+)')


def form_token(client: Client, path: str = "/en/report/wbs/") -> str:
    match = re.search(r'name="submission_token" value="([^"]+)"', client.get(path).content.decode())
    assert match
    return match.group(1)


def held_on_page(response: Any) -> dict[str, str]:
    """Return {file name: held id} as the re-shown form lists them (each with a ticked checkbox)."""
    return {name.strip(): held_id for held_id, name in HELD.findall(response.content.decode())}


def note(name: str) -> Any:
    """Return a small plain-text upload (long enough for libmagic to call it text)."""
    return upload(name, f"Catatan saksi untuk {name}: kejadian pada pagi hari di loket.\n".encode())


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def officer_files(intake_staff: IntakeStaff, case: Case) -> dict[str, bytes]:
    assign_officers(case, intake_staff.officer)  # new reports reach the supervisors; triage assigns
    keyring = intake_staff.keyring(intake_staff.officer)
    return {
        sealed.open_attachment_meta(access=keyring, attachment=item).name: b"".join(
            sealed.open_attachment_content(access=keyring, attachment=item)
        )
        for item in case.attachments.all()
    }


# --- The vault's part: sealed under the token, the token not stored ---------------------------------------
def test_held_files_open_only_with_their_token() -> None:
    token = "k" * 43
    secret = b"plaintext evidence that must never rest on disk " * 100
    held = vault.hold_file(token=token, chunks=[secret], label=b'{"name": "bukti-rahasia.txt"}')
    assert [h.id for h in vault.held_files(token=token)] == [held.id]
    assert b"".join(vault.open_held_file(token=token, held_id=held.id)) == secret
    assert vault.held_files(token="z" * 43) == []  # another token sees nothing
    with pytest.raises(AccessDenied):
        vault.open_held_file(token="z" * 43, held_id=held.id)
    with pytest.raises(AccessDenied):
        vault.hold_file(token="short-client-token", chunks=[b"x"], label=b"{}")
    assert vault.held_files(token="short-client-token") == []
    # On disk and in the database: ciphertext only, no name, no token (nor its plain hash).
    stored = b"".join(p.read_bytes() for p in media_files())
    assert secret[:48] not in stored and b"bukti-rahasia" not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM vault_heldblob")
        dump = repr(cursor.fetchall()).encode()
    for needle in (b"bukti-rahasia", token.encode(), hashlib.sha256(token.encode()).hexdigest().encode()):
        assert needle not in dump


def test_held_files_expire_after_an_hour_and_are_purged(django_capture_on_commit_callbacks: Any) -> None:
    token = "e" * 43
    held = vault.hold_file(token=token, chunks=[b"old evidence"], label=b"{}")
    fresh = vault.hold_file(token="f" * 43, chunks=[b"new evidence"], label=b"{}")
    HeldBlob.objects.filter(pk=held.id).update(created_at=timezone.now() - timedelta(minutes=61))
    assert vault.held_files(token=token) == []  # gone for the reporter at once, purged or not
    with pytest.raises(AccessDenied):
        vault.open_held_file(token=token, held_id=held.id)
    assert len(media_files()) == 2
    # A file whose row never committed (a crash between writing the file and the row) is purged too.
    orphan = Path(django_settings.MEDIA_ROOT) / "held" / "ab" / uuid.uuid4().hex
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"ciphertext of a crashed hold")
    old = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(orphan, (old, old))
    with django_capture_on_commit_callbacks(execute=True):
        assert vault.purge_expired_held_files() == 2
    assert list(HeldBlob.objects.values_list("id", flat=True)) == [fresh.id]
    assert len(media_files()) == 1


def test_housekeeping_purges_held_files() -> None:
    from vault.tasks import housekeeping, purge_held_files

    held = vault.hold_file(token="h" * 43, chunks=[b"x"], label=b"{}")
    HeldBlob.objects.filter(pk=held.id).update(created_at=timezone.now() - timedelta(hours=2))
    assert housekeeping()["held_files"] == 1
    assert purge_held_files() == 0
    assert django_settings.CELERY_BEAT_SCHEDULE["vault-held-files"]["task"] == "vault.tasks.purge_held_files"


# --- The form: held across an error, listed, removable, sent with the report ------------------------------
def test_a_photo_survives_a_form_error_and_reaches_the_officer(
    client: Client, intake_staff: IntakeStaff, django_capture_on_commit_callbacks: Any
) -> None:
    token = form_token(client)
    first = client.post(
        "/en/report/wbs/",
        {**wbs_post(title=""), "submission_token": token, "attachments": [upload("foto-loket.jpg", jpeg_with_gps())]},
    )
    assert first.status_code == 400 and "This field is required." in first.content.decode()
    listed = held_on_page(first)
    assert list(listed) == ["foto-loket.jpg"]
    assert "Files you already chose" in first.content.decode()
    assert AuditEvent.objects.get(action="intake.attachments_held").details_dict == {"count": 1}
    assert not Case.objects.exists() and HeldBlob.objects.count() == 1

    assert [p.parts[-3] for p in media_files()] == ["held"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/en/report/wbs/", {**wbs_post(), "submission_token": token, "held_files": list(listed.values())}
        )
    assert sent.status_code == 200 and "<code>" in sent.content.decode()
    assert [p.parts[-3] for p in media_files()] == ["vault"]  # the held file is gone, the case's is there
    case = Case.objects.get()
    files = officer_files(intake_staff, case)
    assert list(files) == ["foto-loket.jpg"]
    photo = Image.open(io.BytesIO(files["foto-loket.jpg"]))
    assert photo.size == (32, 24) and not photo.getexif().get_ifd(0x8825)  # cleaned before it was held
    assert str(GPS_LATITUDE) not in repr(photo.getexif())
    assert not HeldBlob.objects.exists()  # deleted when the report was sent
    assert AuditEvent.objects.get(action="intake.report_submitted").details_dict["attachments"] == 1


def test_unticked_files_are_removed_and_new_ones_added(client: Client, intake_staff: IntakeStaff) -> None:
    token = form_token(client)
    files = [upload("a.pdf", pdf_with_author()), upload("b.txt", b"catatan saksi")]
    first = client.post("/en/report/wbs/", {**wbs_post(what=""), "submission_token": token, "attachments": files})
    listed = held_on_page(first)
    assert sorted(listed) == ["a.pdf", "b.txt"]
    second = client.post(
        "/en/report/wbs/",
        {
            **wbs_post(title=""),
            "submission_token": token,
            "held_files": [listed["b.txt"]],  # a.pdf unticked
            "attachments": [upload("c.txt", b"catatan kedua")],
        },
    )
    assert second.status_code == 400
    assert sorted(held_on_page(second)) == ["b.txt", "c.txt"]
    assert HeldBlob.objects.count() == 2
    kept = list(held_on_page(second).values())
    sent = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token, "held_files": kept})
    assert sent.status_code == 200
    assert sorted(officer_files(intake_staff, Case.objects.get())) == ["b.txt", "c.txt"]
    assert not HeldBlob.objects.exists()


def test_unticking_every_held_file_removes_them_all(client: Client, intake_staff: IntakeStaff) -> None:
    """The re-shown form says it lists held files, so a reporter who unticks all of them has them deleted."""
    token = form_token(client)
    first = client.post(
        "/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": [note("a.txt")]}
    )
    assert sorted(held_on_page(first)) == ["a.txt"]
    listed = re.search(r'<input type="hidden" name="held_listed" value="([^"]+)">', first.content.decode())
    assert listed, "the re-shown form does not say that it lists held files"
    sent = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token, "held_listed": listed.group(1)})
    assert sent.status_code == 200
    assert not Case.objects.get().attachments.exists()
    assert not HeldBlob.objects.exists()


def test_a_text_only_form_reads_neither_spent_tokens_nor_held_files(client: Client, intake_staff: IntakeStaff) -> None:
    """Most reports are text only: their form looks up no held files and no spent token before sending (the
    submission's own token row refuses a re-sent form). Files held under the token of a form posted without
    its list (an older copy of the page) stay until they expire."""
    token = form_token(client)
    client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": [note("a.txt")]})
    with CaptureQueriesContext(connection) as queries:
        sent = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token})
    assert sent.status_code == 200 and not Case.objects.get().attachments.exists()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    for table in (HeldBlob._meta.db_table, SubmissionToken._meta.db_table):
        assert not [sql for sql in reads if table in sql], f"{table} was read"
    assert HeldBlob.objects.count() == 1  # not taken over; purged when it expires
    again = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token})
    assert again.status_code == 409 and Case.objects.count() == 1


def test_a_sent_text_only_form_posted_again_with_an_error_is_already_sent(
    client: Client, intake_staff: IntakeStaff
) -> None:
    """Found probing stop 22's text-only path: the browser's copy of an earlier error page, posted again after
    the report was sent, asked to correct its fields (400) instead of saying it was sent."""
    token = form_token(client)
    assert client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": token}).status_code == 400
    assert client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token}).status_code == 200
    again = client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": token})
    assert again.status_code == 409 and Case.objects.count() == 1
    fresh = client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": form_token(client)})
    assert fresh.status_code == 400  # an unsent form with an error still comes back to be corrected


def test_a_refused_file_is_named_and_the_others_are_kept(client: Client, intake_staff: IntakeStaff) -> None:
    token = form_token(client)
    files = [upload("program.pdf", b"MZ\x90\x00" + b"\x00" * 300), upload("catatan.txt", b"isi catatan")]
    response = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token, "attachments": files})
    html = response.content.decode()
    assert response.status_code == 400 and "“program.pdf” was not kept" in html
    assert list(held_on_page(response)) == ["catatan.txt"]
    assert not Case.objects.exists()


def test_a_voice_recording_is_held_disguised(client: Client, intake_staff: IntakeStaff) -> None:
    token = form_token(client)
    recording = encode(synthetic_voice(3.0), "m4a")
    first = client.post(
        "/en/report/wbs/",
        {**wbs_post(title=""), "submission_token": token, "voice_recordings": [upload("suara.m4a", recording)]},
    )
    assert first.status_code == 400 and "voice disguised" in first.content.decode()
    listed = held_on_page(first)
    assert list(listed) == ["suara.m4a.wav"]
    sent = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": token, "held_files": [*listed.values()]})
    assert sent.status_code == 200
    content = officer_files(intake_staff, Case.objects.get())["suara.m4a.wav"]
    assert content[:4] == b"RIFF" and recording not in content


def test_expired_held_files_refuse_the_form_and_are_cleaned_up(client: Client, intake_staff: IntakeStaff) -> None:
    token = form_token(client)
    first = client.post(
        "/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": [note("a.txt")]}
    )
    ids = list(held_on_page(first).values())
    HeldBlob.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    late = client.post(
        "/en/report/wbs/",
        {**wbs_post(), "submission_token": token, "held_files": ids, "attachments": [note("new.txt")]},
    )
    html = late.content.decode()
    assert late.status_code == 400 and "no longer kept" in html and "choose your files again" in html
    assert held_on_page(late) == {}
    assert not Case.objects.exists() and not HeldBlob.objects.exists()  # nothing stored, the old file deleted
    assert late.content.decode().count('name="submission_token" value="' + token) == 1  # the text is kept


def test_held_files_of_another_form_are_refused(client: Client, intake_staff: IntakeStaff) -> None:
    own, foreign = form_token(client), form_token(client)
    first = client.post(
        "/en/report/wbs/", {**wbs_post(title=""), "submission_token": own, "attachments": [note("a.txt")]}
    )
    other_ids = list(held_on_page(first).values())
    client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": foreign, "attachments": [note("b.txt")]})
    response = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": foreign, "held_files": other_ids})
    assert response.status_code == 400 and "no longer kept" in response.content.decode()
    assert not Case.objects.exists()
    assert HeldBlob.objects.count() == 1  # the foreign token's own file was cleaned up; the other form's stays
    assert [h.id for h in vault.held_files(token=own)] == [uuid.UUID(i) for i in other_ids]
    garbage = client.post("/en/report/wbs/", {**wbs_post(), "submission_token": own, "held_files": ["../x"]})
    assert garbage.status_code == 400 and not HeldBlob.objects.exists() and not Case.objects.exists()


def test_more_files_than_the_limit_across_retries_is_refused(
    client: Client, intake_staff: IntakeStaff, settings: Any
) -> None:
    settings.PELUIT_MAX_ATTACHMENTS = 2
    token = form_token(client)
    two = [note("a.txt"), note("b.txt")]
    first = client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": two})
    ids = list(held_on_page(first).values())
    assert len(ids) == 2
    third = client.post(
        "/en/report/wbs/",
        {**wbs_post(), "submission_token": token, "held_files": ids, "attachments": [note("c.txt")]},
    )
    html = third.content.decode()
    assert third.status_code == 400 and "at most 2 files, counting the files you chose earlier" in html
    assert not Case.objects.exists() and not HeldBlob.objects.exists() and held_on_page(third) == {}


def test_reloading_the_receipt_page_is_still_already_sent(client: Client, intake_staff: IntakeStaff) -> None:
    token = form_token(client)
    first = client.post(
        "/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": [note("a.txt")]}
    )
    post = {**wbs_post(), "submission_token": token, "held_files": list(held_on_page(first).values())}
    assert client.post("/en/report/wbs/", post).status_code == 200
    again = client.post("/en/report/wbs/", post)  # the browser re-sends the form
    assert again.status_code == 409 and Case.objects.count() == 1


def test_a_token_with_spaces_around_it_files_the_report_with_its_held_files(
    client: Client, intake_staff: IntakeStaff
) -> None:
    """Found by fuzzing (issue 14 item 8): the form strips its token, the held files were chosen by the raw one.

    Before: a padded token made the service refuse the held selection as another form's, an HTTP 500.
    """
    padded = f"  {form_token(client)} "
    first = client.post(
        "/en/report/wbs/", {**wbs_post(title=""), "submission_token": padded, "attachments": [note("a.txt")]}
    )
    assert first.status_code == 400 and sorted(held_on_page(first)) == ["a.txt"]
    post = {**wbs_post(), "submission_token": padded, "held_files": list(held_on_page(first).values())}
    assert client.post("/en/report/wbs/", post).status_code == 200
    assert sorted(officer_files(intake_staff, Case.objects.get())) == ["a.txt"]
    assert client.post("/en/report/wbs/", {**wbs_post(), "submission_token": padded}).status_code == 409
    assert client.post("/en/report/wbs/", {**wbs_post(), "submission_token": " padded-only "}).status_code == 200


def test_api_clients_tokens_hold_nothing(client: Client, intake_staff: IntakeStaff) -> None:
    response = client.post(
        "/api/v1/reports/wbs",
        {**wbs_post(title=""), "submission_token": "client-chosen-1", "attachments": [note("a.txt")]},
    )
    assert response.status_code == 400 and not HeldBlob.objects.exists()


def test_too_many_new_files_are_refused_by_the_form_and_not_held(
    client: Client, intake_staff: IntakeStaff, settings: Any
) -> None:
    settings.PELUIT_MAX_ATTACHMENTS = 1
    token = form_token(client)
    response = client.post(
        "/en/report/wbs/",
        {**wbs_post(title=""), "submission_token": token, "attachments": [note("a.txt"), note("b.txt")]},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "You can attach at most 1 file." in html
    assert "counting the files you chose earlier" not in html
    assert not HeldBlob.objects.exists() and held_on_page(response) == {}


def test_a_file_sent_as_it_is_is_held_only_by_choice_and_refused_when_the_choice_is_withdrawn(
    client: Client, intake_staff: IntakeStaff
) -> None:
    from tests.intake.test_uncleaned_files import damaged_photo

    token = form_token(client)
    photo = upload("rusak.jpg", damaged_photo())
    refused = client.post("/en/report/wbs/", {**wbs_post(title=""), "submission_token": token, "attachments": [photo]})
    assert "cannot be cleaned" in refused.content.decode() and held_on_page(refused) == {}  # not held unasked

    photo.seek(0)
    chosen = {**wbs_post(title=""), "submission_token": token, "attachments": [photo], "send_uncleaned": "on"}
    first = client.post("/en/report/wbs/", chosen)
    listed = held_on_page(first)
    assert list(listed) == ["rusak.jpg"] and "not cleaned" in first.content.decode()

    # Sending with the box unticked refuses the held uncleaned file (and stores nothing).
    kept = {**wbs_post(), "submission_token": token, "held_files": [*listed.values()]}
    unticked = client.post("/en/report/wbs/", kept)
    assert unticked.status_code == 400 and "cannot be cleaned" in unticked.content.decode()
    assert not Case.objects.exists() and held_on_page(unticked) == listed  # still held for the next try
    ticked = client.post(
        "/en/report/wbs/",
        {**wbs_post(), "submission_token": token, "held_files": [*listed.values()], "send_uncleaned": "on"},
    )
    assert ticked.status_code == 200 and "rusak.jpg" in ticked.content.decode()  # the receipt lists it
    attachment = Case.objects.get().attachments.get()
    assert not attachment.metadata_removed


def test_a_token_the_form_refuses_holds_no_file(client: Client, intake_staff: IntakeStaff) -> None:
    """A token over 64 characters is refused by the form: files held under it could never be sent."""
    response = client.post(
        "/en/report/wbs/",
        {**wbs_post(), "submission_token": "h" * 65, "attachments": [upload("foto.jpg", jpeg_with_gps())]},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "one-time token is damaged" in page
    assert "Files you already chose" not in page and not held_on_page(response)
    assert not HeldBlob.objects.exists() and not media_files()
    assert not AuditEvent.objects.filter(action="intake.attachments_held").exists()
