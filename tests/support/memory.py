"""Peak memory of the current process (Linux), for the memory bounds of tests and benchmarks.

Shared by ``tests/`` and ``bench/`` (benchmarks import it with the project root on ``sys.path``). It reads
``VmHWM`` ("high water mark") rather than ``ru_maxrss``: after a fork, ``ru_maxrss`` also counts the pages the
parent had, and ``VmHWM`` can be reset, so a measurement covers exactly the work in between.
"""

from __future__ import annotations


def peak_rss_kib() -> int:
    """Return the peak resident set size of this process in KiB (since start or the last reset)."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


def reset_peak_rss() -> None:
    """Start a new peak: the next ``peak_rss_kib`` counts from the present resident set size."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
