"""The package graph runs one way (docs/architecture.md): the import-linter contracts of pyproject.toml hold.

``bin/test`` runs ``lint-imports`` too; here it runs under pytest, and the same contracts are shown to fail on a
miniature of the project that breaks each of them (so this test can fail).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "One way: audit <- vault <- casework <- intake | reports <- config"
INSIDE_CASEWORK = (
    "Inside casework: handling, workflow and survey may use cases, cases may use staff, all may use the pure rules, "
    "never the other way"
)

# A miniature of the project: every module the contracts name, importing nothing.
SKELETON = [
    "config/__init__.py",
    "intake/__init__.py",
    "reports/__init__.py",
    "casework/__init__.py",
    "casework/models.py",
    "casework/views.py",
    "casework/urls.py",
    "casework/cases/__init__.py",
    "casework/handling/__init__.py",
    "casework/staff/__init__.py",
    "casework/rules/__init__.py",
    "casework/workflow/__init__.py",
    "casework/survey/__init__.py",
    "vault/__init__.py",
    "vault/crypto.py",
    "vault/checkpoint_signer.py",
    "vault/signing_keys.py",
    "audit/__init__.py",
    "audit/merkle.py",
    "audit/views.py",
    "audit/management/__init__.py",
    "audit/management/commands/__init__.py",
]
INSIDE_VAULT = "Inside vault/, only vault.crypto imports PyNaCl"
# Imports a contract explicitly allows (its ignore_imports); present, as in the code.
AS_IN_THE_CODE = {"vault/crypto.py": "import nacl.bindings\n", "vault/signing_keys.py": "import cryptography\n"}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def importlinter_config() -> str:
    """Return the [tool.importlinter] part of the project's pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("[tool.importlinter]")
    return text[start:]


def miniature(tmp_path: Path, extra: dict[str, str]) -> Path:
    for name in SKELETON:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    for name, source in [*AS_IN_THE_CODE.items(), *extra.items()]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(path.read_text() + source if path.exists() else source)
    (tmp_path / "pyproject.toml").write_text(importlinter_config())
    return tmp_path


def test_the_project_keeps_every_import_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{LAYERS} KEPT" in result.stdout
    assert "0 broken" in result.stdout


def test_the_layers_contract_is_declared_with_intake_and_reports_as_siblings() -> None:
    config = importlinter_config()
    assert 'layers = ["config", "intake | reports", "casework", "vault", "audit"]' in config
    assert re.search(r'layers = \["handling \| workflow \| survey", "cases", "staff", "rules"\]', config)


def test_the_miniature_keeps_the_contracts(tmp_path: Path) -> None:
    """The baseline of the next test: without a wrong import the miniature passes."""
    result = lint_imports(miniature(tmp_path, {}))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("vault/officers.py", "from casework.models import StaffUser\n", LAYERS),
        ("audit/views.py", "from casework.staff import roles\n", LAYERS),
        ("audit/services.py", "import vault.crypto\n", LAYERS),
        ("audit/checkpoints.py", "from vault import checkpoint_signer\n", LAYERS),  # a strategy in settings instead
        ("vault/checkpoint_signer.py", "import nacl.signing\n", INSIDE_VAULT),
        ("casework/cases/content.py", "import intake\n", LAYERS),
        ("intake/forms.py", "import reports\n", LAYERS),
        ("casework/staff/roles.py", "from casework.cases import models\n", INSIDE_CASEWORK),
        ("casework/cases/views.py", "from casework.handling import selectors\n", INSIDE_CASEWORK),
        ("casework/cases/views.py", "from casework.workflow import lifecycle\n", INSIDE_CASEWORK),
        ("casework/cases/models.py", "from casework.survey import models\n", INSIDE_CASEWORK),
        ("casework/survey/models.py", "from casework.workflow import models\n", INSIDE_CASEWORK),
        ("casework/rules/deadlines.py", "import django.conf\n", "import no Django"),
        ("casework/rules/working_days.py", "from casework import models\n", "know no other Peluit package"),
        ("vault/crypto.py", "from django.conf import settings\n", "import no Django"),
    ],
)
def test_a_wrong_import_breaks_its_contract(tmp_path: Path, module: str, source: str, contract: str) -> None:
    result = lint_imports(miniature(tmp_path, {module: source}))
    assert result.returncode != 0 and "Broken contracts" in result.stdout, result.stdout[-3000:] + result.stderr
    # The report wraps long lines; compare without line breaks. The broken contracts are listed last.
    broken_section = " ".join(result.stdout.split("Broken contracts", 1)[-1].split())
    assert " ".join(contract.split()) in broken_section, result.stdout[-3000:]
