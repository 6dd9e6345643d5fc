"""Say what is missing when the browser tests cannot start, instead of Playwright's bare driver error.

Playwright's Python package talks to a bundled Node.js driver. When that binary cannot load a shared library
(on a minimal Debian: ``libatomic.so.1`` from ``libatomic1``), Playwright only reports "Connection closed while
reading from the driver". Running the driver once and asking ``ldd`` what it lacks gives a message that names
the library and the Debian package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# Libraries the driver or Chromium need that a minimal Debian may lack, and the package that provides each.
DEBIAN_PACKAGE_OF = {
    "libatomic.so.1": "libatomic1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libnss3.so": "libnss3",
    "libasound.so.2": "libasound2",
}
FIX = "run bin/bootstrap as root (it installs the Debian packages the suite needs)"


def missing_libraries(binary: str | os.PathLike[str]) -> list[str]:
    """Return the shared libraries ``binary`` needs that the dynamic loader cannot find (by ``ldd``)."""
    ldd = shutil.which("ldd")
    if not ldd:
        return []
    result = subprocess.run([ldd, os.fspath(binary)], capture_output=True, text=True, check=False, timeout=30)
    return [line.split("=>")[0].strip() for line in result.stdout.splitlines() if "=> not found" in line]


def describe_missing(libraries: list[str]) -> str:
    """Return "libatomic.so.1 (Debian package libatomic1), ..." for a list of missing libraries."""
    parts = []
    for library in libraries:
        package = DEBIAN_PACKAGE_OF.get(library)
        parts.append(f"{library} (Debian package {package})" if package else f"{library} (apt-file search {library})")
    return ", ".join(parts)


def binary_problem(binary: str | os.PathLike[str], *, what: str) -> str | None:
    """Run ``binary --version``; return None when it works, else a message naming what is missing."""
    if not Path(binary).exists():
        return f"{what} {binary} is missing: {FIX}"
    try:
        result = subprocess.run(
            [os.fspath(binary), "--version"], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        return f"{what} {binary} cannot be started ({exc}): {FIX}"
    if result.returncode == 0:
        return None
    missing = missing_libraries(binary)
    if missing:
        return f"{what} {binary} cannot start: missing shared libraries {describe_missing(missing)}; {FIX}"
    detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
    return f"{what} {binary} cannot start: {detail[0]}; {FIX}"


def playwright_driver() -> str:
    """Return the path of the Node.js binary Playwright's Python package runs as its driver."""
    from playwright._impl._driver import compute_driver_executable

    node, _cli = compute_driver_executable()
    return os.fspath(node)


def browser_problem(chromium: str) -> str | None:
    """Return why Playwright with ``chromium`` cannot run here (driver first, then the browser), or None."""
    return binary_problem(playwright_driver(), what="Playwright's driver") or binary_problem(
        shutil.which(chromium) or chromium, what="Chromium"
    )
