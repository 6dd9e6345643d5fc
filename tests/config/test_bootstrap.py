"""bin/bootstrap installs missing Debian packages as root, or through password-less sudo when not root."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_install(tmp_path: Path, *, uid: int, sudo_works: bool) -> str:
    """Run bootstrap's install function with stub commands; return what the stubs recorded."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    record = tmp_path / "record"
    scripts = {
        "dpkg-query": "exit 1",  # every package is missing
        "id": f"echo {uid}",
        "apt-get": f'echo "apt-get $*" >> {record}',
        "sudo": (f'[ "$1" = -n ] && [ "$2" = true ] && exit {0 if sudo_works else 1}\necho "sudo $*" >> {record}'),
    }
    for name, body in scripts.items():
        path = stubs / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    function = subprocess.run(
        ["sed", "-n", "/^install_debian_packages()/,/^}/p", str(ROOT / "bin" / "bootstrap")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    script = f"set -euo pipefail\nlog() {{ :; }}\nDEBIAN_PACKAGES=(oathtool)\n{function}\ninstall_debian_packages\n"
    subprocess.run(["/bin/bash", "-c", script], check=True, env={"PATH": f"{stubs}:/usr/bin:/bin"}, capture_output=True)
    return record.read_text() if record.exists() else ""


def test_root_installs_with_apt_get(tmp_path: Path) -> None:
    recorded = _run_install(tmp_path, uid=0, sudo_works=False)
    assert "apt-get install" in recorded and "oathtool" in recorded and "sudo" not in recorded


def test_a_user_with_password_less_sudo_installs_through_sudo(tmp_path: Path) -> None:
    recorded = _run_install(tmp_path, uid=1000, sudo_works=True)
    assert "sudo" in recorded and "apt-get install" in recorded and "oathtool" in recorded


def test_a_user_without_sudo_is_told_what_to_install(tmp_path: Path) -> None:
    assert _run_install(tmp_path, uid=1000, sudo_works=False) == ""


def test_bin_run_keeps_what_it_creates_from_other_users() -> None:
    """bin/run sets a umask that takes every right from other users before it makes anything (the database,
    sealed files, logs): the shell itself reports the mask in force when set-up starts."""
    lines = (ROOT / "bin" / "run").read_text().splitlines()
    prelude = lines[: next(i for i, line in enumerate(lines) if line.strip() == "bin/bootstrap")]
    script = "\n".join([*prelude, "umask"])
    mask = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert int(mask.stdout.strip(), 8) & 0o007 == 0o007, mask.stdout
