"""The recap's tables from the casework lifecycle (channel, outcome, gratification result and value band,
deadlines kept per rule, median time to closure) equal counts made independently here."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from casework.models import (
    CaseClock,
    CaseKind,
    Channel,
    GiftType,
    GiftValueBand,
    GratificationRecord,
    KpkDecision,
    Outcome,
)
from reports.periods import make_period
from reports.recap import DEADLINE_STATES, RecapFilters, build_recap, recap_rows
from tests.reports.conftest import make_case

pytestmark = pytest.mark.django_db
K = 5
WBS_OUTCOMES = [Outcome.TERBUKTI, Outcome.TIDAK_TERBUKTI, Outcome.TIDAK_DAPAT_DITINDAKLANJUTI, Outcome.DITERUSKAN]


def _dataset(seed: int = 11) -> list[dict[str, Any]]:
    """Cases of 2025 with channel, outcome, closure, bands, KPK decisions and clocks; returns what was made."""
    rng = random.Random(seed)
    made = []
    for _ in range(140):
        kind = rng.choice([CaseKind.WBS, CaseKind.WBS, CaseKind.GRATIFICATION])
        received = datetime(2025, 1, 1, 3, tzinfo=UTC) + timedelta(days=rng.randrange(0, 300))
        case = make_case(kind=kind, received_at=received, gift_type=GiftType.UANG if kind == "gratifikasi" else "")
        case.channel = rng.choice([Channel.WEB, Channel.WEB, Channel.API])
        closed = rng.random() < 0.6
        decision = ""
        if kind == CaseKind.WBS:
            case.outcome = rng.choice(WBS_OUTCOMES) if closed else ""
        else:
            case.gift_value_band = rng.choice([GiftValueBand.UNDER_1M, GiftValueBand.FROM_1M, ""])
            decision = rng.choice([KpkDecision.MILIK_NEGARA, KpkDecision.MILIK_PENERIMA, ""]) if closed else ""
            case.outcome = Outcome.DITETAPKAN_KPK if decision else (Outcome.DIKEMBALIKAN if closed else "")
            GratificationRecord.objects.create(case=case, kpk_decision=decision)
        case.closed_at = received + timedelta(days=rng.randrange(1, 60)) if closed else None
        case.save()
        rule = "ADUAN_TIDAK_BERKADAR" if kind == CaseKind.WBS else "GRAT_UPG_TERUSKAN"
        state = rng.choice(["on_time", "late", "overdue", "running"])
        due = received.date() + timedelta(days=14)
        CaseClock.objects.create(
            case=case,
            rule_code=rule,
            amount=14,
            unit="working_days",
            started_at=received,
            start_day=received.date(),
            due_on={"overdue": date(2020, 1, 1), "running": date(2100, 1, 1)}.get(state, due),
            state=CaseClock.State.STOPPED if state in ("on_time", "late") else CaseClock.State.RUNNING,
            stopped_at=received + timedelta(days=3) if state in ("on_time", "late") else None,
            met={"on_time": True, "late": False}.get(state),
        )
        made.append({"case": case, "decision": decision, "rule": rule, "state": state})
    return made


def _shown(item: Any) -> dict[tuple[str, str], int | None]:
    return {
        (row, col): item.table.cells[r][c] for r, row in enumerate(item.row_keys) for c, col in enumerate(item.col_keys)
    }


def _assert_matches(item: Any, truth: Counter[tuple[str, str]]) -> None:
    shown = _shown(item)
    assert set(truth) <= set(shown), set(truth) - set(shown)
    for key, value in shown.items():
        if value is not None:  # hidden cells are checked for leaks in test_suppression.py
            assert value == truth[key], (item.key, key, value, truth[key])
        if 0 < truth[key] < K:
            assert value is None, (item.key, key)


def test_the_lifecycle_tables_match_independent_counts(settings: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    made = _dataset()
    recap = build_recap(RecapFilters(period=make_period("2025-01-01", "2025-12-31")))
    tables = {t.key: t for t in recap.tables}

    _assert_matches(tables["channel"], Counter((m["case"].channel, m["case"].kind) for m in made))

    wbs = [m["case"] for m in made if m["case"].kind == CaseKind.WBS]
    _assert_matches(
        tables["outcome"], Counter((c.outcome if c.closed_at else "in_progress", CaseKind.WBS.value) for c in wbs)
    )

    grt = [m for m in made if m["case"].kind == CaseKind.GRATIFICATION]
    results = Counter(
        (
            m["decision"] or (m["case"].outcome if m["case"].closed_at else "in_progress"),
            m["case"].gift_value_band,
        )
        for m in grt
    )
    _assert_matches(tables["gift_result"], results)
    assert sum(results.values()) == len(grt)

    clocks = Counter((m["rule"], m["state"]) for m in made)
    deadlines = tables["deadlines"]
    assert set(deadlines.col_keys) == set(DEADLINE_STATES)
    _assert_matches(deadlines, clocks)
    for r, rule in enumerate(deadlines.row_keys):
        kept, missed, overdue = (clocks[(rule, s)] for s in ("on_time", "late", "overdue"))
        if all(deadlines.table.cells[r][c] is not None for c in range(3)):
            assert deadlines.shares[r] == round(100 * kept / (kept + missed + overdue))

    closure = {m.key: m for m in recap.medians}["closure"]
    days = [(c["case"].closed_at - c["case"].received_at).total_seconds() / 86400 for c in made if c["case"].closed_at]
    assert closure.days == round(statistics.median(days), 1)
    by_kind = {code: value for code, _label, value in closure.by_kind}
    wbs_days = [(c.closed_at - c.received_at).total_seconds() / 86400 for c in wbs if c.closed_at]
    assert by_kind["wbs"] == round(statistics.median(wbs_days), 1)

    csv_titles = {title for title, *_rest in recap_rows(recap)}
    for key in ("channel", "outcome", "gift_result", "deadlines"):
        assert tables[key].title in csv_titles


def test_a_rule_with_few_clocks_hides_them_and_its_share(settings: Any) -> None:
    settings.PELUIT_MIN_CELL = K
    received = datetime(2025, 5, 5, 3, tzinfo=UTC)
    for n in range(12):
        case = make_case(kind=CaseKind.WBS, received_at=received)
        CaseClock.objects.create(
            case=case,
            rule_code="ADUAN_TIDAK_BERKADAR",
            amount=14,
            unit="working_days",
            started_at=received,
            start_day=received.date(),
            due_on=received.date() + timedelta(days=20),
            state=CaseClock.State.STOPPED,
            stopped_at=received + timedelta(days=2),
            met=n >= 2,  # two missed: a small cell
        )
    recap = build_recap(RecapFilters(period=make_period("2025-05-01", "2025-05-31")))
    deadlines = {t.key: t for t in recap.tables}["deadlines"]
    row = deadlines.row_keys.index("ADUAN_TIDAK_BERKADAR")
    assert deadlines.table.cells[row][1] is None  # the 2 missed
    assert deadlines.table.cells[row][0] is None  # and its partner: 12 - 10 would give 2
    assert deadlines.shares[row] is None  # 83 % of 12 would give it back too
