"""The pure gratification rule: plain values in, plain findings out (no Django, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from casework.rules import gratification as rules

OLD = rules.Threshold(rules.CEREMONY, 1_000_000, valid_until=date(2026, 1, 19))
NEW = rules.Threshold(rules.CEREMONY, 1_500_000, valid_from=date(2026, 1, 20))
COLLEAGUE = rules.Threshold(rules.COLLEAGUE, 500_000, yearly_limit=1_500_000, non_cash_only=True)


def gift(**overrides: object) -> rules.Gift:
    values: dict[str, object] = {
        "received_on": date(2026, 3, 1),
        "value": Decimal("1200000"),
        "currency": "IDR",
        "gift_type": "barang",
        "occasion": rules.OCCASION_CEREMONY,
        "relationship": "lainnya",
    }
    values.update(overrides)
    return rules.Gift(**values)  # type: ignore[arg-type]


def test_the_threshold_in_force_on_the_gift_date_decides() -> None:
    assert rules.exemption_findings(gift(), [OLD, NEW]).threshold == NEW
    assert rules.exemption_findings(gift(received_on=date(2026, 1, 19)), [OLD, NEW]).threshold is None
    cheaper_and_older = gift(value=Decimal("900000"), received_on=date(2026, 1, 19))
    assert rules.exemption_findings(cheaper_and_older, [OLD, NEW]).threshold == OLD


def test_foreign_currency_cash_to_colleagues_and_family() -> None:
    assert not rules.exemption_findings(gift(currency="USD", value=Decimal(10)), [OLD, NEW]).looks_exempt
    colleague = {"occasion": "lainnya", "relationship": rules.RELATIONSHIP_COLLEAGUE, "value": Decimal(100_000)}
    assert rules.exemption_findings(gift(**colleague), [COLLEAGUE]).threshold == COLLEAGUE
    assert rules.exemption_findings(gift(**colleague, gift_type="uang"), [COLLEAGUE]).threshold is None
    family = rules.exemption_findings(gift(relationship=rules.RELATIONSHIP_FAMILY, value=Decimal(10**9)), [NEW])
    assert family.from_family and family.threshold is None and family.looks_exempt
