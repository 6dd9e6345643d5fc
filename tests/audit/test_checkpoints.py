"""Signed checkpoints: C2SP signed-note format checked by an independent implementation, key id, verifier key,
creation rules and the Celery beat entry."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection

from audit import merkle, signing
from audit.actions import Action
from audit.checkpoints import checkpoint_if_grown, create_checkpoint, current_checkpoint
from audit.exceptions import AuditError
from audit.models import AuditCheckpoint, AuditEvent
from audit.note import NoteError, parse_checkpoint, parse_signed_note
from audit.tasks import checkpoint_if_grown_task
from tests.audit.helpers import drop_append_only_triggers, write_events

pytestmark = pytest.mark.django_db


def independent_verify(note: str, vkey: str) -> tuple[str, int, bytes, list[str]]:
    """Verify a signed note with nothing from Peluit: the C2SP rules written out with `cryptography`."""
    name, key_hash, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 1 and len(key) == 33  # Ed25519
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == key_hash
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    verified = False
    for line in signatures.splitlines():
        dash, signer, blob = line.split(" ")
        assert dash == "\u2014"
        raw = base64.b64decode(blob)
        if signer == name and raw[:4].hex() == key_hash:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())  # raises when invalid
            verified = True
    assert verified
    origin, size, root, *extensions = text.rstrip("\n").split("\n")
    return origin, int(size), base64.b64decode(root), extensions


def test_checkpoint_is_a_c2sp_signed_note_over_the_whole_log() -> None:
    events = write_events(4)
    checkpoint = create_checkpoint()
    vkey = signing.verifier_key().encode()
    origin, size, root, extensions = independent_verify(checkpoint.note, vkey)
    assert origin == settings.PELUIT_AUDIT_ORIGIN
    # The checkpoint's own event is the last leaf it covers.
    assert size == len(events) + 1 == checkpoint.tree_size
    assert AuditEvent.objects.get(seq=size).action == Action.CHECKPOINT_CREATED
    leaves = list(AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True))
    assert root == merkle.root([bytes(leaf) for leaf in leaves]) == bytes(checkpoint.root_hash)
    assert len(extensions) == 1 and extensions[0].startswith("time 20")
    body = parse_checkpoint(parse_signed_note(checkpoint.note).text)
    assert body.signed_at is not None and abs((body.signed_at - checkpoint.created_at).total_seconds()) < 1


def test_verifier_key_round_trips_and_matches_the_documented_key_id() -> None:
    vkey = signing.verifier_key()
    parsed = signing.parse_verifier_key(vkey.encode())
    assert parsed == vkey
    assert parsed.key_id == hashlib.sha256(vkey.name.encode() + b"\n\x01" + vkey.public_key).digest()[:4]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "name+abcd+AQ==",
        "name+0000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
        "name+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # wrong key id
        "na me+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
        "name+00000000+" + base64.b64encode(b"\x02" + bytes(32)).decode(),
        "name+zzzzzzzz+AQ==",
        "name+00000000+not base64!",
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(signing.VerifierKeyError):
        signing.parse_verifier_key(text)


def test_signing_key_comes_from_the_secret_outside_the_database(settings: pytest.FixtureRequest) -> None:
    before = signing.verifier_key()
    settings.PELUIT_CHECKPOINT_KEY = "another secret from the environment"  # type: ignore[attr-defined]
    after = signing.verifier_key()
    assert after.public_key != before.public_key and after.key_id != before.key_id


def test_checkpoints_are_made_only_when_the_log_grew() -> None:
    assert checkpoint_if_grown() is None  # an empty log needs none
    write_events(2)
    first = checkpoint_if_grown()
    assert first is not None and first.tree_size == 3
    assert checkpoint_if_grown() is None
    assert checkpoint_if_grown_task() is None
    assert current_checkpoint() == first
    write_events(1)
    assert checkpoint_if_grown_task() == 5
    assert list(AuditCheckpoint.objects.values_list("tree_size", flat=True)) == [3, 5]


def test_a_broken_log_is_never_signed() -> None:
    write_events(3)
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET case_ref = 'WBS-2026-999999' WHERE seq = 2")
    with pytest.raises(AuditError, match="event #2 was changed"):
        create_checkpoint()
    assert not AuditCheckpoint.objects.exists()


def test_beat_runs_the_checkpoint_task_every_ten_minutes_on_the_clock() -> None:
    from audit.tasks import periodic_checkpoint_task

    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == periodic_checkpoint_task.name == "audit.tasks.periodic_checkpoint"
    assert entry["schedule"].minute == {5, 15, 25, 35, 45, 55}  # never at the hour, with the published one
    assert entry["schedule"].hour == set(range(24))
    assert checkpoint_if_grown_task.name == "audit.tasks.checkpoint_if_grown"  # still runs when sent by name


@pytest.mark.parametrize(
    "note",
    [
        "",
        "origin\n1\nAAAA\n",
        "origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n- origin AAAAAAAA\n",
        "origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n\u2014 origin !!!!\n",
        "origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n\u2014 origin AAA=\n",
        "origin\x00\n1\n\n\u2014 origin AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        parse_signed_note(note)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n1\n",
        "\n1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n01\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n1\n" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_a_celery_worker_finds_the_checkpoint_task() -> None:
    """In a fresh process (nothing imported yet), the worker's autodiscovery registers the beat's task."""
    code = (
        "import django; django.setup(); from config.celery import app; app.loader.import_default_modules(); "
        "print('audit.tasks.checkpoint_if_grown' in app.tasks)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().endswith("True"), result.stderr[-2000:]
