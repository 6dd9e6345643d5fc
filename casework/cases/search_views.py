"""Search in the cases one holds (/console/search/): the query is posted, never put in a URL or a log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from casework.cases.forms import CaseSearchForm
from casework.cases.numbers import NUMBER_SHAPE
from casework.cases.responses import console_user as _user
from casework.cases.responses import vault_locked as _locked
from casework.cases.search import BadQuery, search_held_cases
from casework.cases.selectors import may_list
from casework.cases.views import case_readers_only
from vault import services as vault
from vault.exceptions import VaultLocked


@case_readers_only
@sensitive_post_parameters("q")  # Django's error reports never show the query
@require_http_methods(["GET", "POST"])
def case_search(request: HttpRequest) -> HttpResponse:
    """The search form; on POST, the held cases whose text contains every word (decrypted for this request)."""
    _user(request)
    if request.method != "POST":
        return render(request, "casework/case_search.html", {"form": CaseSearchForm()})
    form = CaseSearchForm(request.POST)
    result = None
    if form.is_valid():
        # Numbers do not follow arrival (casework/cases/numbers.py), so a case is found by its number here.
        number = form.cleaned_data["q"].strip().upper()
        if NUMBER_SHAPE.fullmatch(number) and may_list(_user(request), number):
            return redirect("console:case_detail", number=number)
        try:
            result = search_held_cases(keyring=vault.officer_keyring(request), query=form.cleaned_data["q"])
        except VaultLocked:
            return _locked(request)
        except BadQuery as exc:
            form.add_error("q", exc.message)
    status = 400 if form.errors else 200
    return render(request, "casework/case_search.html", {"form": form, "result": result}, status=status)
