"""A witness of another institution's Peluit audit log: fetch its checkpoint, check it, cosign it.

Run by ``manage.py audit_witness URL`` on the witness's own machine (any Peluit installation; it touches no
database). The witness keeps, in a state file, the last checkpoint of the log it cosigned. Each run:

1. fetches ``URL/audit/checkpoint`` and checks the log's signature with the log key pinned in the state file
   (given once with ``--log-key``) and that the origin is that key's name;
2. refuses to go back: a smaller tree, the same size with another root, or an earlier checkpoint time is a fork;
3. for a larger tree, fetches ``URL/audit/proof?old=N&new=M`` and checks the RFC 9162 consistency proof between
   the checkpoint it saw last and the new one; a proof that does not verify is a fork (the log was rewritten);
4. cosigns the new checkpoint (C2SP tlog-cosignature, Ed25519, with the witness's own key), saves it as the new
   state, and sends the cosigned note back to ``URL/audit/cosignature`` so the log can serve it.

A fork leaves the state untouched and writes the conflicting checkpoint next to it as evidence.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import merkle, signing
from audit.note import (
    CheckpointBody,
    NoteError,
    format_time,
    parse_checkpoint,
    parse_signed_note,
    signature_line,
    signed_note,
)

MAX_CHECKPOINT_BYTES = 64 * 1024
MAX_PROOF_HASHES = 128  # a proof has at most about 2 log2(n) hashes
TIMEOUT_SECONDS = 30
STATE_VERSION = 1
CHECKPOINT_PATH = "/audit/checkpoint"
HASH_SIZE = 32


class WitnessError(Exception):
    """The run could not complete; ``exit_status`` tells the command what to exit with."""

    exit_status = 2


class ForkDetected(WitnessError):
    """The log's new checkpoint is not an extension of the one this witness cosigned: it was rewritten.

    ``note`` is the log's conflicting checkpoint, kept as evidence.
    """

    exit_status = 1

    def __init__(self, message: str, note: str = "") -> None:
        super().__init__(message)
        self.note = note


class UnusableAnswer(WitnessError):
    """The log answered something that cannot be checked: malformed, wrongly signed, another log."""

    exit_status = 2


class Unreachable(WitnessError):
    """The log (or the witness's own files) could not be read."""

    exit_status = 3


@dataclass(frozen=True)
class WitnessKey:
    """The witness's name (a schema-less URL, the key name of its cosignatures) and its signer."""

    name: str
    signer: signing.CheckpointSigner

    @property
    def verifier(self) -> signing.VerifierKey:
        """Return the witness's cosigner verifier key (type 0x04), for the log's ``PELUIT_AUDIT_WITNESSES``."""
        return signing.VerifierKey(
            name=self.name, public_key=self.signer.public_key(), key_type=signing.COSIGNATURE_ED25519
        )


def load_or_create_key(path: Path, *, name: str | None) -> WitnessKey:
    """Return the witness key stored at ``path``, creating it (mode 0600) with ``name`` on first use."""
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stored_name, secret = str(data["name"]), str(data["secret"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise Unreachable(f"cannot read the witness key file {path}: {error}") from None
        if name and name != stored_name:
            raise UnusableAnswer(f"the key file {path} belongs to witness {stored_name!r}, not {name!r}")
    else:
        if not name:
            raise UnusableAnswer("no witness key yet: give the witness's name with --name the first time")
        stored_name, secret = name, secrets.token_urlsafe(32)
        _write_private(path, json.dumps({"name": stored_name, "secret": secret}) + "\n")
    if not signing.valid_key_name(stored_name):
        raise UnusableAnswer("the witness name must be non-empty, without spaces or '+'")
    return WitnessKey(name=stored_name, signer=signing.signer_class().from_secret(secret, purpose="witness"))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True)
class WitnessState:
    """What the witness remembers of one log: its key, and the last checkpoint it cosigned."""

    log_url: str
    log_key: str
    witness_key: str
    tree_size: int
    root_hash: bytes
    signed_at: str  # the checkpoint's "time" line, "" when it had none
    cosigned_at: int
    checkpoint: str  # the cosigned note

    def to_json(self) -> dict[str, Any]:
        """Return the state as the JSON object written to the state file."""
        return {
            "version": STATE_VERSION,
            "log_url": self.log_url,
            "log_key": self.log_key,
            "witness_key": self.witness_key,
            "tree_size": self.tree_size,
            "root_hash": base64.b64encode(self.root_hash).decode(),
            "signed_at": self.signed_at,
            "cosigned_at": self.cosigned_at,
            "checkpoint": self.checkpoint,
        }


def load_state(path: Path) -> WitnessState | None:
    """Return the state saved at ``path``, or None when the witness has not cosigned this log yet."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {data.get('version')!r}")
        return WitnessState(
            log_url=str(data["log_url"]),
            log_key=str(data["log_key"]),
            witness_key=str(data["witness_key"]),
            tree_size=int(data["tree_size"]),
            root_hash=base64.b64decode(data["root_hash"], validate=True),
            signed_at=str(data["signed_at"]),
            cosigned_at=int(data["cosigned_at"]),
            checkpoint=str(data["checkpoint"]),
        )
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Unreachable(f"cannot read the witness state {path}: {error}") from None


def save_state(path: Path, state: WitnessState) -> None:
    """Write the state atomically (a crash leaves the old state or the new one, never half of each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            json.dump(state.to_json(), handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def log_base_url(url: str) -> str:
    """Return the log's base URL (``https://host[/prefix]``) from what the operator typed."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UnusableAnswer(f"the log URL must be http:// or https://, not {url!r}")
    path = parsed.path.rstrip("/")
    path = path.removesuffix(CHECKPOINT_PATH)
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def _http(url: str, *, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in log_base_url
        url, data=data, method="POST" if data is not None else "GET", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), response.read(MAX_CHECKPOINT_BYTES + 1)
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(MAX_CHECKPOINT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unreachable(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def fetch_checkpoint(base_url: str) -> str:
    """Return the log's latest checkpoint note (with any cosignatures) from ``base_url``."""
    url = base_url + CHECKPOINT_PATH
    status, body = _http(url)
    if status != 200:
        raise Unreachable(f"{url} answered HTTP {status}: {body[:200].decode('utf-8', 'replace').strip()}")
    if len(body) > MAX_CHECKPOINT_BYTES:
        raise UnusableAnswer(f"{url} answered more than {MAX_CHECKPOINT_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise UnusableAnswer(f"{url} did not answer UTF-8 text") from None


def fetch_proof(base_url: str, *, old_size: int, new_size: int) -> list[bytes]:
    """Return the consistency proof between two tree sizes, as the log serves it."""
    url = f"{base_url}/audit/proof?old={old_size}&new={new_size}"
    status, body = _http(url)
    if status != 200:
        raise Unreachable(f"{url} answered HTTP {status}: {body[:200].decode('utf-8', 'replace').strip()}")
    lines = body.decode("ascii", "replace").split()
    if len(lines) > MAX_PROOF_HASHES:
        raise UnusableAnswer(f"{url} answered a proof of {len(lines)} hashes")
    try:
        hashes = [base64.b64decode(line, validate=True) for line in lines]
    except (binascii.Error, ValueError):
        raise UnusableAnswer(f"{url} answered a proof that is not base64 hashes") from None
    if any(len(h) != HASH_SIZE for h in hashes):
        raise UnusableAnswer(f"{url} answered a proof whose hashes are not 32 bytes")
    return hashes


@dataclass(frozen=True)
class LogCheckpoint:
    """A checkpoint whose log signature verified: its note text, its content and the log's signature line."""

    text: str
    body: CheckpointBody
    log_signature: str


def verified_checkpoint(note: str, log_key: signing.VerifierKey) -> LogCheckpoint:
    """Return the checkpoint in ``note`` after checking the log's signature and origin; ``UnusableAnswer`` if not.

    Signature lines by other keys (other witnesses' cosignatures) are ignored.
    """
    try:
        parsed = parse_signed_note(note)
        body = parse_checkpoint(parsed.text)
    except NoteError as error:
        raise UnusableAnswer(f"the log's checkpoint is malformed: {error}") from None
    valid = [s for s in parsed.signatures if log_key.matches(s) and log_key.verify(parsed.text.encode(), s.signature)]
    if not valid:
        raise UnusableAnswer("the log's checkpoint is not validly signed by the pinned log key")
    if body.origin != log_key.name:
        raise UnusableAnswer(f"the checkpoint is for another log ({body.origin!r}, not {log_key.name!r})")
    line = signature_line(valid[0].name, valid[0].key_id, valid[0].signature)
    return LogCheckpoint(text=parsed.text, body=body, log_signature=line)


@dataclass(frozen=True)
class Result:
    """What a run did: the new state, the cosigned note, and a one-line summary."""

    state: WitnessState
    cosigned_note: str
    summary: str


def _time_line(body: CheckpointBody) -> str:
    return format_time(body.signed_at) if body.signed_at is not None else ""


def check_and_cosign(
    *, base_url: str, key: WitnessKey, state: WitnessState | None, log_key: signing.VerifierKey, now: int
) -> Result:
    """Fetch the log's checkpoint, check it against ``state`` and cosign it; raise ``ForkDetected`` on a fork.

    ``now`` is the witness's clock (POSIX seconds); the cosignature is never dated before the previous one.
    """
    note = fetch_checkpoint(base_url)
    checkpoint = verified_checkpoint(note, log_key)
    body = checkpoint.body
    if state is not None:
        try:
            _check_against(state, body, base_url)
        except ForkDetected as fork:
            raise ForkDetected(str(fork), note) from None
    cosigned_at = max(now, state.cosigned_at if state else 0)
    line = signing.cosign(checkpoint.text, signer=key.signer, name=key.name, timestamp=cosigned_at)
    cosigned = signed_note(checkpoint.text, [checkpoint.log_signature, line])
    new_state = WitnessState(
        log_url=base_url,
        log_key=log_key.encode(),
        witness_key=key.verifier.encode(),
        tree_size=body.tree_size,
        root_hash=body.root_hash,
        signed_at=_time_line(body),
        cosigned_at=cosigned_at,
        checkpoint=cosigned,
    )
    grown = body.tree_size - (state.tree_size if state else 0)
    summary = f"cosigned tree size {body.tree_size} of {body.origin}" + (
        f" ({grown} new events, consistency proven)" if state and grown else ""
    )
    return Result(state=new_state, cosigned_note=cosigned, summary=summary)


def _check_against(state: WitnessState, body: CheckpointBody, base_url: str) -> None:
    if body.tree_size < state.tree_size:
        raise ForkDetected(
            f"the log's tree shrank from {state.tree_size} to {body.tree_size} events: "
            "its tail was removed or rewritten"
        )
    if state.signed_at and body.signed_at is not None:
        previous = parse_checkpoint(parse_signed_note(state.checkpoint).text).signed_at
        if previous is not None and body.signed_at < previous:
            raise ForkDetected(
                f"the log's new checkpoint is dated {_time_line(body)[5:]}, before the one cosigned last "
                f"({state.signed_at[5:]}): time went backwards"
            )
    if body.tree_size == state.tree_size:
        if body.root_hash != state.root_hash:
            raise ForkDetected(f"the log shows another tree of the same size {body.tree_size}: it was rewritten")
        return
    proof = fetch_proof(base_url, old_size=state.tree_size, new_size=body.tree_size)
    if not merkle.verify_consistency(
        old_size=state.tree_size,
        new_size=body.tree_size,
        old_root=state.root_hash,
        new_root=body.root_hash,
        proof=proof,
    ):
        raise ForkDetected(
            f"the log's tree of {body.tree_size} events does not extend the tree of {state.tree_size} events "
            "cosigned last (the consistency proof fails): the log was rewritten"
        )


def submit(base_url: str, cosigned_note: str) -> str:
    """Send the cosigned checkpoint to the log; return its answer (one line)."""
    status, body = _http(base_url + "/audit/cosignature", data=cosigned_note.encode())
    answer = body[:300].decode("utf-8", "replace").strip()
    return f"HTTP {status}: {answer}"


def write_evidence(state_path: Path, state: WitnessState, fork: ForkDetected) -> Path:
    """Keep both checkpoints that prove a fork (both signed by the log) next to the state file; return its path."""
    path = state_path.with_name(f"{state_path.name}.fork-{int(time.time())}.txt")
    path.write_text(f"{fork}\n\nCosigned before:\n\n{state.checkpoint}\nServed now:\n\n{fork.note}", encoding="utf-8")
    return path
