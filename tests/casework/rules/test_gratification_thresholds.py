"""Exemption warnings for gifts: effective-dated thresholds from the data migration; never a block."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from casework.cases.gratification import Gift, Threshold, exemption_warnings, gift_warnings
from casework.models import GiftOccasion, GiftType, GiverRelationship, GratificationThreshold


def gift(**overrides: object) -> Gift:
    values: dict[str, object] = {
        "received_on": date(2026, 3, 1),
        "value": Decimal("1200000"),
        "currency": "IDR",
        "gift_type": GiftType.UANG,
        "occasion": GiftOccasion.PERNIKAHAN,
        "relationship": GiverRelationship.LAINNYA,
    }
    values.update(overrides)
    return Gift(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _english() -> object:
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_migration_stores_both_rule_sets() -> None:
    rows = GratificationThreshold.objects.filter(category="ceremony").order_by("per_giver_limit")
    assert [(r.valid_until, r.valid_from, r.per_giver_limit) for r in rows] == [
        (date(2026, 1, 19), None, 1_000_000),
        (None, date(2026, 1, 20), 1_500_000),
    ]
    assert not GratificationThreshold.objects.filter(category="colleague_occasion", valid_from__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("received_on", "value", "exempt"),
    [
        (date(2026, 1, 19), "1200000", False),  # old rule: above Rp1.000.000
        (date(2026, 1, 19), "1000000", True),
        (date(2026, 1, 20), "1200000", True),  # new rule: up to Rp1.500.000
        (date(2026, 1, 20), "1500001", False),
    ],
)
def test_wedding_gift_threshold_depends_on_the_gift_date(received_on: date, value: str, exempt: bool) -> None:
    warnings = gift_warnings(gift(received_on=received_on, value=Decimal(value)))
    assert bool(warnings) is exempt
    if exempt:
        assert "may be exempt" in warnings[0] and received_on.isoformat() in warnings[0]


@pytest.mark.django_db
def test_colleague_gifts_must_not_be_cash() -> None:
    colleague = {"occasion": GiftOccasion.LAINNYA, "relationship": GiverRelationship.REKAN_KERJA}
    assert gift_warnings(gift(value=Decimal("400000"), gift_type=GiftType.BARANG, **colleague))
    assert not gift_warnings(gift(value=Decimal("400000"), gift_type=GiftType.UANG, **colleague))
    # Before 2026-01-20 the colleague limit was Rp200.000.
    old = gift(received_on=date(2025, 12, 1), value=Decimal("400000"), gift_type=GiftType.BARANG, **colleague)
    assert not gift_warnings(old)


@pytest.mark.django_db
def test_farewell_category_was_removed_in_2026() -> None:
    farewell = {"occasion": GiftOccasion.PISAH_SAMBUT, "relationship": GiverRelationship.REKAN_KERJA}
    old = gift(received_on=date(2025, 6, 1), value=Decimal("300000"), gift_type=GiftType.BARANG, **farewell)
    assert "farewell" in gift_warnings(old)[0]
    new = gift(received_on=date(2026, 6, 1), value=Decimal("300000"), gift_type=GiftType.BARANG, **farewell)
    assert "between colleagues" in gift_warnings(new)[0]


def test_pure_check_ignores_foreign_currency_and_unrelated_gifts() -> None:
    thresholds = [Threshold(category="ceremony", per_giver_limit=1_500_000)]
    assert exemption_warnings(gift(), thresholds)
    assert not exemption_warnings(gift(currency="USD", value=Decimal("10")), thresholds)
    assert not exemption_warnings(gift(occasion=GiftOccasion.PENGADAAN), thresholds)
    assert not exemption_warnings(gift(), [])


def test_family_gifts_get_a_note() -> None:
    warnings = exemption_warnings(gift(relationship=GiverRelationship.KELUARGA, occasion=GiftOccasion.LAINNYA), [])
    assert len(warnings) == 1 and "family" in warnings[0]
