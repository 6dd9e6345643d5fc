"""Schemathesis against /api/v1/openapi.json through the WSGI app: no server errors, documented answers only.

The schema is loaded inside the test (it lists choices from the test database), and each operation's
strategy is run with Hypothesis directly, with a bounded number of examples so ``bin/test`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import given
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from intake import services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, wbs_post
from tests.support.fuzz import examples, fuzz_settings, report_cases

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# At least 20 cases per operation, so that the successful answers are checked too.
MIN_EXAMPLES = 20


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly sends request signals that would close the test's database connection.

    Django's own test client disconnects ``close_old_connections`` in the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def valid_wbs_data() -> dict[str, Any]:
    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    return {k: v for k, v in form.cleaned_data.items() if k != "attachments"}


def operations() -> list[str]:
    """Return the operation ids the document must contain (and this test must exercise)."""
    return [
        "submit_wbs_report",
        "list_wbs_intake_recipients",
        "submit_gratification_report",
        "get_followup",
        "post_followup_message",
        "add_followup_attachments",
        "answer_survey",
    ]


@pytest.mark.django_db
def test_every_documented_operation_is_fuzzed(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    documented = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert documented == set(operations())


@pytest.mark.django_db
@pytest.mark.parametrize("operation_id", operations())
def test_api_conforms_to_its_document(
    operation_id: str,
    intake_staff: IntakeStaff,
    fuzz_target: None,
    keep_test_connection: None,
    request: pytest.FixtureRequest,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operation = schema.find_operation_by_id(operation_id)
    statuses: list[int] = []
    name = f"schemathesis:{operation_id}"  # its share of the fuzzing budget (tests/support/fuzz.py)
    # Half of the follow-up calls carry a real receipt, so the successful answers are checked too.
    receipt = services.submit_wbs_report(data=valid_wbs_data(), attachments=[]).receipt

    @given(case=operation.as_strategy())
    @fuzz_settings(name, max_examples=max(MIN_EXAMPLES, examples(name)))
    def run(case: Any) -> None:
        if case.headers is not None and "X-Peluit-Receipt" in case.headers and len(statuses) % 2:
            case.headers["X-Peluit-Receipt"] = receipt
            if isinstance(case.body, dict) and isinstance(case.body.get("attachments"), list):
                # Random bytes are refused by type; half of the uploads carry a plain-text file that passes.
                case.body["attachments"] = [b"a plain text note"] * len(case.body["attachments"])
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)

    run()
    report_cases(request, len(statuses))
    assert statuses and all(status < 500 for status in statuses)
    if operation_id.startswith(("get_", "post_", "add_")):
        assert {200, 201} & set(statuses), statuses
