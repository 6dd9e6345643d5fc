"""Case numbers under real concurrency: N processes submitting at once get N distinct numbers, none fails.

On SQLite the processes share a fresh database file (the test database lives in memory, out of their
reach); on PostgreSQL they connect to the test database itself.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from casework.cases.numbers import allocate_case_number, case_number
from casework.models import CaseNumberSequence
from tests.intake.conftest import IntakeStaff
from vault import services as vault

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 6
PER_PROCESS = 3


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "PELUIT_KDF_PROFILE": "test",
            "PELUIT_MEDIA_ROOT": str(tmp_path / "media"),
            "PELUIT_PEPPER": str(settings.PELUIT_PEPPER),
            "PELUIT_SECRET_KEY": str(settings.SECRET_KEY),
        }
    )
    return env


def _helper(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.casework.cases.concurrent_submitter", *args]


def _race(tmp_path: Path, env: dict[str, str]) -> list[str]:
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            _helper("submit", str(go), str(PER_PROCESS)), cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    go.touch()
    numbers: list[str] = []
    for worker in workers:
        out, _err = worker.communicate(timeout=120)
        assert worker.returncode == 0
        numbers.extend(out.split())
    return numbers


def _assert_distinct_and_dense(numbers: list[str]) -> None:
    assert len(numbers) == PROCESSES * PER_PROCESS
    assert all(re.fullmatch(r"WBS-\d{4}-\d{6}", n) for n in numbers)
    # The numbers are the sequence's first values through the permutation: none skipped, none twice.
    assert sorted(numbers) == sorted(case_number("wbs", int(numbers[0][4:8]), v) for v in range(1, len(numbers) + 1))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_numbers(
    tmp_path: Path, reference_data: None, intake_staff: IntakeStaff
) -> None:
    if connection.vendor == "sqlite":
        env = _env(tmp_path, f"sqlite:///{tmp_path / 'race.sqlite3'}")
        subprocess.run(_helper("setup"), cwd=ROOT, env=env, check=True, timeout=120)
    else:
        params: dict[str, Any] = connection.settings_dict
        url = f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
        env = _env(tmp_path, url)
    _assert_distinct_and_dense(_race(tmp_path, env))


@pytest.mark.django_db
def test_numbers_restart_each_year_and_kind() -> None:
    assert allocate_case_number(kind="wbs", year=2026) == case_number("wbs", 2026, 1)
    assert allocate_case_number(kind="wbs", year=2026) == case_number("wbs", 2026, 2)
    assert allocate_case_number(kind="gratification", year=2026) == case_number("gratification", 2026, 1)
    assert allocate_case_number(kind="wbs", year=2027) == case_number("wbs", 2027, 1)
    assert CaseNumberSequence.objects.count() == 3
    assert [s.last_value for s in CaseNumberSequence.objects.order_by("kind", "year")] == [1, 2, 1]


def test_numbers_do_not_count() -> None:
    """Numbers handed out in a row tell neither how many came between them nor which came first."""
    numbers = [int(case_number("wbs", 2026, value)[-6:]) for value in range(1, 201)]
    assert len(set(numbers)) == 200 and all(1 <= n <= 999_999 for n in numbers)
    rises = sum(later > earlier for earlier, later in itertools.pairwise(numbers))
    assert 60 < rises < 140, "consecutive numbers rise about as often as they fall"
    assert sum(abs(later - earlier) < 1000 for earlier, later in itertools.pairwise(numbers)) < 5
    # Each kind and year has a permutation of its own; and another pepper gives another one.
    assert case_number("wbs", 2026, 1)[-6:] != case_number("gratification", 2026, 1)[-6:]
    assert case_number("wbs", 2026, 1)[-6:] != case_number("wbs", 2027, 1)[-6:]
    with override_settings(PELUIT_PEPPER="another pepper"):
        assert [int(case_number("wbs", 2026, value)[-6:]) for value in range(1, 4)] != numbers[:3]


@given(st.integers(min_value=0, max_value=999_990))
@settings_hypothesis(max_examples=30, deadline=None)
def test_the_permutation_is_a_bijection_above_the_sequential_numbers(sequential_upto: int) -> None:
    """Whatever the sequence handed out as itself, the rest of the range is permuted onto itself."""
    last = min(999_999, sequential_upto + 300)
    values = range(sequential_upto + 1, last + 1)
    images = [vault.permuted_case_number(v, first=sequential_upto + 1, last=999_999, tweak="wbs-2026") for v in values]
    assert len(set(images)) == len(images)
    assert all(sequential_upto < n <= 999_999 for n in images)


def test_a_small_range_is_permuted_onto_itself() -> None:
    for first, last in [(5, 5), (5, 6), (10, 17), (999_990, 999_999)]:
        images = {vault.permuted_case_number(v, first=first, last=last, tweak="t") for v in range(first, last + 1)}
        assert images == set(range(first, last + 1))
    with pytest.raises(ValueError):
        vault.permuted_case_number(4, first=5, last=9, tweak="t")


@pytest.mark.django_db
def test_numbers_handed_out_before_the_permutation_are_never_repeated() -> None:
    """An installation upgraded mid-year keeps its sequential numbers; the permuted ones come from above them."""
    CaseNumberSequence.objects.create(kind="wbs", year=2026, last_value=999_990, sequential_upto=999_990)
    numbers = {allocate_case_number(kind="wbs", year=2026) for _ in range(9)}
    assert numbers == {f"WBS-2026-{n:06d}" for n in range(999_991, 1_000_000)}
    # Past six digits, seven, permuted among those.
    seventh = allocate_case_number(kind="wbs", year=2026)
    assert re.fullmatch(r"WBS-2026-\d{7}", seventh) and seventh == case_number("wbs", 2026, 1_000_000)
    with pytest.raises(ValueError):
        case_number("wbs", 2026, 5, sequential_upto=5)


@pytest.mark.django_db
def test_the_migration_keeps_the_numbers_already_handed_out() -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("casework.migrations.0015_case_number_permutation")
    CaseNumberSequence.objects.create(kind="wbs", year=2026, last_value=42)
    CaseNumberSequence.objects.create(kind="gratification", year=2026, last_value=0)
    migration.keep_sequential_numbers(apps, None)
    assert dict(CaseNumberSequence.objects.values_list("kind", "sequential_upto")) == {"wbs": 42, "gratification": 0}
    assert int(allocate_case_number(kind="wbs", year=2026)[-6:]) > 42
