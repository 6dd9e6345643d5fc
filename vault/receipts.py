"""Receipts (kode laporan): 16 random digits shown once, grouped 4-4-4-4."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from vault import conf, crypto, formats
from vault.exceptions import UnknownReceipt
from vault.formats import KdfParams

RECEIPT_DIGITS = 16
_SEPARATORS = re.compile(r"[\s\-\u00a0\u2010-\u2015]+")
_SHAPE = re.compile(r"[0-9]{16}")


def new_receipt() -> str:
    """Return 16 random digits from the ``secrets`` module (about 53 bits)."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def format_receipt(receipt: str) -> str:
    """Return the receipt grouped for reading aloud and copying: ``1234 5678 9012 3456``."""
    digits = normalise_receipt(receipt)
    return " ".join(digits[i : i + 4] for i in range(0, RECEIPT_DIGITS, 4))


def normalise_receipt(text: str) -> str:
    """Return the 16 digits of ``text`` without spaces or dashes; raise ``UnknownReceipt`` on any other shape."""
    digits = _SEPARATORS.sub("", text or "")
    if not _SHAPE.fullmatch(digits):
        raise UnknownReceipt()
    return digits


def lookup_params() -> list[KdfParams]:
    """Return the Argon2id costs a receipt may have been derived with, the current ones first."""
    current = conf.kdf_params("receipt")
    history = [p for p in getattr(conf, "RECEIPT_KDF_HISTORY", []) if p != current]
    return [current, *history]


def derive(receipt: str, params: KdfParams) -> formats.ReceiptKeys:
    """Return the lookup id and reporter key of a normalised receipt."""
    return formats.receipt_keys(receipt, params=params, pepper=formats.pepper_key(conf.pepper()))


@dataclass(frozen=True, repr=False)
class PreparedReceipt:
    """A new receipt and its derived keys, made before the submission's database transaction begins."""

    receipt: str
    params: KdfParams
    keys: formats.ReceiptKeys

    def __repr__(self) -> str:
        return "<PreparedReceipt>"


def prepare_receipt() -> PreparedReceipt:
    """Return a new random receipt with its Argon2id derivation done (the slow part of sealing a report).

    Call it outside any database transaction and pass the result to ``seal_report``.
    """
    params = lookup_params()[0]
    receipt = new_receipt()
    return PreparedReceipt(receipt=receipt, params=params, keys=derive(receipt, params))


def receipt_context(lookup_id: bytes, report_id_bytes: bytes) -> bytes:
    """Return the binding context of the reporter's wrapped data key."""
    return b"receipt:" + lookup_id + report_id_bytes


DUMMY_KEY = crypto.random_key()
