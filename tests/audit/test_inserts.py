"""``audit.inserts.insert_rows``: the rows it writes are the rows Django's own save writes, on either database.

Every row is written twice, once by ``insert_rows`` and once by Django (``save``/``bulk_create``), and the two are
read back and compared column by column. Runs on SQLite and, in CI, on PostgreSQL (where several rows go in as
UNNEST of one array per column).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import inserts
from audit.inserts import insert_rows
from casework.cases.models import Case, CaseKind, CaseStatus
from intake.models import SubmissionToken
from vault.models import CaseKey

pytestmark = pytest.mark.django_db


def _columns(row: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the row as the database holds it (read back), without ``skip``."""
    fresh = type(row).objects.get(pk=row.pk)
    values = {}
    for field in type(row)._meta.local_concrete_fields:
        if field.attname in skip:
            continue
        value = getattr(fresh, field.attname)
        values[field.attname] = bytes(value) if isinstance(value, memoryview) else value
    return values


def _case(number: str, **fields: Any) -> Case:
    return Case(
        id=uuid.uuid4(),
        number=number,
        kind=CaseKind.WBS,
        status=CaseStatus.DITERIMA,
        received_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        content=b"\x01sealed\x00bytes",
        **fields,
    )


def test_a_case_is_written_as_save_writes_it() -> None:
    ours = _case("WBS-2026-900001", due_on=dt.date(2026, 3, 20), identity_given=True, forward_reference="x" * 100)
    theirs = _case("WBS-2026-900002", due_on=dt.date(2026, 3, 20), identity_given=True, forward_reference="x" * 100)
    insert_rows([ours])
    theirs.save(force_insert=True)
    assert not ours._state.adding
    assert _columns(ours, skip=("id", "number")) == _columns(theirs, skip=("id", "number"))
    assert Case.objects.get(pk=ours.pk).content == b"\x01sealed\x00bytes"


@pytest.mark.parametrize("count", [1, 2, 5, 70])
def test_rows_with_automatic_keys_are_written_as_bulk_create_writes_them(count: int) -> None:
    """Several rows in one statement (three statements for 70), keys left to the database, in order."""
    now = timezone.now()
    ours = [SubmissionToken(digest=f"{i:064x}", used_at=now - dt.timedelta(seconds=i)) for i in range(count)]
    theirs = [SubmissionToken(digest=f"{i + 1000:064x}", used_at=now - dt.timedelta(seconds=i)) for i in range(count)]
    insert_rows(ours)
    SubmissionToken.objects.bulk_create(theirs)
    assert all(row.pk is None for row in ours), "keys are not read back"
    stored = list(SubmissionToken.objects.order_by("pk").values_list("digest", "used_at"))
    assert stored[:count] == [(row.digest, row.used_at) for row in ours]
    assert [used for _digest, used in stored[count:]] == [used for _digest, used in stored[:count]]


def test_field_defaults_and_auto_now_are_filled_as_a_save_fills_them() -> None:
    before = timezone.now()
    key = CaseKey(report_id=uuid.uuid4(), scope=CaseKey.Scope.DATA, sealed_key=b"k" * 40)
    insert_rows([key])
    stored = CaseKey.objects.get(report_id=key.report_id)
    assert stored.created_at >= before - dt.timedelta(seconds=1)
    assert stored.created_at == key.created_at


def test_a_duplicate_raises_integrity_error_and_writes_nothing() -> None:
    now = timezone.now()
    insert_rows([SubmissionToken(digest="a" * 64, used_at=now)])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([SubmissionToken(digest="a" * 64, used_at=now)])
    assert SubmissionToken.objects.filter(digest="a" * 64).count() == 1


def test_the_statement_is_compiled_once_per_shape() -> None:
    now = timezone.now()
    insert_rows([SubmissionToken(digest="b" * 64, used_at=now)])
    kept = dict(inserts._STATEMENTS)
    with CaptureQueriesContext(connection) as queries:
        insert_rows([SubmissionToken(digest="c" * 64, used_at=now)])
    assert inserts._STATEMENTS == kept, "no new statement for a shape seen before"
    assert len(queries.captured_queries) == 1
    assert SubmissionToken.objects.filter(digest__in=["b" * 64, "c" * 64]).count() == 2


def test_what_it_cannot_write_as_save_would_is_refused() -> None:
    with pytest.raises(TypeError, match="expression"):
        insert_rows([CaseKey(report_id=uuid.uuid4(), scope=CaseKey.Scope.DATA, sealed_key=F("sealed_key"))])
    with pytest.raises(TypeError, match="same model"):
        insert_rows([SubmissionToken(digest="d" * 64, used_at=timezone.now()), _case("WBS-2026-900004")])
    with pytest.raises(TypeError, match="automatic key"):
        insert_rows(
            [
                SubmissionToken(id=10_000, digest="e" * 64, used_at=timezone.now()),
                SubmissionToken(digest="f" * 64, used_at=timezone.now()),
            ]
        )
    assert not SubmissionToken.objects.filter(digest__in=["d" * 64, "e" * 64, "f" * 64]).exists()
