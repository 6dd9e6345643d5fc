"""Every Indonesian catalogue is complete: no untranslated or fuzzy message reaches a reporter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/id/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_there_are_catalogues() -> None:
    assert ROOT / "locale/id/LC_MESSAGES/django.po" in CATALOGUES
    assert ROOT / "casework/locale/id/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(catalogue: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext is installed by bin/bootstrap"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
