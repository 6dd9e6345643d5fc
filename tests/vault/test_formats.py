"""Round trips (hypothesis) and tampering of every stored format: flips, truncation, swaps, wrong context."""

from __future__ import annotations

import io
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault import crypto, formats
from vault.formats import FormatError, KdfParams

CHEAP = KdfParams(ops=1, mem=8192)
KEY = bytes(range(32))
REPORT = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_REPORT = uuid.UUID("00000000-0000-4000-8000-000000000002")
purposes = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30)


@settings(deadline=None)  # padded to at least 4 KiB; a busy shared machine must not fail it
@given(plaintext=st.binary(max_size=4096), purpose=purposes, report=st.uuids())
def test_content_round_trip(plaintext: bytes, purpose: str, report: uuid.UUID) -> None:
    blob = formats.content_seal(KEY, report, purpose, plaintext)
    assert formats.content_open(KEY, report, purpose, blob) == plaintext
    assert len(plaintext) < 8 or plaintext not in blob  # short strings may occur by chance


@settings(deadline=None)  # padded to at least 4 KiB; a busy shared machine must not fail it
@given(plaintext=st.binary(min_size=1, max_size=512), data=st.data())
def test_content_any_bit_flip_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(formats.content_seal(KEY, REPORT, "report", plaintext))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(FormatError):
        formats.content_open(KEY, REPORT, "report", bytes(blob))


@settings(deadline=None)  # padded to at least 4 KiB; a busy shared machine must not fail it
@given(plaintext=st.binary(max_size=256), cut=st.integers(1, 300))
def test_content_truncation_is_detected(plaintext: bytes, cut: int) -> None:
    blob = formats.content_seal(KEY, REPORT, "report", plaintext)
    with pytest.raises(FormatError):
        formats.content_open(KEY, REPORT, "report", blob[: max(0, len(blob) - cut)])


def test_content_moved_to_another_report_or_purpose_fails() -> None:
    blob = formats.content_seal(KEY, REPORT, "message:1", b"isi pesan")
    with pytest.raises(FormatError):
        formats.content_open(KEY, OTHER_REPORT, "message:1", blob)
    with pytest.raises(FormatError):
        formats.content_open(KEY, REPORT, "message:2", blob)
    with pytest.raises(FormatError):
        formats.content_open(bytes(32), REPORT, "message:1", blob)


def test_unknown_format_id_is_refused() -> None:
    blob = formats.content_seal(KEY, REPORT, "report", b"x")
    with pytest.raises(FormatError):
        formats.content_open(KEY, REPORT, "report", b"\x7f" + blob[1:])
    with pytest.raises(FormatError):
        formats.content_open(KEY, REPORT, "report", b"")


@settings(max_examples=25)
@given(password=st.text(min_size=1, max_size=40), secret=st.binary(min_size=1, max_size=64))
def test_password_wrap_round_trip_and_wrong_password(password: str, secret: bytes) -> None:
    pepper = bytes(32)
    blob = formats.password_wrap(password, secret, params=CHEAP, pepper=pepper, context=b"ctx")
    assert formats.password_unwrap(password, blob, pepper=pepper, context=b"ctx") == secret
    with pytest.raises(FormatError):
        formats.password_unwrap(password + "x", blob, pepper=pepper, context=b"ctx")


def test_password_wrap_needs_pepper_context_and_untouched_header() -> None:
    blob = formats.password_wrap("pw", b"secret", params=CHEAP, pepper=bytes(32), context=b"officer:1")
    with pytest.raises(FormatError):
        formats.password_unwrap("pw", blob, pepper=b"\1" * 32, context=b"officer:1")
    with pytest.raises(FormatError):
        formats.password_unwrap("pw", blob, pepper=bytes(32), context=b"officer:2")
    # Lowering the recorded cost (a downgrade) changes the derived key and the authenticated header.
    downgraded = bytearray(blob)
    downgraded[8] = 9  # memory 8 KiB -> 9 KiB
    with pytest.raises(FormatError):
        formats.password_unwrap("pw", bytes(downgraded), pepper=bytes(32), context=b"officer:1")


def test_sealed_key_only_opens_for_its_holder_and_context() -> None:
    public, private = crypto.box_keypair()
    _other_public, other_private = crypto.box_keypair()
    blob = formats.sealed_key(public, KEY, context=b"case:a")
    assert formats.sealed_key_open(private, blob, context=b"case:a") == KEY
    with pytest.raises(FormatError):
        formats.sealed_key_open(other_private, blob, context=b"case:a")
    with pytest.raises(FormatError):
        formats.sealed_key_open(private, blob, context=b"case:b")
    flipped = bytearray(blob)
    flipped[-1] ^= 0x80
    with pytest.raises(FormatError):
        formats.sealed_key_open(private, bytes(flipped), context=b"case:a")


def _stream(
    plaintext_chunks: list[bytes], chunk_bytes: int, name: str = "n", version: int = formats.STREAM_V2
) -> list[bytes]:
    return list(formats.stream_encrypt(KEY, REPORT, name, plaintext_chunks, chunk_bytes=chunk_bytes, version=version))


def _decrypt(blob: bytes, name: str = "n", report: uuid.UUID = REPORT) -> bytes:
    return b"".join(formats.stream_decrypt(KEY, report, name, io.BytesIO(blob).read))


@settings(deadline=None)  # a padded stream is at least 4 KiB: up to 4096 one-byte chunks
@given(pieces=st.lists(st.binary(max_size=300), max_size=12), chunk_bytes=st.integers(1, 200))
def test_stream_round_trip_any_input_chunking(pieces: list[bytes], chunk_bytes: int) -> None:
    blob = b"".join(_stream(pieces, chunk_bytes))
    assert _decrypt(blob) == b"".join(pieces)


def test_stream_layout_has_fixed_size_chunks() -> None:
    parts = _stream([b"a" * 100], 40, version=formats.STREAM_V1)
    assert len(parts[0]) == formats.STREAM_PREAMBLE_BYTES
    assert [len(p) for p in parts[1:]] == [40 + 17, 40 + 17, 20 + 17]


def test_stream_truncation_reordering_and_flips_are_detected() -> None:
    parts = _stream([bytes(range(256)) * 2], 100)  # preamble + 6 chunks (last one FINAL)
    preamble, chunks = parts[0], parts[1:]
    bad = {
        "dropped last chunk": preamble + b"".join(chunks[:-1]),
        "dropped middle chunk": preamble + b"".join(chunks[:2] + chunks[3:]),
        "swapped chunks": preamble + b"".join([chunks[1], chunks[0], *chunks[2:]]),
        "cut mid-chunk": (preamble + b"".join(chunks))[:-5],
        "trailing data": preamble + b"".join(chunks) + chunks[-1],
        "flipped bit": preamble + bytes([chunks[0][0] ^ 1]) + chunks[0][1:] + b"".join(chunks[1:]),
        "flipped header": preamble[:-1] + bytes([preamble[-1] ^ 1]) + b"".join(chunks),
        "header only": preamble,
    }
    for label, blob in bad.items():
        with pytest.raises(FormatError):
            _decrypt(blob)
            pytest.fail(label)


def test_stream_is_bound_to_report_and_name() -> None:
    blob = b"".join(_stream([b"lampiran"], 64, name="vault/aa/one"))
    assert _decrypt(blob, name="vault/aa/one") == b"lampiran"
    with pytest.raises(FormatError):
        _decrypt(blob, name="vault/aa/two")
    with pytest.raises(FormatError):
        _decrypt(blob, name="vault/aa/one", report=OTHER_REPORT)


def test_empty_stream_still_has_a_final_chunk() -> None:
    parts = _stream([], 64, version=formats.STREAM_V1)
    assert len(parts) == 2 and len(parts[1]) == 17
    assert _decrypt(b"".join(parts)) == b""


@given(pieces=st.lists(st.binary(max_size=50), max_size=10), size=st.integers(1, 20))
def test_rechunk_preserves_bytes_and_sizes(pieces: list[bytes], size: int) -> None:
    out = list(crypto.rechunk(pieces, size))
    assert b"".join(out) == b"".join(pieces)
    assert out and all(len(p) == size for p in out[:-1]) and len(out[-1]) <= size


@pytest.mark.parametrize(
    "params", [KdfParams(ops=1, mem=8192 + 1), KdfParams(ops=0, mem=8192), KdfParams(ops=1, mem=1024)]
)
def test_password_wrap_refuses_bad_costs(params: KdfParams) -> None:
    with pytest.raises(ValueError):
        formats.password_wrap("pw", b"s", params=params, pepper=b"", context=b"c")


# --- Padding (formats 0x06 and 0x07) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("length", "padded"),
    [
        (0, 4096),
        (1, 4096),
        (4096, 4096),
        (4097, 8192),
        (40_000, 65_536),
        (65_536, 65_536),
        (65_537, 67_584),  # Padmé: E = 16, S = 5, multiples of 2^11
        (1_000_000, 1_015_808),
        (100 * 1024 * 1024, 100 * 1024 * 1024),
        (100 * 1024 * 1024 + 1, 100 * 1024 * 1024 + 2**21),
    ],
)
def test_padded_lengths(length: int, padded: int) -> None:
    assert formats.padded_length(length) == padded


@given(length=st.integers(65_537, 2**40))
def test_padme_costs_at_most_12_percent_and_never_shrinks(length: int) -> None:
    padded = formats.padme(length)
    assert length <= padded <= length * 1.12
    assert formats.padme(padded) == padded  # a padded length is its own bucket


def test_two_texts_a_few_hundred_bytes_apart_seal_to_the_same_length() -> None:
    short = formats.content_seal(KEY, REPORT, "report", b'{"what": "' + b"a" * 300 + b'"}')
    longer = formats.content_seal(KEY, REPORT, "report", b'{"what": "' + b"a" * 900 + b'"}')
    assert len(short) == len(longer) == 1 + 24 + 4096 + 16


@given(
    plaintext=st.binary(max_size=9000)
    | st.builds(lambda n, tail: bytes(n) + tail, st.integers(0, 5000), st.binary(max_size=3))
)
def test_padding_round_trips_any_bytes(plaintext: bytes) -> None:
    assert formats.unpad(formats.pad(plaintext)) == plaintext


@pytest.mark.parametrize(
    "padded", [b"", bytes(4096), b"a" * 4096, b"a\x80" + bytes(4093), b"a\x80" + bytes(4094) + b"\x00"]
)
def test_non_canonical_padding_is_refused(padded: bytes) -> None:
    with pytest.raises(FormatError):
        formats.unpad(padded)


def test_old_unpadded_content_still_opens_and_cannot_pass_for_the_new_format() -> None:
    old = formats.content_seal(KEY, REPORT, "report", b"laporan lama", version=formats.CONTENT_V1)
    assert old[0] == formats.CONTENT_V1 and len(old) == 1 + 24 + 12 + 16
    assert formats.content_open(KEY, REPORT, "report", old) == b"laporan lama"
    with pytest.raises(FormatError):  # relabelled: the format id is authenticated
        formats.content_open(KEY, REPORT, "report", bytes([formats.CONTENT_V2]) + old[1:])


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000)
    | st.builds(lambda n, tail: tail + bytes(n), st.integers(0, 3000), st.binary(max_size=5)),
    pieces=st.integers(1, 7),
    chunk_bytes=st.integers(16, 700),
)
def test_padded_stream_round_trips_and_hides_the_length(data: bytes, pieces: int, chunk_bytes: int) -> None:
    step = max(1, len(data) // pieces)
    blob = b"".join(_stream([data[i : i + step] for i in range(0, len(data), step)], chunk_bytes))
    assert _decrypt(blob) == data
    chunks = -(-4096 // chunk_bytes)
    assert len(blob) == formats.STREAM_PREAMBLE_BYTES + 4096 + chunks * 17  # every file up to 4095 bytes alike


def test_stream_sizes_depend_only_on_the_bucket() -> None:
    lengths = {len(b"".join(_stream([b"x" * n], 64 * 1024))) for n in (70_000, 70_500, 71_000, 71_679)}
    assert len(lengths) == 1


def test_old_unpadded_stream_still_opens() -> None:
    blob = b"".join(_stream([b"lampiran lama"], 64, version=formats.STREAM_V1))
    assert blob[0] == formats.STREAM_V1 and _decrypt(blob) == b"lampiran lama"


def test_a_padded_stream_cut_at_a_chunk_boundary_or_with_altered_padding_fails() -> None:
    parts = _stream([b"bukti"], 1024)  # 4096 padded bytes: four chunks
    assert len(parts) == 5
    with pytest.raises(FormatError):
        _decrypt(b"".join(parts[:-1]))
    # A stream whose plaintext padding is not canonical (re-encrypted by someone holding the key) is refused.
    forged = b"".join(
        formats.stream_encrypt(
            KEY, REPORT, "n", [b"bukti", b"\x80", bytes(5000)], chunk_bytes=1024, version=formats.STREAM_V1
        )
    )
    forged = bytes([formats.STREAM_V2]) + forged[1:]
    with pytest.raises(FormatError):
        _decrypt(forged)
