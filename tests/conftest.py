"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.reference import ensure_reference_data
from tests.support.staff import StaffFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    """Hash staff passwords with Argon2 at a tiny cost in tests."""
    settings.PASSWORD_HASHERS = ["tests.support.hashers.FastArgon2PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_vault_kdf(settings: pytest.FixtureRequest) -> None:
    """Use the vault's cheapest Argon2id costs in tests (recorded in each blob, so nothing else changes)."""
    settings.VAULT_KDF_PROFILE = "test"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> Path:
    """Keep the encrypted blobs of each test in its own folder (never var/media); return that folder."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    return media


@pytest.fixture(autouse=True)
def _fresh_recipient_roster(settings: Any) -> Iterator[None]:
    """Read the intake recipients, the deadline rules and the calendar anew on every use (tests change staff,
    rules, holidays and organisations between submissions)."""
    from casework.workflow.calendar import forget_recent_deadlines
    from intake.forms import forget_recent_organisations
    from intake.recipients import forget_roster

    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 0
    settings.PELUIT_RULES_CACHE_SECONDS = 0
    forget_roster()
    forget_recent_deadlines()
    forget_recent_organisations()
    yield
    forget_roster()
    forget_recent_deadlines()
    forget_recent_organisations()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Start and end every test in the default language (Indonesian).

    A request through the test client to an /en/ page leaves English active in the thread (LocaleMiddleware
    activates it and nothing deactivates it), and so does a test that calls ``translation.activate``; a later
    test in the same process would then see English labels (a flake under pytest-xdist in test_recap).
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    """Start every test with empty in-memory throttle counters (intake/throttle.py)."""
    from intake.throttle import reset_for_tests

    reset_for_tests()


@pytest.fixture(autouse=True)
def _restore_reference_data_after_flush(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """After a transactional test's flush, put the migrations' reference data back for the tests that follow.

    Autouse fixtures are set up first and torn down last, so this runs after pytest-django's flush.
    """
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        with django_db_blocker.unblock():
            ensure_reference_data()


@pytest.fixture(scope="session")
def test_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One local test CA (ECDSA P-256) for signed PDF exports, made once per run."""
    from vault import signing_keys

    directory = tmp_path_factory.mktemp("signing")
    signing_keys.create_test_ca(directory, organisation="Inspektorat Kota Semarang", signer_name="Peluit PDF exports")
    return directory


@pytest.fixture(autouse=True)
def _pdf_signing(settings: Any, test_ca_dir: Path) -> None:
    """Sign exports with the run's test CA at PAdES B-B unless a test says otherwise (never var/signing)."""
    settings.PELUIT_SIGNING_DIR = test_ca_dir
    settings.PELUIT_PDF_SIGNER = "reports.signers.LocalTestCaSigner"
    settings.PELUIT_TSA_URL = ""
    settings.PELUIT_PADES_LEVEL = ""


@pytest.fixture
def every_checkpoint_published(settings: Any) -> None:
    """Exact reporter times (a granularity of one second): every signed checkpoint is published.

    For tests of the public log and the witness that sign checkpoints at any moment; the periods that apply
    otherwise are tested in tests/audit/test_publication.py.
    """
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 1


@pytest.fixture
def make_staff(db: None):
    """Return a function that creates a staff member with a confirmed TOTP device."""

    def make(role: Role = Role.OFFICER, **kwargs: object) -> StaffUser:
        return StaffFactory.create(role=role, **kwargs)

    return make


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many cases the fuzz tests generated (tests/support/fuzz.py), over every xdist worker.

    With ``PELUIT_FUZZ_COUNT_FILE`` set (``.ci/run``), the count is also appended to that file, so the CI run
    can print the total over its two runs of the suite.
    """
    per_test: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == "fuzz_cases":
                    per_test[report.nodeid] = max(per_test.get(report.nodeid, 0), int(value))
    if per_test and not hasattr(terminalreporter.config, "workerinput"):  # pytest-xdist's workers sum nothing
        from tests.support.fuzz import budget_source

        total = sum(per_test.values())
        failed = {report.nodeid for report in terminalreporter.stats.get("failed", ())} & per_test.keys()
        terminalreporter.write_line(
            f"fuzzing: {total} generated cases in {len(per_test)} tests, {len(failed)} failed "
            f"(budget: {budget_source()})"
        )
        count_file = os.environ.get("PELUIT_FUZZ_COUNT_FILE")
        if count_file:
            with open(count_file, "a", encoding="utf-8") as counts:
                counts.write(f"{total}\n")
