"""The e2e fixture names a missing shared library instead of Playwright's "Connection closed" driver error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.browser import binary_problem, describe_missing, missing_libraries, playwright_driver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def needs_a_missing_library(tmp_path: Path) -> Path:
    """A real ELF binary (a copy of ``true``) whose needed ``libc.so.6`` is renamed to a library nobody has."""
    data = Path(shutil.which("true") or "/bin/true").read_bytes()
    assert data.count(b"libc.so.6\0") >= 1
    binary = tmp_path / "driver"
    binary.write_bytes(data.replace(b"libc.so.6\0", b"libq.so.6\0"))
    binary.chmod(0o755)
    return binary


def test_a_binary_that_cannot_load_a_library_is_explained(needs_a_missing_library: Path) -> None:
    assert missing_libraries(needs_a_missing_library) == ["libq.so.6"]
    problem = binary_problem(needs_a_missing_library, what="Playwright's driver")
    assert problem is not None
    assert "libq.so.6" in problem and "missing shared libraries" in problem and "bin/bootstrap" in problem


def test_known_libraries_name_their_debian_package() -> None:
    assert describe_missing(["libatomic.so.1"]) == "libatomic.so.1 (Debian package libatomic1)"
    assert "apt-file search libfoo.so.2" in describe_missing(["libfoo.so.2"])


def test_a_missing_binary_is_named(tmp_path: Path) -> None:
    problem = binary_problem(tmp_path / "chromium", what="Chromium")
    assert problem is not None and "chromium is missing" in problem


def test_the_real_driver_starts_here() -> None:
    # bin/bootstrap installed libatomic1 on this machine, so Playwright's own node binary runs.
    assert binary_problem(playwright_driver(), what="Playwright's driver") is None
    assert missing_libraries(playwright_driver()) == []


def test_bootstrap_installs_libatomic() -> None:
    assert "libatomic1" in (ROOT / "bin" / "bootstrap").read_text()
