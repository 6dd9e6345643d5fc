"""The recap's numbers equal counts made independently here, in the site's time zone, with small cells hidden."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from casework.models import Case, CaseKind, CaseMessage, CaseStatus, GiftType, Organisation, ViolationType
from reports.periods import make_period
from reports.recap import RecapFilters, build_recap, recap_rows
from tests.reports.conftest import make_case

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
K = 5


def _dataset(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    organisations = list(Organisation.objects.order_by("pk")[:4])
    cases = []
    for _ in range(160):
        kind = rng.choice([CaseKind.WBS, CaseKind.WBS, CaseKind.GRATIFICATION])
        received = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        if kind == CaseKind.WBS:
            case = make_case(
                kind=kind,
                received_at=received,
                status=rng.choice([CaseStatus.DITERIMA, CaseStatus.TELAAH, CaseStatus.SELESAI]),
                organisation=rng.choice([*organisations, None]),
                violation_type=rng.choice([ViolationType.PUNGLI, ViolationType.SUAP, ViolationType.KORUPSI]),
            )
        else:
            case = make_case(
                kind=kind,
                received_at=received,
                status=rng.choice([CaseStatus.DITERIMA_UPG, CaseStatus.DITERUSKAN_KPK]),
                organisation=rng.choice(organisations),
                gift_type=rng.choice([GiftType.UANG, GiftType.PARSEL, GiftType.TIKET]),
                is_refusal=rng.random() < 0.2,
            )
        cases.append(case)
    # Boundary: 31 March 20:00 UTC is 1 April 03:00 in Semarang.
    cases.append(make_case(kind=CaseKind.WBS, received_at=datetime(2025, 3, 31, 20, 0, tzinfo=UTC)))
    return cases


def _check(table: Any, expected: dict[tuple[str, str], int], *, k: int = K) -> int:
    """Every shown cell equals the independent count; every hidden one is small or protects one; return hidden."""
    hidden = 0
    for r, label in enumerate(table.row_labels):
        for c, column in enumerate(table.col_labels):
            value, truth = table.cells[r][c], expected.get((label, column), 0)
            if value is None:
                hidden += 1
            else:
                assert value == truth, (label, column, value, truth)
            if 0 < truth < k:
                assert value is None, f"{label}/{column} = {truth} is shown"
    return hidden


def test_the_recap_matches_independent_counts(settings: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    cases = _dataset()
    recap = build_recap(RecapFilters(period=make_period("2025-01-01", "2025-12-31")))
    assert recap.total == len(cases)
    tables = {t.key: t.table for t in recap.tables}
    kind_label = {CaseKind.WBS: str(CaseKind.WBS.label), CaseKind.GRATIFICATION: str(CaseKind.GRATIFICATION.label)}

    kinds = Counter((kind_label[CaseKind(c.kind)], tables["kind"].col_labels[0]) for c in cases)
    _check(tables["kind"], kinds)
    assert tables["kind"].total == len(cases)

    months = Counter((c.received_at.astimezone(WIB).strftime("%Y-%m"), kind_label[CaseKind(c.kind)]) for c in cases)
    month_table = tables["month"]
    month_keys = [m.strftime("%Y-%m") for m in make_period("2025-01-01", "2025-12-31").months()]
    expected_months = {
        (month_table.row_labels[i], column): months[(key, column)]
        for i, key in enumerate(month_keys)
        for column in month_table.col_labels
    }
    _check(month_table, expected_months)
    april_wbs = month_table.cells[3][month_table.col_labels.index(kind_label[CaseKind.WBS])]
    assert april_wbs in (None, months[("2025-04", kind_label[CaseKind.WBS])])

    statuses = Counter((str(CaseStatus(c.status).label), kind_label[CaseKind(c.kind)]) for c in cases)
    _check(tables["status"], statuses)

    names = {o.pk: o.name for o in Organisation.objects.all()}
    orgs = Counter(
        (names[c.organisation_id] if c.organisation_id else "Tidak disebutkan", kind_label[CaseKind(c.kind)])
        for c in cases
    )
    _check(tables["organisation"], orgs)

    violations = Counter(
        (str(ViolationType(c.violation_type).label), kind_label[CaseKind.WBS])
        for c in cases
        if c.kind == CaseKind.WBS and c.violation_type
    )
    _check(tables["violation_type"], violations)

    gift_table = tables["gift_type"]
    gifts = Counter(
        (str(GiftType(c.gift_type).label), gift_table.col_labels[1 if c.is_refusal else 0])
        for c in cases
        if c.kind == CaseKind.GRATIFICATION
    )
    _check(gift_table, gifts)


def test_a_small_cell_cannot_be_recovered_from_any_total(settings: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    for _ in range(20):
        make_case(kind=CaseKind.WBS, violation_type=ViolationType.PUNGLI)
    for _ in range(3):
        make_case(kind=CaseKind.WBS, violation_type=ViolationType.SUAP)
    for _ in range(9):
        make_case(kind=CaseKind.WBS, violation_type=ViolationType.KORUPSI)
    today = datetime.now(tz=WIB).date()
    recap = build_recap(RecapFilters(period=make_period(today.replace(month=1, day=1), today)))
    table = {t.key: t.table for t in recap.tables}["violation_type"]
    shown = {label: cells[0] for label, cells, _total in table.rows()}
    assert shown[str(ViolationType.SUAP.label)] is None
    assert shown[str(ViolationType.KORUPSI.label)] is None  # the partner: 32 - 20 would otherwise give 3
    assert shown[str(ViolationType.PUNGLI.label)] == 20
    values = [value for *_rest, value in recap_rows(recap)]
    assert "3" not in values and "9" not in values


def test_median_time_to_first_response_counts_officer_messages_only(settings: Any, make_staff: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    officer = make_staff(username="penjawab")
    base = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    for days in (1, 2, 3, 10, 20):
        case = make_case(received_at=base)
        CaseMessage.objects.create(case=case, sender="inspectorate", author=None, created_at=base, body=b"x")
        CaseMessage.objects.create(
            case=case, sender="inspectorate", author=officer, created_at=base + timedelta(days=days), body=b"x"
        )
    make_case(received_at=base)  # never answered: not counted
    recap = build_recap(RecapFilters(period=make_period("2025-06-01", "2025-06-30")))
    first = {m.key: m for m in recap.medians}["first_response"]
    assert first.days == 3.0 and first.cases == 5


def test_a_median_over_fewer_cases_than_the_minimum_is_not_shown(settings: Any, make_staff: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    officer = make_staff(username="penjawab2")
    base = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    for days in (1, 2):
        case = make_case(received_at=base)
        CaseMessage.objects.create(
            case=case, sender="inspectorate", author=officer, created_at=base + timedelta(days=days), body=b"x"
        )
    recap = build_recap(RecapFilters(period=make_period("2025-06-01", "2025-06-30")))
    assert {m.key: m for m in recap.medians}["first_response"].days is None
