"""The audit log knows a case by its number and, for the events written before the number existed, by its report
id; ``case_aliases`` links the two without reading every submission's details for a case number (issue 14.3: the
case page's slowest query at 100,000 cases)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.selectors import case_aliases
from tests.casework.handling.conftest import Staff, file_report

pytestmark = pytest.mark.django_db


def test_a_case_is_found_by_its_number_and_by_its_report_id(staff: Staff) -> None:
    case = file_report().case
    other = file_report().case
    number, report_id = case.number, str(case.id)
    with CaptureQueriesContext(connection) as by_number:
        assert case_aliases(number) == {number, report_id}
    # By number: one indexed lookup of the case's own submission; no scan of every submission's details.
    assert len(by_number.captured_queries) == 1
    assert all("LIKE" not in query["sql"].upper() for query in by_number.captured_queries)
    assert case_aliases(report_id) == {report_id, number}
    assert case_aliases(str(other.id)) == {str(other.id), other.number}
    assert case_aliases("WBS-1999-000001") == {"WBS-1999-000001"}
