"""Race-free allocation of human-readable case numbers (WBS-2026-000123, GRT-2026-000045)."""

from __future__ import annotations

from django.db import connection, transaction

from casework.cases.models import CASE_NUMBER_PREFIX, CaseKind, CaseNumberSequence

# The table name is the model's, never input.
_TABLE = CaseNumberSequence._meta.db_table
_NEXT = f"UPDATE {_TABLE} SET last_value = last_value + 1 WHERE kind = %s AND year = %s RETURNING last_value"  # noqa: S608


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
            return f"{CASE_NUMBER_PREFIX[kind]}-{year:04d}-{int(row[0]):06d}"
        CaseNumberSequence.objects.bulk_create([CaseNumberSequence(kind=kind, year=year)], ignore_conflicts=True)
    raise RuntimeError("the case number sequence row could not be created")  # pragma: no cover
