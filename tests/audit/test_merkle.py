"""audit.merkle against the RFC 6962 known-answer vectors used by transparency-dev/merkle (Go) and Trillian.

Vectors: github.com/transparency-dev/merkle testonly/constants.go, testonly/reference_test.go and
proof/verify_test.go (leaf inputs, roots for sizes 0..8, node hashes, inclusion and consistency proofs; the
corruption probes below mirror verify_test.go's).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAF_INPUTS = [
    h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
LEAVES = [merkle.leaf_hash(x) for x in LEAF_INPUTS]
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
LEAF_LEVEL = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

# (leaf index, tree size, proof): the index is 0-based here (verify_test.go lists it 1-based).
INCLUSION = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def sha256_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_hashing_prefixes() -> None:
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.EMPTY_ROOT == ROOTS[0]
    assert [leaf.hex() for leaf in LEAVES] == LEAF_LEVEL


@pytest.mark.parametrize("size", range(9))
def test_roots_for_every_size(size: int) -> None:
    assert merkle.root(LEAVES[:size]) == ROOTS[size]
    builder = merkle.RootBuilder()
    for leaf in LEAVES[:size]:
        builder.append(leaf)
    assert builder.root() == ROOTS[size]
    assert builder.size == size


def test_streamed_root_equals_the_recursive_root_at_every_size_up_to_130() -> None:
    """The streaming builder (a binary counter of perfect subtrees) agrees with RFC 9162's recursive MTH."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(130)]
    builder = merkle.RootBuilder()
    for size in range(1, 131):
        builder.append(leaves[size - 1])
        assert builder.root() == merkle.root(leaves[:size]), size


def test_leaf_hashes_of_many_leaves_equal_each_leaf_hash() -> None:
    data = [b"", b"\x00", b"x" * 55, b"y" * 56, b"z" * 300, "é".encode()]
    assert merkle.leaf_hashes(data) == [merkle.leaf_hash(d) for d in data] == [sha256_of(b"\x00" + d) for d in data]
    assert merkle.leaf_hashes([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=70), max_size=8), st.integers(min_value=0, max_value=3))
def test_extending_in_chunks_gives_the_same_roots_as_appending_one_by_one(chunks: list[int], singles: int) -> None:
    """``extend`` hashes whole perfect subtrees at once; any chunking, from any (unaligned) size, must agree."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(singles + sum(chunks))]
    builder = merkle.RootBuilder()
    for leaf in leaves[:singles]:
        builder.append(leaf)
    for chunk in chunks:
        builder.extend(leaves[builder.size : builder.size + chunk])
        assert builder.root() == merkle.root(leaves[: builder.size]), builder.size
    assert builder.size == len(leaves)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, proof: list[str]) -> None:
    expected = [h(x) for x in proof]
    assert merkle.inclusion_proof(index, LEAVES[:size]) == expected
    assert merkle.verify_inclusion(index=index, size=size, leaf=LEAVES[index], proof=expected, root_hash=ROOTS[size])


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[tuple]:
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, ROOTS[0], leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[str]) -> None:
    good = [h(x) for x in proof]
    for i, s, r, leaf, p in _inclusion_probes(index, size, good, ROOTS[size], LEAVES[index]):
        if (i, s, r, leaf, p) == (index, size, ROOTS[size], LEAVES[index], good):
            continue  # e.g. index ^ 2 == index is impossible, but keep the guard explicit
        assert not merkle.verify_inclusion(index=i, size=s, leaf=leaf, proof=p, root_hash=r), (i, s)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, proof: list[str]) -> None:
    expected = [h(x) for x in proof]
    assert merkle.consistency_proof(old, LEAVES[:new]) == expected
    assert merkle.verify_consistency(
        old_size=old, new_size=new, old_root=ROOTS[old], new_root=ROOTS[new], proof=expected
    )


@pytest.mark.parametrize(("old", "new", "proof"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_fail(old: int, new: int, proof: list[str]) -> None:
    good = [h(x) for x in proof]
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, good),
        (old + 1, new, r1, r2, good),
        (old ^ 2, new, r1, r2, good),
        (old, new * 2, r1, r2, good),
        (old, new // 2, r1, r2, good),
        (old, new, b"WrongRoot", r2, good),
        (old, new, r1, b"WrongRoot", good),
        (old, new, r2, r1, good),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*good, b""]),
        (old, new, r1, r2, [*good, r1]),
        (old, new, r1, r2, [*good, r2]),
        (old, new, r1, r2, [b"", *good]),
        (old, new, r1, r2, [r1, *good]),
        (old, new, r1, r2, [r2, *good]),
        (old, new, r1, r2, [good[0], *good]),
        (old, new, r1, r2, good[:-1]),
    ]
    for i in range(len(good)):
        wrong = list(good)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((old, new, r1, r2, wrong))
    for s1, s2, a, b, p in probes:
        assert not merkle.verify_consistency(old_size=s1, new_size=s2, old_root=a, new_root=b, proof=p), (s1, s2)


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "ok"),
    [
        (0, 0, b"r1", b"r2", [], False),
        (1, 1, b"r1", b"r2", [], False),
        (0, 0, b"r1", b"r1", [], True),
        (0, 1, b"r1", b"r2", [], True),
        (1, 1, b"r2", b"r2", [], True),
        (1, 0, b"r1", b"r2", [], False),
        (2, 1, b"r1", b"r2", [], False),
        (1, 2, b"r1", b"r2", [], False),
        (0, 0, ROOTS[0], ROOTS[0], [ROOTS[0]], False),
        (0, 1, ROOTS[0], ROOTS[0], [ROOTS[0]], False),
        (1, 1, ROOTS[0], ROOTS[0], [ROOTS[0]], False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], ok: bool
) -> None:
    assert (
        merkle.verify_consistency(old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof) is ok
    )


def test_impossible_proof_requests_raise() -> None:
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(3, LEAVES[:3])
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(4, LEAVES[:3])
    assert not merkle.verify_inclusion(index=0, size=0, leaf=LEAVES[0], proof=[], root_hash=ROOTS[0])


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH written exactly as the RFC defines it, to cross-check the fast versions."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_generated_proofs_verify_for_any_size(size: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    root = _reference_root(leaves)
    assert merkle.root(leaves) == root
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, leaves)
    assert merkle.verify_inclusion(index=index, size=size, leaf=leaves[index], proof=proof, root_hash=root)
    old = data.draw(st.integers(min_value=0, max_value=size))
    cproof = merkle.consistency_proof(old, leaves)
    assert merkle.verify_consistency(
        old_size=old, new_size=size, old_root=_reference_root(leaves[:old]), new_root=root, proof=cproof
    )
    if 0 < old < size:
        assert not merkle.verify_consistency(
            old_size=old, new_size=size, old_root=SOME_HASH, new_root=root, proof=cproof
        )
