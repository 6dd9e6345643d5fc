"""Race-free allocation of human-readable case numbers (WBS-2026-483920, GRT-2026-071145) that do not count.

A locked sequence row per kind and year counts the numbers handed out; the number itself is that count through
the vault's keyed permutation (``vault/case_numbers.py``), so a reporter who files reports of their own learns
nothing from their numbers about the reports between them. Six digits hold 999,999 numbers a year; past them the
number grows to seven digits, permuted among those.
"""

from __future__ import annotations

import re

from django.db import connection, transaction

from casework.cases.models import CASE_NUMBER_PREFIX, Case, CaseKind, CaseNumberSequence
from vault import services as vault

# The table name is the model's, never input.
_TABLE = CaseNumberSequence._meta.db_table
_NEXT = (
    f"UPDATE {_TABLE} SET last_value = last_value + 1 WHERE kind = %s AND year = %s"  # noqa: S608
    " RETURNING last_value, sequential_upto"
)
# What a case number looks like wherever one is typed or put in a URL (prefix, year, digits; ASCII only).
NUMBER_SHAPE = re.compile(r"[A-Z]{2,5}-[0-9]{4}-[0-9]{1,9}")
# The numbers of each width: six digits first, then seven.
_WIDTHS = ((1, 999_999), (1_000_000, 9_999_999))


# No savepoint inside the caller's transaction: nothing here can fail half-way that the caller could go on from.
@transaction.atomic(savepoint=False)
def allocate_case_number(*, kind: CaseKind | str, year: int) -> str:
    """Return the next case number of ``kind`` for ``year``.

    One statement (``UPDATE ... RETURNING``) counts up and locks the sequence row until the caller's
    transaction ends, so concurrent submissions queue on it and never get the same number; take it as late
    in the transaction as possible. The row is created on first use (ignoring a concurrent creation). On
    SQLite the project opens write transactions IMMEDIATE, which serialises writers the same way. A
    rolled-back submission gives its number back.
    """
    kind = CaseKind(kind)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_NEXT, [kind.value, year])
            row = cursor.fetchone()
        if row is not None:
            return _free_number(kind, year, int(row[0]), sequential_upto=int(row[1]))
        CaseNumberSequence.objects.bulk_create([CaseNumberSequence(kind=kind, year=year)], ignore_conflicts=True)
    raise RuntimeError("the case number sequence row could not be created")  # pragma: no cover


def _free_number(kind: CaseKind, year: int, value: int, *, sequential_upto: int) -> str:
    """Return the number of ``value``, or of the next value whose number no case has yet (counting up to it).

    A number inside the permuted range can be taken already: an app server still running the code from before
    the permutation hands out the plain count, with the same locked row (an outside probe did this during an
    upgrade). Without this check the insert would fail on the unique number, give the value back, and every
    later report of the kind would fail the same way. The row is locked here, so nobody allocates meanwhile.
    A plain count is at most the sequence's value, so only a number not above ``value`` is looked up: nearly
    always none is, and a submission keeps its statements.
    """
    while True:
        digits = _permuted(kind, year, value, sequential_upto=sequential_upto)
        number = _formatted(kind, year, digits)
        if digits > value or not Case.objects.filter(number=number).exists():
            return number
        with connection.cursor() as cursor:
            cursor.execute(_NEXT, [kind.value, year])
            value = int(cursor.fetchone()[0])


def case_number(kind: CaseKind | str, year: int, value: int, *, sequential_upto: int = 0) -> str:
    """Return the number the ``value``-th case of ``kind`` in ``year`` gets.

    ``value`` goes through the vault's permutation of its width's range, above the numbers the sequence handed
    out as itself (``sequential_upto``, before numbers were permuted), so it never repeats one of those.
    """
    kind = CaseKind(kind)
    return _formatted(kind, year, _permuted(kind, year, value, sequential_upto=sequential_upto))


def _permuted(kind: CaseKind, year: int, value: int, *, sequential_upto: int) -> int:
    """Return the digits of the ``value``-th number (``case_number`` formats them)."""
    if value <= sequential_upto:
        raise ValueError("a sequence value among the numbers it handed out as itself")
    for first, last in _WIDTHS:
        first = max(first, sequential_upto + 1)
        if first <= value <= last:
            return vault.permuted_case_number(value, first=first, last=last, tweak=f"{kind.value}-{year}")
    return value  # beyond ten million numbers in a year: the count itself


def _formatted(kind: CaseKind, year: int, digits: int) -> str:
    return f"{CASE_NUMBER_PREFIX[kind]}-{year:04d}-{digits:06d}"
