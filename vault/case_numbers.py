"""Case numbers that do not count: a keyed permutation of each kind's yearly sequence.

A reporter gets their case's number back (``WBS-2026-000123``). Were it the sequence itself, someone filing
reports of their own a few minutes apart would learn how many reports came in between, and so date a report far
finer than the hour its stored times keep (an outside probe did this). The number shown is therefore the
sequence's value passed through a permutation keyed by the server pepper (which never enters the database) and
tweaked by kind and year: still unique, still six digits, allocated without races by the same locked sequence
row, but two numbers say nothing about how many came between them or which came first.

The permutation is a balanced Feistel network over the smallest even number of bits covering the range, with
keyed BLAKE2b as its round function, walked in cycles until the value falls inside the range (at most four
steps on average). The range starts after the numbers a sequence handed out before this scheme
(``first``): they were sequential, and a permutation of the rest never reaches them.
"""

from __future__ import annotations

from vault import conf, crypto, formats

ROUNDS = 8
_LABEL = b"peluit-caseno1"


def _round_key() -> bytes:
    """Return the key of the round function, derived from the server pepper."""
    return crypto.derive_key(formats.pepper_key(conf.pepper()), label=_LABEL)


def _feistel(value: int, *, half_bits: int, key: bytes, tweak: bytes) -> int:
    """Return ``value`` (``2 * half_bits`` bits) through the keyed Feistel network: a permutation of its bits."""
    mask = (1 << half_bits) - 1
    left, right = value >> half_bits, value & mask
    for number in range(ROUNDS):
        material = tweak + bytes([number]) + right.to_bytes(4, "big")
        digest = crypto.derive_key(material, label=_LABEL, key=key, size=8)
        left, right = right, left ^ (int.from_bytes(digest, "big") & mask)
    return (left << half_bits) | right


def permuted(value: int, *, first: int, last: int, tweak: str) -> int:
    """Return ``value``'s image under the keyed permutation of the range ``first..last`` (both included).

    ``tweak`` names the sequence (kind and year): each gets its own permutation. A bijection: distinct values of
    the range give distinct results in it. Raises ``ValueError`` for a value outside the range.
    """
    if not first <= value <= last:
        raise ValueError(f"{value} is outside {first}..{last}")
    size = last - first + 1
    bits = max(2, (size - 1).bit_length())
    bits += bits % 2
    key = _round_key()
    position = value - first
    while True:  # cycle walking: a permutation of 0..2**bits-1 restricted to 0..size-1 stays one
        position = _feistel(position, half_bits=bits // 2, key=key, tweak=tweak.encode("utf-8"))
        if position < size:
            return first + position
