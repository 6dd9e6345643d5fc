"""The fuzzing budget and the count of generated cases (printed at the end of the run).

``PELUIT_FUZZ_EXAMPLES`` is the number of cases Hypothesis and Schemathesis generate in one run of the suite,
shared out over the fuzz tests by weight. Without it, ``bin/test`` generates 300 (quick on a laptop) and, under
``CI=true``, 5,000: ``.ci/run`` runs the suite twice (SQLite, then PostgreSQL + Redis), so one CI run generates
at least 10,000 and prints the total. A nightly run sets, say, ``PELUIT_FUZZ_EXAMPLES=100000``.

Each fuzz test reports how many cases it ran as a ``fuzz_cases`` user property, which pytest-xdist carries back
from its workers; ``tests/conftest.py`` adds them up in the terminal summary (and, for ``.ci/run``, appends the
sum to ``PELUIT_FUZZ_COUNT_FILE``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from hypothesis import HealthCheck, settings

DEFAULT_BUDGET = 300
CI_BUDGET = 5_000  # per run of the suite; .ci/run runs it twice, so 10,000 per CI run
CI_RUNS = 2

# The fuzz tests and their share of the budget. Weights follow the cost of a case (CPU per case measured on
# this machine, docs/reliability.md): the cheap ones get more cases, every form and operation gets its share.
# A Schemathesis operation is named "schemathesis:<operation id>".
WEIGHTS = {
    "test_wbs_form_never_fails": 7.0,  # ~30 ms: the form page rendered again, or a report stored
    "test_gratification_form_never_fails": 6.0,  # ~36 ms: idem
    "test_followup_pages_never_fail": 14.0,  # ~8 ms for its three requests
    "test_api_submissions_never_fail": 20.0,  # ~7 ms
    "test_raw_bodies_never_fail": 8.0,  # ~23 ms for its three requests
    "test_api_followup_never_fails": 18.0,  # ~5 ms for its two requests
    "test_followup_session_forms_never_fail": 5.0,  # the inbox's reply, survey and upload forms, then the inbox
    "schemathesis:submit_wbs_report": 3.0,  # ~40 ms: generating a multipart body from the schema is dear
    "schemathesis:submit_gratification_report": 2.0,  # ~68 ms: idem, a larger body
    "schemathesis:get_followup": 9.0,  # ~9 ms
    "schemathesis:post_followup_message": 6.0,  # ~18 ms
    "schemathesis:add_followup_attachments": 5.0,  # ~20 ms
    "schemathesis:answer_survey": 3.0,
    "schemathesis:list_wbs_intake_recipients": 0.0,  # takes no input: one case exhausts it
}


def budget() -> int:
    """Return the cases to generate in this run: ``PELUIT_FUZZ_EXAMPLES``, else the CI or the local default."""
    configured = os.environ.get("PELUIT_FUZZ_EXAMPLES")
    if configured:
        return max(len(WEIGHTS), int(configured))
    return CI_BUDGET if in_ci() else DEFAULT_BUDGET


def in_ci() -> bool:
    """Return whether this run is CI's (``CI=true``, as ``.ci/run`` and most CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def budget_source() -> str:
    """Return where this run's budget comes from, for the summary line."""
    if os.environ.get("PELUIT_FUZZ_EXAMPLES"):
        return f"PELUIT_FUZZ_EXAMPLES={budget()}"
    if in_ci():
        return f"CI default {CI_BUDGET} per run, {CI_RUNS} runs in .ci/run"
    return f"default {DEFAULT_BUDGET}; PELUIT_FUZZ_EXAMPLES raises it"


def examples(test_name: str) -> int:
    """Return the max_examples of one fuzz test: its share of the budget, rounded up, at least one."""
    return max(1, math.ceil(budget() * WEIGHTS[test_name] / sum(WEIGHTS.values())))


def fuzz_settings(test_name: str, *, max_examples: int | None = None) -> Any:
    """Return Hypothesis settings for ``test_name``: its share of the budget, reproducible, no deadline.

    No example database (nothing to read or write per case), no deadline (a shared machine is slow at times),
    no health checks (the strategies are large on purpose; a slow case is not a failure here).
    """
    return settings(
        max_examples=max_examples or examples(test_name),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def report_cases(request: Any, count: int) -> None:
    """Record that the current test generated ``count`` cases (summed and printed at the end of the run)."""
    request.node.user_properties.append(("fuzz_cases", count))
