"""Case numbers under real concurrency: N processes submitting at once get N distinct numbers, none fails.

On SQLite the processes share a fresh database file (the test database lives in memory, out of their
reach); on PostgreSQL they connect to the test database itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from casework.cases.numbers import allocate_case_number
from casework.models import CaseNumberSequence
from tests.intake.conftest import IntakeStaff

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
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, PROCESSES * PER_PROCESS + 1))


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
    assert allocate_case_number(kind="wbs", year=2026) == "WBS-2026-000001"
    assert allocate_case_number(kind="wbs", year=2026) == "WBS-2026-000002"
    assert allocate_case_number(kind="gratification", year=2026) == "GRT-2026-000001"
    assert allocate_case_number(kind="wbs", year=2027) == "WBS-2027-000001"
    assert CaseNumberSequence.objects.count() == 3
