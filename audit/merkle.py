"""Merkle tree hashing, inclusion and consistency proofs of RFC 6962 / RFC 9162. Pure Python, no Django.

Leaves are hashed as ``SHA-256(0x00 || data)`` and interior nodes as ``SHA-256(0x01 || left || right)``; the
tree over ``n`` leaves splits at the largest power of two smaller than ``n`` (RFC 6962 section 2.1). Proof
generation works on a sequence of leaf *hashes*; verification needs only hashes and sizes, so a third party can
check a proof with any RFC 9162 implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_sha256 = hashlib.sha256

EMPTY_ROOT = _sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string."""

# Hash objects already fed the one-byte prefix: copying one is cheaper than starting a new hash (OpenSSL 3 looks
# the algorithm up again each time), which is most of the cost of hashing a short message in Python.
_LEAF_PREFIX = _sha256(b"\x00")
_NODE_PREFIX = _sha256(b"\x01")


class ProofError(ValueError):
    """A proof was asked for with impossible arguments (index or size out of range)."""


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """Return the leaf hash of each of ``leaves``, in order (the same as ``leaf_hash`` on each, faster)."""
    hashes: list[bytes] = []
    append = hashes.append
    copy = _LEAF_PREFIX.copy
    for data in leaves:
        h = copy()
        h.update(data)
        append(h.digest())
    return hashes


def _parent_level(level: Sequence[bytes]) -> list[bytes]:
    """Return the node hashes over consecutive pairs of ``level`` (an even number of hashes)."""
    parents: list[bytes] = []
    append = parents.append
    copy = _NODE_PREFIX.copy
    for left, right in zip(level[::2], level[1::2], strict=True):
        h = copy()
        h.update(left)
        h.update(right)
        append(h.digest())
    return parents


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """Return the root of the tree over ``leaves[lo:hi]`` (bottom-up: an odd last node moves up unchanged)."""
    if hi <= lo:
        return EMPTY_ROOT
    level = list(leaves[lo:hi])
    while len(level) > 1:
        paired = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash (MTH) over a sequence of leaf hashes."""
    return _subtree_root(leaves, 0, len(leaves))


class RootBuilder:
    """Streaming tree root: append leaf hashes and read the root at any size.

    Keeps the roots of the perfect subtrees that make up the tree (at most log2(n) of them), so appending is
    amortised one hash and reading the root costs at most log2(n) hashes. ``extend`` takes many leaf hashes at
    once and hashes them level by level (the verifier feeds it a million leaves in batches).
    """

    __slots__ = ("_hashes", "size")

    def __init__(self) -> None:
        self._hashes: list[bytes] = []  # one root per set bit of ``size``, the largest subtree first
        self.size = 0

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        self._push(leaf, 0)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes; the same tree as appending them one by one, with far less Python per leaf."""
        done, count = 0, len(leaves)
        while done < count:
            # The largest perfect subtree that may start at the current size (its size's lowest set bit) and
            # that the remaining leaves fill.
            height = (count - done).bit_length() - 1
            if self.size:
                height = min(height, (self.size & -self.size).bit_length() - 1)
            level = leaves[done : done + (1 << height)]
            while len(level) > 1:
                level = _parent_level(level)
            self._push(level[0], height)
            done += 1 << height

    def _push(self, subtree: bytes, height: int) -> None:
        """Add the root of a perfect subtree of ``2**height`` leaves; the size must be a multiple of its width."""
        # The perfect subtrees are the set bits of the size: the new subtree merges with one subtree per one bit
        # from ``height`` up (as a binary counter carries), so no list of subtree sizes is needed.
        hashes = self._hashes
        h = subtree
        carry = self.size >> height
        while carry & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            carry >>= 1
        hashes.append(h)
        self.size += 1 << height

    def root(self) -> bytes:
        """Return the root of the tree over the leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return the audit path PATH(index, D[n]) for the leaf at ``index`` in the tree over ``leaves``.

    Raises ``ProofError`` when ``index`` is not a leaf of the tree.
    """
    n = len(leaves)
    if not 0 <= index < n:
        raise ProofError(f"leaf index {index} is outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            path.append(_subtree_root(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(leaves, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_subtrees(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges ``[lo, hi)`` whose subtree roots, in this order, make up PROOF(old_size, D[new_size]).

    Knowing the ranges first lets a caller compute each root by streaming its leaves (``RootBuilder``) instead
    of holding the whole tree. Empty when ``old_size`` is 0 or equals ``new_size``; raises ``ProofError`` when
    ``old_size`` is larger than ``new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while True:
        size = hi - lo
        if m == size:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _split(size)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges


class TreeCache:
    """Every perfect subtree's hash over a fixed list of leaves, for many inclusion proofs in one go.

    ``inclusion_proof`` above rehashes the tree for each proof (O(n)); after building this cache once (about
    n hashes) each proof costs O(log² n) look-ups. Used for the audit-trail export (a proof per event).
    """

    __slots__ = ("_levels",)

    def __init__(self, leaves: Sequence[bytes]) -> None:
        levels: list[list[bytes]] = [list(leaves)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([_sha256(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)])
        self._levels = levels

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def subtree_root(self, lo: int, hi: int) -> bytes:
        """Return the root of the tree over leaves ``lo`` to ``hi - 1`` (RFC 6962 split)."""
        if hi <= lo:
            return EMPTY_ROOT
        size = hi - lo
        if size & (size - 1) == 0 and lo % size == 0:
            return self._levels[size.bit_length() - 1][lo // size]
        k = _split(size)
        return node_hash(self.subtree_root(lo, lo + k), self.subtree_root(lo + k, hi))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return PATH(index, D[size]) over the first ``size`` leaves; raise ``ProofError`` when out of range."""
        if not 0 < size <= self.size or not 0 <= index < size:
            raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index - lo < k:
                path.append(self.subtree_root(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree_root(lo, lo + k))
                lo = lo + k
        path.reverse()
        return path


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(old_size, D[n]): the consistency proof from the tree of ``old_size`` to the tree over ``leaves``.

    Empty when ``old_size`` is 0 or equals the new size. Raises ``ProofError`` when ``old_size`` is larger.
    """
    return [_subtree_root(leaves, lo, hi) for lo, hi in consistency_subtrees(old_size, len(leaves))]


def verify_inclusion(*, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """Return True when ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree of ``size`` with ``root_hash``.

    The algorithm of RFC 9162 section 2.1.3.2.
    """
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return True when ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    The algorithm of RFC 9162 section 2.1.4.2, with the trivial cases (equal sizes, empty old tree) requiring
    an empty proof, as the Go implementations do.
    """
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
