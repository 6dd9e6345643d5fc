"""Race-free allocation of human-readable case numbers (WBS-2026-000123, GRT-2026-000045)."""

from __future__ import annotations

from django.db import transaction

from casework.cases.models import CASE_NUMBER_PREFIX, CaseKind, CaseNumberSequence


@transaction.atomic
def allocate_case_number(*, kind: CaseKind | str, year: int) -> str:
    """Return the next case number of ``kind`` for ``year``.

    The sequence row is created if missing (ignoring a concurrent creation) and then locked with
    ``SELECT ... FOR UPDATE`` until the caller's transaction ends, so concurrent submissions queue on it and
    never get the same number. On SQLite the project opens write transactions IMMEDIATE, which serialises
    writers the same way. A rolled-back submission gives its number back.
    """
    kind = CaseKind(kind)
    CaseNumberSequence.objects.bulk_create([CaseNumberSequence(kind=kind, year=year)], ignore_conflicts=True)
    sequence = CaseNumberSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{CASE_NUMBER_PREFIX[kind]}-{year:04d}-{sequence.last_value:06d}"
