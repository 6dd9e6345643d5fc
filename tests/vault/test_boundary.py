"""Only vault/ may import PyNaCl or cryptography (DESIGN.md, Rooms). reports/ uses pyHanko, which is allowed.

The import-linter contract in pyproject.toml says the same for ``bin/test``; this AST check runs with pytest
and also sees imports inside functions and ``importlib.import_module("...")`` calls with literal names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["config", "casework", "audit", "intake", "reports", "bench"]
# Besides vault/, only the test suite may use the crypto libraries directly (known-answer vectors).
ALLOWED = {"vault", "tests"}
FORBIDDEN = ("nacl", "cryptography")


def crypto_imports(source: str) -> list[str]:
    """Return the forbidden modules imported by ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [n for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def test_the_check_sees_every_form_of_import() -> None:
    source = (
        "import nacl.public\nfrom cryptography.hazmat import x\nimport importlib\n"
        "def f():\n    import nacl\n    importlib.import_module('cryptography.x509')\n"
        "import pyhanko\nfrom vault import crypto\n"
    )
    assert crypto_imports(source) == ["nacl.public", "cryptography.hazmat", "nacl", "cryptography.x509"]


@pytest.mark.parametrize("package", CHECKED)
def test_no_crypto_imports_outside_the_vault(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): imports
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imports := crypto_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "only vault/ may import nacl or cryptography"


def test_import_linter_contract_is_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'forbidden_modules = ["nacl", "cryptography"]' in text


def test_every_python_package_of_the_project_is_checked() -> None:
    """A new top-level package (or loose script) is covered without anyone remembering to list it."""
    with_python = {
        top.name
        for top in ROOT.iterdir()
        if top.is_dir() and not top.name.startswith(".") and next(top.rglob("*.py"), None) is not None
    }
    assert with_python - ALLOWED - set(CHECKED) == set()


def test_manage_py_imports_no_crypto() -> None:
    assert crypto_imports((ROOT / "manage.py").read_text(encoding="utf-8")) == []
