"""Console case pages: a number no case has, or a case one may not list, is answered as a case not held.

Case numbers no longer count (``casework/cases/numbers.py``), so a 404 for an unknown number beside the 403 of a
case kept from an officer would confirm that the case exists: a report about them, say (outside probe, stop 29).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from casework.cases.numbers import NUMBER_SHAPE
from casework.cases.responses import unknown_case_denied
from casework.cases.selectors import may_list
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault

# The case routes (``console/cases/<number>/...``); a number of another shape stays a plain 404.
_CASE_ROUTE = "cases/<str:number>/"


class UnknownCaseAsNotHeldMiddleware:
    """Turn a 404 on the page of a case one may not list (or that does not exist) into the 403 of a case not held.

    Placed inside the console guard, which audits the 403 with the number as it audits any case not held. Both
    kinds of number must answer alike: a 404 for a missing file or status of a hidden case, beside the 403 of a
    number nobody has, would tell that the hidden case exists. Staff who may list every case (supervisors, the
    escrow holder) keep the 404: every number is theirs to see. On a case one may list, a 404 (a file, a status)
    stays, as does a number of another shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if match is None or _CASE_ROUTE not in str(match.route) or not isinstance(user, StaffUser):
            return response
        number = str(match.kwargs.get("number", ""))
        if not NUMBER_SHAPE.fullmatch(number) or user.has_perm(SUPERVISE_CASES) or vault.is_escrow_holder(user):
            return response
        if may_list(user, number):
            return response
        return unknown_case_denied(request, number)
