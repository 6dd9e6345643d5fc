"""The fuzzing budget and the count of generated cases (printed at the end of the run).

``PELUIT_FUZZ_EXAMPLES`` is the number of cases Hypothesis and Schemathesis generate in one run of the suite,
shared out over the fuzz tests by weight (default 300: ``bin/test`` stays quick; a nightly run sets, say,
100000). Each fuzz test reports how many cases it ran as a ``fuzz_cases`` user property, which pytest-xdist
carries back from its workers; ``tests/conftest.py`` adds them up in the terminal summary.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

DEFAULT_BUDGET = 300
# The fuzz tests and their share of the budget: the cheap ones (no report stored) get more.
WEIGHTS = {
    "test_wbs_form_never_fails": 1.0,
    "test_gratification_form_never_fails": 1.0,
    "test_followup_pages_never_fail": 1.0,
    "test_api_submissions_never_fail": 1.0,
    "test_raw_bodies_never_fail": 1.0,
    "test_api_followup_never_fails": 1.0,
    "test_api_conforms_to_its_document": 6 * 0.7,  # six operations, parametrised
}


def budget() -> int:
    """Return the cases to generate in this run (``PELUIT_FUZZ_EXAMPLES``)."""
    return max(len(WEIGHTS), int(os.environ.get("PELUIT_FUZZ_EXAMPLES", str(DEFAULT_BUDGET))))


def examples(test_name: str, *, per: int = 1) -> int:
    """Return the max_examples of one fuzz test (``per``: how many parametrised tests share its weight)."""
    return max(1, round(budget() * WEIGHTS[test_name] / sum(WEIGHTS.values()) / per))


def fuzz_settings(test_name: str, *, per: int = 1) -> Any:
    """Return Hypothesis settings for ``test_name``: its share of the budget, reproducible, no deadline."""
    return settings(
        max_examples=examples(test_name, per=per),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def report_cases(request: Any, count: int) -> None:
    """Record that the current test generated ``count`` cases (summed and printed at the end of the run)."""
    request.node.user_properties.append(("fuzz_cases", count))
