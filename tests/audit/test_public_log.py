"""The audit log's public face: /audit/checkpoint, /audit/proof and /audit/cosignature."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit import merkle, signing
from audit.checkpoints import checkpoint_cosignatures, cosignatures, cosigned_note, create_checkpoint
from audit.models import AuditCheckpoint, AuditCosignature
from audit.note import parse_signed_note
from tests.audit.helpers import assert_served_proof_verifies, run, skip_unless, stop_database_for, tamper, write_events
from tests.audit.test_checkpoints import independent_verify
from vault.checkpoint_signer import Ed25519Signer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("every_checkpoint_published")]

WITNESS_NAME = "inspektorat.example.go.id/witness"


@pytest.fixture
def witness_signer(settings: Any) -> Ed25519Signer:
    """A witness whose key the log knows (``PELUIT_AUDIT_WITNESSES``)."""
    signer = Ed25519Signer.from_secret("witness secret", purpose="witness")
    key = signing.VerifierKey(WITNESS_NAME, signer.public_key(), signing.COSIGNATURE_ED25519)
    settings.PELUIT_AUDIT_WITNESSES = [key.encode()]
    return signer


def cosign(note: str, signer: Ed25519Signer, *, name: str = WITNESS_NAME, timestamp: int = 1_750_000_000) -> str:
    text = parse_signed_note(note).text
    return note + signing.cosign(text, signer=signer, name=name, timestamp=timestamp)


def test_no_checkpoint_yet_is_a_plain_404(client: Client) -> None:
    response = client.get("/audit/checkpoint")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/plain")


def test_the_latest_checkpoint_is_served_as_a_signed_note_without_cookies(client: Client) -> None:
    write_events(3)
    create_checkpoint()
    write_events(2)
    latest = create_checkpoint()
    response = client.get("/audit/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not response.cookies and "Set-Cookie" not in response
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert body == latest.note
    _origin, size, root, _ext = independent_verify(body, signing.verifier_key().encode())
    assert (size, root) == (latest.tree_size, bytes(latest.root_hash))
    assert client.get("/en/audit/checkpoint").status_code == 404  # outside the language prefixes


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?old=1", 400),
        ("?old=a&new=4", 400),
        ("?old=-1&new=4", 400),
        ("?old=01&new=4", 400),
        ("?old=5&new=4", 400),
        ("?old=1&new=5", 404),  # not a signed checkpoint's size
        ("?old=1&new=99999999999999999999999", 400),
    ],
)
def test_bad_proof_requests_get_a_clear_plain_answer(client: Client, query: str, status: int) -> None:
    write_events(3)
    create_checkpoint()  # tree size 4
    response = client.get(f"/audit/proof{query}")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/plain") and response.content.strip()


def test_proofs_between_checkpoints_verify(client: Client) -> None:
    sizes = []
    for count in (2, 5, 1, 9):
        write_events(count)
        sizes.append(create_checkpoint())
    for old in sizes:
        for new in sizes:
            if old.tree_size > new.tree_size:
                continue
            assert_served_proof_verifies(client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}"), old, new)
    # From any size below a checkpoint, too (a witness that saw an older tree), and from the empty tree.
    newest = sizes[-1]
    assert client.get(f"/audit/proof?old=0&new={newest.tree_size}").content == b""
    assert client.get(f"/audit/proof?old=7&new={newest.tree_size}").status_code == 200


def test_a_proof_over_events_deleted_from_the_table_is_a_clear_409_never_cached(client: Client) -> None:
    write_events(4)
    old = create_checkpoint()
    write_events(3)
    new = create_checkpoint()
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    response = client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "audit_verify" in response.content.decode()


EDITED_CHECKPOINT_CELLS = [
    # (what is set on the newest checkpoint's row, which database)
    ("note = 'not a signed note'", "any"),
    ("root_hash = %s", "any"),  # 32 zero bytes: no longer the root its note signs
    ("note = note || x'ff'", "sqlite"),  # text that is not UTF-8: SQLite cannot even read it
    ("note = x'00'", "sqlite"),  # SQLite keeps a value of any type
    ("root_hash = 'abc'", "sqlite"),
    ("root_hash = 7", "sqlite"),
    ("root_hash = CAST(x'ff' AS TEXT)", "sqlite"),
    ("tree_size = 'abc'", "sqlite"),
    ("tree_size = tree_size + 0.5", "sqlite"),
    ("tree_size = CAST(x'ff' AS TEXT)", "sqlite"),
]


@pytest.mark.parametrize(("change", "vendor"), EDITED_CHECKPOINT_CELLS)
def test_an_edited_checkpoint_row_is_a_clear_409_never_cached(client: Client, change: str, vendor: str) -> None:
    """Someone with the database edits the newest checkpoint's row: the checkpoint and the proofs to it answer a
    plain 409 naming the altered table (not a 500, not a 503 that says to try again), and nothing is cached."""
    skip_unless(vendor)
    write_events(3)
    old = create_checkpoint()
    write_events(2)
    new = create_checkpoint()
    proof_url = f"/audit/proof?old={old.tree_size}&new={new.tree_size}"
    params = [bytes(32), new.pk] if "%s" in change else [new.pk]
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", params)  # noqa: S608
    for url in ("/audit/checkpoint", proof_url):
        response = client.get(url)
        assert response.status_code == 409, url  # an edited size was a 404 "not the size of a signed checkpoint"
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Cache-Control"] == "no-store"
        assert response.content.decode() == (
            "Titik periksa ini tidak dapat disajikan: tabel titik periksa telah diubah; "
            "pengelolanya harus menjalankan audit_verify.\n"
        )
    english = client.get("/audit/checkpoint", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english.startswith("This checkpoint cannot be served: the checkpoint table was altered")
    # Put back, both answer again: the 409 was not kept anywhere.
    tamper(
        "UPDATE audit_auditcheckpoint SET tree_size = %s, root_hash = %s, note = %s WHERE id = %s",
        [new.tree_size, bytes(new.root_hash), new.note, new.pk],
    )
    assert client.get("/audit/checkpoint").content.decode() == new.note
    assert client.get(proof_url).status_code == 200


def test_an_unavailable_database_still_gives_the_503(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only SQLite's error for unreadable text is an altered checkpoint; any other operational error keeps the 503."""
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    write_events(2)
    create_checkpoint()

    def stopped(self: CursorWrapper, *args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", stopped)
    client = Client(raise_request_exception=False)
    for url in ("/audit/checkpoint", "/audit/proof?old=1&new=3"):
        response = client.get(url)
        assert response.status_code == 503 and response["Retry-After"], url


def test_a_known_witness_cosignature_is_stored_and_served(client: Client, witness_signer: Ed25519Signer) -> None:
    write_events(2)
    checkpoint = create_checkpoint()
    cosigned = cosign(checkpoint.note, witness_signer)
    response = client.post("/audit/cosignature", cosigned, content_type="text/plain")
    assert response.status_code == 201, response.content
    assert [c.witness for c in cosignatures(checkpoint)] == [WITNESS_NAME]
    served = client.get("/audit/checkpoint").content.decode()
    assert served == cosigned == cosigned_note(checkpoint)
    independent_verify(served, signing.verifier_key().encode())  # still a valid note for the log's key
    again = client.post(
        "/audit/cosignature",
        cosign(checkpoint.note, witness_signer, timestamp=1_750_000_500),
        content_type="text/plain",
    )
    assert again.status_code == 200 and AuditCosignature.objects.count() == 1  # the first one is kept


@pytest.mark.parametrize(
    "case",
    ["unknown witness", "not our checkpoint", "garbage", "from the future", "altered cosignature"],
)
def test_cosignatures_that_cannot_be_checked_are_refused(
    client: Client, witness_signer: Ed25519Signer, case: str
) -> None:
    write_events(2)
    checkpoint = create_checkpoint()
    if case == "unknown witness":
        body = cosign(checkpoint.note, Ed25519Signer.from_secret("stranger", purpose="witness"))
    elif case == "not our checkpoint":
        body = cosign(checkpoint.note.replace("\n3\n", "\n4\n", 1), witness_signer)
    elif case == "garbage":
        body = "not a note"
    elif case == "from the future":
        body = cosign(checkpoint.note, witness_signer, timestamp=4_000_000_000)
    else:
        body = cosign(checkpoint.note, witness_signer)
        body = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]
    response = client.post("/audit/cosignature", body, content_type="text/plain")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert AuditCosignature.objects.count() == 0


def test_oversized_and_wrong_method_requests_are_refused(client: Client) -> None:
    assert client.post("/audit/cosignature", "x" * 70_000, content_type="text/plain").status_code == 413
    assert client.get("/audit/cosignature").status_code == 405
    assert client.post("/audit/checkpoint").status_code == 405


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/audit/checkpoint", "/audit/proof?old=0&new=1"])
def test_other_methods_get_the_plain_405_not_the_csrf_page(method: str, url: str) -> None:
    """A browser-like client (CSRF checks on): the read-only public views answer the plain 405 (was a 403 page)."""
    answer = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert answer.status_code == 405 and answer["Content-Type"] == "text/plain; charset=utf-8", answer.content
    assert "GET" in answer["Allow"]


@pytest.mark.parametrize("size", ["3%0A", "3%0D", "3 ", "%203", "03"])
def test_a_size_is_whole_digits_only(client: Client, size: str) -> None:
    write_events(2)
    create_checkpoint()  # tree size 3
    assert client.get(f"/audit/proof?old=0&new={size}").status_code == 400
    assert client.get("/audit/proof?old=0&new=3").status_code == 200


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_time_line_edited_to_the_ends_of_the_calendar_is_no_server_error(client: Client, moment: str) -> None:
    """Someone with the database edits the latest checkpoint's note so that its time, in the local zone, falls
    outside the years Python knows (was a 500 on the public log and the console)."""
    from django.utils import timezone as django_timezone

    from audit.checkpoints import signed_time

    write_events(2)
    checkpoint = create_checkpoint()
    signed = parse_signed_note(checkpoint.note)
    old_line = next(line for line in signed.text.splitlines() if line.startswith("time "))
    tamper(
        "UPDATE audit_auditcheckpoint SET note = %s WHERE id = %s",
        [checkpoint.note.replace(old_line, f"time {moment}"), checkpoint.pk],
    )
    edited = AuditCheckpoint.objects.get(pk=checkpoint.pk)
    assert signed_time(edited) is None or signed_time(edited).tzinfo is not None
    with django_timezone.override("Asia/Jakarta"):
        assert client.get("/audit/checkpoint").status_code in (200, 409)
        assert client.get(f"/audit/proof?old=1&new={checkpoint.tree_size}").status_code in (200, 409)


def test_the_audit_paths_are_reporter_paths() -> None:
    """Request hygiene applies: no address or user agent reaches the views, and the throttle counts them."""
    from intake.middleware import is_reporter_path

    assert all(is_reporter_path(path) for path in ("/audit/checkpoint", "/audit/proof", "/audit/cosignature"))


def test_refusals_speak_indonesian_first_and_english_on_request(client: Client) -> None:
    assert client.get("/audit/proof?old=x&new=1").content.decode().startswith("Berikan ukuran pohon")
    english = client.get("/audit/proof?old=x&new=1", HTTP_ACCEPT_LANGUAGE="en")
    assert english.content.decode().startswith("Give the tree sizes")


@pytest.mark.parametrize(
    ("body", "indonesian", "english"),
    [
        (
            "not a note",
            "tidak ada baris kosong antara teks dan tanda tangan, atau tidak ada baris baru di akhir",
            "no blank line between the text and the signatures, or no final newline",
        ),
        (
            "text\n\nnot a signature\n",  # the detail names the line
            "baris tanda tangan tidak berbentuk benar: 'not a signature'",
            "malformed signature line: 'not a signature'",
        ),
    ],
)
def test_a_malformed_cosigned_note_is_refused_wholly_in_the_client_language(
    client: Client, body: str, indonesian: str, english: str
) -> None:
    """The parser's detail follows the client's language too: it was English inside an Indonesian sentence."""
    response = client.post("/audit/cosignature", body, content_type="text/plain")
    assert response.status_code == 400
    assert response.content.decode() == (
        f"Titik periksa yang ditandatangani bersama bukan catatan bertanda tangan yang sah: {indonesian}\n"
    )
    answer = client.post("/audit/cosignature", body, content_type="text/plain", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.content.decode() == f"The cosigned checkpoint is not a valid signed note: {english}\n"


def test_a_malformed_witness_setting_refuses_cosignatures_cleanly(
    client: Client, witness_signer: Ed25519Signer, settings: Any
) -> None:
    """A bad entry is skipped at run time (the system check names it), so the good witness still counts."""
    write_events(2)
    checkpoint = create_checkpoint()
    settings.PELUIT_AUDIT_WITNESSES = ["not a key", *settings.PELUIT_AUDIT_WITNESSES]
    response = client.post("/audit/cosignature", cosign(checkpoint.note, witness_signer), content_type="text/plain")
    assert response.status_code == 201
    settings.PELUIT_AUDIT_WITNESSES = ["not a key"]
    again = client.post("/audit/cosignature", cosign(checkpoint.note, witness_signer), content_type="text/plain")
    assert again.status_code == 400


def test_exports_embed_the_checkpoint_with_its_cosignatures(
    client: Client, witness_signer: Ed25519Signer, tmp_path: Any
) -> None:
    """The reports' PDFs embed the checkpoint through ``checkpoint_cosignatures``; the embedded note verifies."""
    from reports.checkpoint import embed_current_checkpoint

    write_events(3)
    checkpoint = create_checkpoint()
    assert checkpoint_cosignatures(checkpoint) == []
    assert (
        client.post(
            "/audit/cosignature", cosign(checkpoint.note, witness_signer), content_type="text/plain"
        ).status_code
        == 201
    )
    lines = checkpoint_cosignatures(checkpoint)
    assert len(lines) == 1 and lines[0].startswith(f"— {WITNESS_NAME} ")
    embedded = embed_current_checkpoint()
    assert embedded.cosignatures == 1 and embedded.note == cosigned_note(checkpoint)
    path = tmp_path / "embedded.txt"
    path.write_text(embedded.note)
    assert run("audit_verify", "--checkpoint", str(path)).status == 0


EDITED_COSIGNED_ROWS = [
    # (what is set on the row of the checkpoint a witness cosigned, which database)
    ("note = 'not a signed note'", "any"),  # was "not a checkpoint of this log" (400)
    ("root_hash = %s", "any"),  # 32 zero bytes: the cosignature was stored for a row that does not match its note
    ("note = CAST(note AS BLOB)", "sqlite"),  # the note stored as a BLOB: was a 500
    ("note = x'00'", "sqlite"),
    ("note = note || x'ff'", "sqlite"),  # text that is not UTF-8: was the database-outage 503
]


@pytest.mark.parametrize(("change", "vendor"), EDITED_COSIGNED_ROWS)
def test_a_cosignature_of_an_edited_checkpoint_row_is_a_clear_409(
    client: Client, witness_signer: Ed25519Signer, monkeypatch: pytest.MonkeyPatch, change: str, vendor: str
) -> None:
    """A witness posts its cosignature of a checkpoint whose stored row was edited since: the plain 409 that
    /audit/checkpoint gives, nothing stored; an unavailable database still gives the 503."""
    skip_unless(vendor)
    write_events(2)
    checkpoint = create_checkpoint()
    cosigned = cosign(checkpoint.note, witness_signer)
    params = [bytes(32), checkpoint.pk] if "%s" in change else [checkpoint.pk]
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", params)  # noqa: S608
    response = client.post("/audit/cosignature", cosigned, content_type="text/plain")
    assert response.status_code == 409
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "Titik periksa ini tidak dapat disajikan: tabel titik periksa telah diubah; "
        "pengelolanya harus menjalankan audit_verify.\n"
    )
    assert not AuditCosignature.objects.exists()
    english = client.post("/audit/cosignature", cosigned, content_type="text/plain", HTTP_ACCEPT_LANGUAGE="en")
    assert english.content.decode().startswith("This checkpoint cannot be served: the checkpoint table was altered")
    stop_database_for(AuditCheckpoint, monkeypatch)
    stopped = Client(raise_request_exception=False).post("/audit/cosignature", cosigned, content_type="text/plain")
    assert stopped.status_code == 503 and stopped["Retry-After"]


@pytest.mark.parametrize(
    ("method", "url", "status", "english"),
    [
        ("get", "/audit/no-such-thing", 404, "The public audit log has no such address."),
        ("get", "/audit/", 404, "The public audit log has no such address."),
        ("post", "/audit/checkpoint", 405, "This endpoint does not accept this HTTP method."),
        ("get", "/audit/cosignature", 405, "This endpoint does not accept this HTTP method."),
    ],
)
def test_errors_under_the_public_log_are_plain_text_in_the_clients_language(
    method: str, url: str, status: int, english: str
) -> None:
    """Programs read /audit/: an address or method it does not serve is one line of text, never an HTML page."""
    client = Client()
    indonesian = getattr(client, method)(url)
    english_answer = getattr(client, method)(url, headers={"Accept-Language": "en"})
    for answer in (indonesian, english_answer):
        assert answer.status_code == status and answer["Content-Type"] == "text/plain; charset=utf-8"
        assert b"<" not in answer.content and answer.content.endswith(b"\n")
    assert english_answer.content.decode() == english + "\n"
    assert indonesian.content.decode() not in (english + "\n", "")
    if status == 405:
        assert english_answer["Allow"]


def test_a_database_outage_under_the_public_log_is_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def stopped(self: CursorWrapper, *args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", stopped)
    answer = Client(raise_request_exception=False).get("/audit/checkpoint", headers={"Accept-Language": "en"})
    assert answer.status_code == 503 and answer["Retry-After"]
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.content.decode().startswith("The service cannot store or show data right now.")


EDITED_COSIGNATURE_CELLS = [
    # (what is set on the served checkpoint's cosignature row, which database, what /audit/checkpoint serves)
    ("received_at = CAST(x'ff' AS TEXT)", "sqlite", "cosigned"),  # not part of the note, not read: was a 500
    ("received_at = 'not a time'", "sqlite", "cosigned"),
    ("witness = CAST(x'ff' AS TEXT)", "sqlite", "cosigned"),  # not read either: was the database-outage 503
    ("timestamp = CAST(x'ff' AS TEXT)", "sqlite", "cosigned"),
    ("signature_line = CAST(x'ff' AS TEXT)", "sqlite", "409"),  # the line itself cannot be read: was the 503
    ("signature_line = signature_line || x'ff'", "sqlite", "409"),
    ("signature_line = 'garbage no dash'", "any", "plain"),  # readable junk: left out (was a malformed note)
    ("signature_line = ''", "any", "plain"),
    ("signature_line = signature_line || ' extra'", "any", "plain"),
    ("signature_line = signature_line || '\n— x AAAAAAAA'", "any", "plain"),  # two lines in one cell
    ("signature_line = CAST(signature_line AS BLOB)", "sqlite", "plain"),  # another type
    ("signature_line = 7", "sqlite", "plain"),
]


@pytest.mark.parametrize(("change", "vendor", "served"), EDITED_COSIGNATURE_CELLS)
def test_an_edited_cosignature_row_never_breaks_the_served_checkpoint(
    client: Client, witness_signer: Ed25519Signer, change: str, vendor: str, served: str
) -> None:
    """A cosignature row edited by someone with the database: /audit/checkpoint serves the signed note with the
    lines that are still signature lines (an unparseable one left out), or the plain 409 when SQLite cannot read
    the line at all; never a 500, the outage 503 or a malformed note, and nothing cached."""
    skip_unless(vendor)
    write_events(2)
    checkpoint = create_checkpoint()
    cosigned = cosign(checkpoint.note, witness_signer)
    assert client.post("/audit/cosignature", cosigned, content_type="text/plain").status_code == 201
    tamper(f"UPDATE audit_auditcosignature SET {change} WHERE checkpoint_id = %s", [checkpoint.pk])  # noqa: S608
    response = client.get("/audit/checkpoint")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if served == "409":
        assert response.status_code == 409
        assert response["Cache-Control"] == "no-store"
        assert response.content.decode().startswith("Titik periksa ini tidak dapat disajikan: tabel titik periksa")
    else:
        assert response.status_code == 200
        note = response.content.decode()
        assert note == (cosigned if served == "cosigned" else checkpoint.note)
        parse_signed_note(note)  # a well-formed signed note
        independent_verify(note, signing.verifier_key().encode())
    # Put back, the cosigned note is served again: nothing was kept.
    tamper(
        "UPDATE audit_auditcosignature SET signature_line = %s, witness = %s, timestamp = %s, received_at = %s "
        "WHERE checkpoint_id = %s",
        [
            cosigned[len(checkpoint.note) :].rstrip("\n"),
            WITNESS_NAME,
            1_750_000_000,
            "2026-01-01 00:00:00",
            checkpoint.pk,
        ],
    )
    assert client.get("/audit/checkpoint").content.decode() == cosigned


def test_an_unreadable_cosignature_line_is_checkpoint_altered_and_an_outage_stays_one(
    client: Client, witness_signer: Ed25519Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cosigned_note`` (which exports use) raises ``CheckpointAltered`` for a line SQLite cannot read; an
    unavailable database is still the usual 503."""
    from audit.checkpoints import CheckpointAltered

    write_events(2)
    checkpoint = create_checkpoint()
    assert (
        client.post(
            "/audit/cosignature", cosign(checkpoint.note, witness_signer), content_type="text/plain"
        ).status_code
        == 201
    )
    from django.db import connection

    if connection.vendor == "sqlite":
        tamper("UPDATE audit_auditcosignature SET signature_line = CAST(x'ff' AS TEXT)")
        with pytest.raises(CheckpointAltered):
            cosigned_note(checkpoint)
    stop_database_for(AuditCosignature, monkeypatch)
    stopped = Client(raise_request_exception=False).get("/audit/checkpoint")
    assert stopped.status_code == 503 and stopped["Retry-After"]


def test_the_checked_proof_is_the_proof_of_the_stored_leaves() -> None:
    """One streaming pass gives the proof the in-memory generator gives, for every pair of sizes."""
    from audit import selectors
    from audit.models import AuditEvent

    write_events(13)
    leaves = [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    for new in range(1, 14):
        signed_root = merkle.root(leaves[:new])
        for old in range(new + 1):
            proof = selectors.checked_consistency_proof(old_size=old, new_size=new, signed_root=signed_root)
            assert proof == merkle.consistency_proof(old, leaves[:new]), (old, new)
            if 0 < old:
                with pytest.raises(selectors.ProofDoesNotVerify):
                    selectors.checked_consistency_proof(old_size=old, new_size=new, signed_root=bytes(32))


EDITED_LEAVES = [
    # (what is set on one event's leaf hash, which database)
    ("leaf_hash = %s", "any"),  # 32 zero bytes
    ("leaf_hash = %s || leaf_hash", "any"),  # 33 bytes
    ("leaf_hash = x'00'", "sqlite"),
    ("leaf_hash = 'text'", "sqlite"),  # read as no bytes
    ("leaf_hash = CAST(x'ff' AS TEXT)", "sqlite"),
    ("leaf_hash = 7", "sqlite"),
]


@pytest.mark.parametrize("seq", [2, 4, 5, 7])  # inside the old tree (2, 4) and after it (5, 7)
@pytest.mark.parametrize(("change", "vendor"), EDITED_LEAVES)
def test_a_proof_from_edited_leaves_is_a_409_never_served_or_cached(
    client: Client, change: str, vendor: str, seq: int
) -> None:
    """An edited leaf hash makes a proof that does not lead to the signed root: a plain 409, never a wrong proof
    with a 200, and nothing cached (put back, the right proof is served)."""
    skip_unless(vendor)
    write_events(3)
    old = create_checkpoint()  # size 4
    write_events(2)
    new = create_checkpoint()  # size 7
    url = f"/audit/proof?old={old.tree_size}&new={new.tree_size}"
    same = f"/audit/proof?old={new.tree_size}&new={new.tree_size}"
    from audit.models import AuditEvent

    original = bytes(AuditEvent.objects.get(seq=seq).leaf_hash)
    params = [b"\x00", seq] if "||" in change else ([bytes(32), seq] if "%s" in change else [seq])
    tamper(f"UPDATE audit_auditevent SET {change} WHERE seq = %s", params)  # noqa: S608
    for proof_url in (url, same):
        response = client.get(proof_url)
        assert response.status_code == 409, proof_url
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode() == (
            "Log tidak lagi cocok dengan titik periksanya yang bertanda tangan; "
            "pengelolanya harus menjalankan audit_verify.\n"
        )
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english == "The log no longer matches its signed checkpoint; its operator must run audit_verify.\n"
    tamper("UPDATE audit_auditevent SET leaf_hash = %s WHERE seq = %s", [original, seq])
    assert_served_proof_verifies(client.get(url), old, new)
    assert client.get(same).status_code == 200


def test_a_wrong_proof_cached_before_the_check_is_not_served(client: Client) -> None:
    """Proofs cached by the unchecked code (key without "v2") are not read."""
    from django.core.cache import cache

    write_events(3)
    old = create_checkpoint()
    write_events(2)
    new = create_checkpoint()
    cache.set(f"audit-proof:{old.tree_size}:{new.tree_size}:{bytes(new.root_hash).hex()}", "AAAA\n", 3600)
    response = client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}")
    assert response.status_code == 200 and response.content != b"AAAA\n"


ALTERED_LATEST_ROWS = [
    # (what is set on the latest checkpoint's row; SQLite keeps any type, so the row no longer matches its size)
    "tree_size = 'abc'",
    "tree_size = CAST(x'ff' AS TEXT)",
    "tree_size = tree_size + 0.5",
    "note = CAST(x'ff' AS TEXT)",
]


@pytest.mark.parametrize("change", ALTERED_LATEST_ROWS)
def test_a_latest_checkpoint_whose_size_cannot_be_read_is_a_409_not_a_missing_checkpoint(
    client: Client, witness_signer: Ed25519Signer, change: str
) -> None:
    """The row of the latest checkpoint exists but cannot be read as one: the proof to its real size and a
    witness's cosignature of it answer the altered-table 409, not "not the size of a signed checkpoint" (404) or
    "not a checkpoint of this log" (400)."""
    skip_unless("sqlite")
    write_events(3)
    old = create_checkpoint()
    write_events(2)
    new = create_checkpoint()
    cosigned = cosign(new.note, witness_signer)
    tamper(f"UPDATE audit_auditcheckpoint SET {change} WHERE id = %s", [new.pk])  # noqa: S608
    altered = (
        "Titik periksa ini tidak dapat disajikan: tabel titik periksa telah diubah; "
        "pengelolanya harus menjalankan audit_verify.\n"
    )
    for response in (
        client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}"),
        client.post("/audit/cosignature", cosigned, content_type="text/plain"),
    ):
        assert response.status_code == 409
        assert response.content.decode() == altered
    assert not AuditCosignature.objects.exists()
    tamper(
        "UPDATE audit_auditcheckpoint SET tree_size = %s, note = %s WHERE id = %s", [new.tree_size, new.note, new.pk]
    )
    assert client.get(f"/audit/proof?old={old.tree_size}&new={new.tree_size}").status_code == 200
    assert client.post("/audit/cosignature", cosigned, content_type="text/plain").status_code == 201


def test_a_size_no_checkpoint_has_is_still_a_404_on_an_intact_table(client: Client) -> None:
    write_events(3)
    checkpoint = create_checkpoint()
    response = client.get(f"/audit/proof?old=1&new={checkpoint.tree_size - 1}")
    assert response.status_code == 404
