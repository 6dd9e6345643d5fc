"""Step-up: sensitive console actions need a second factor or the password checked a few minutes ago.

One mechanism for every sensitive action (issue 9.10): the ``step_up_required`` decorator on the view, one
page (``casework/step_up.html``, also reachable at ``/console/security/confirm/``) and one service
(``casework.staff.services.staff_step_up``, audited). The session remembers when its person last proved who
they are (the login's second factor, or a step-up); when that is older than ``PELUIT_STEP_UP_SECONDS``
(default five minutes) the action is interrupted by the page:

- a form post (grant, revoke, new backup codes ...) is answered with the page itself, carrying the form's
  fields hidden and posting back to the same action, so one confirmation completes the action. Password
  fields are never carried: after the confirmation the person fills the form again;
- a page that shows something sensitive (the reporter's disclosed identity) redirects to the confirmation
  page and comes back.

``max_age=0`` asks every time (the approval of an identity disclosure: the form has the code field inline).
Five wrong answers in one session end the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

FACTOR_AT = "peluit_factor_at"  # session: when the person last proved who they are (Unix time)
FAILURES = "peluit_step_up_failures"  # session: wrong answers since the last right one
MAX_FAILURES = 5
SECRET_FIELD = "step_up_secret"  # noqa: S105 - a form field name, not a secret
RETURN_FIELD = "step_up_return"
# Form fields never written back into a page (the token is the page's own; passwords are typed again).
_NOT_CARRIED = ("csrfmiddlewaretoken", SECRET_FIELD, RETURN_FIELD)

View = Callable[..., HttpResponse]


def max_age_seconds() -> int:
    """Return how long a proof of identity counts for sensitive actions (``PELUIT_STEP_UP_SECONDS``)."""
    return int(getattr(settings, "PELUIT_STEP_UP_SECONDS", 300))


def mark_fresh(request: HttpRequest) -> None:
    """Remember that the person proved who they are just now (login's second factor, or a step-up)."""
    request.session[FACTOR_AT] = time.time()
    request.session[FAILURES] = 0


def is_fresh(request: HttpRequest, max_age: int | None = None) -> bool:
    """Return True when the last proof of identity in this session is at most ``max_age`` seconds old."""
    limit = max_age_seconds() if max_age is None else max_age
    at = request.session.get(FACTOR_AT)
    return isinstance(at, int | float) and 0 <= time.time() - at <= limit


def safe_return_path(request: HttpRequest, candidate: str | None) -> str:
    """Return ``candidate`` when it is a path on this site, else the console home."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return reverse("console:home")


def carried_fields(request: HttpRequest) -> tuple[list[tuple[str, str]], bool]:
    """Return the posted fields to write back as hidden inputs, and whether password fields were dropped."""
    fields: list[tuple[str, str]] = []
    dropped = False
    for name, values in request.POST.lists():
        if name in _NOT_CARRIED:
            continue
        if "password" in name.lower():
            dropped = True
            continue
        fields.extend((name, value) for value in values)
    return fields, dropped


def challenge(
    request: HttpRequest,
    *,
    action: str,
    hidden: list[tuple[str, str]],
    return_to: str = "",
    second_factor_only: bool = False,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render the step-up page: one field (code or password), posting ``hidden`` back to ``action``."""
    from casework.staff.forms import StepUpForm

    form = StepUpForm(second_factor_only=second_factor_only)
    if error:
        form = StepUpForm({SECRET_FIELD: ""}, second_factor_only=second_factor_only)
        form.is_valid()
        form.errors.clear()
        form.add_error(SECRET_FIELD, error)
    context = {"form": form, "action": action, "hidden": hidden, "return_to": return_to}
    return render(request, "casework/step_up.html", context, status=status)


@overload
def step_up_required(view: View) -> View: ...


@overload
def step_up_required(
    view: None = None,
    *,
    methods: Collection[str] = ...,
    max_age: int | None = ...,
    second_factor_only: bool = ...,
) -> Callable[[View], View]: ...


def step_up_required(
    view: View | None = None,
    *,
    methods: Collection[str] = ("POST",),
    max_age: int | None = None,
    second_factor_only: bool = False,
) -> View | Callable[[View], View]:
    """Decorate a console view so its ``methods`` need a recent proof of identity (see the module docstring).

    ``max_age`` overrides ``PELUIT_STEP_UP_SECONDS`` (``0``: every time); ``second_factor_only`` refuses the
    password as proof (a code from the authenticator or a backup code only).
    """

    def decorate(inner: View) -> View:
        @wraps(inner)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return inner(request, *args, **kwargs)
            if request.method == "POST" and SECRET_FIELD in request.POST:
                return _answer(request, inner, args, kwargs, second_factor_only=second_factor_only)
            if max_age != 0 and is_fresh(request, max_age):
                return inner(request, *args, **kwargs)
            if request.method != "POST":
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('console:step_up')}?{query}")
            hidden, dropped = carried_fields(request)
            return challenge(
                request,
                action=request.path,
                hidden=[] if dropped else hidden,
                return_to=request.path if dropped else "",
                second_factor_only=second_factor_only,
            )

        setattr(wrapped, "step_up", {"methods": tuple(methods), "max_age": max_age})  # noqa: B010 - for tests
        return wrapped

    return decorate(view) if view is not None else decorate


def _answer(request: HttpRequest, inner: View, args: Any, kwargs: Any, *, second_factor_only: bool) -> HttpResponse:
    """Check the posted proof; on success run the interrupted action (or go back to its form)."""
    from casework.staff.services import StepUpResult, staff_step_up

    result = staff_step_up(
        request=request,
        user=request.user,  # type: ignore[arg-type]
        secret=request.POST.get(SECRET_FIELD, ""),
        second_factor_only=second_factor_only,
    )
    if result is StepUpResult.LOGGED_OUT:
        return redirect(settings.LOGIN_URL)
    return_to = request.POST.get(RETURN_FIELD, "")
    if result is StepUpResult.CONFIRMED:
        if return_to:
            return HttpResponseRedirect(safe_return_path(request, return_to))
        return inner(request, *args, **kwargs)
    hidden, _dropped = carried_fields(request)
    return challenge(
        request,
        action=request.path,
        hidden=hidden,
        return_to=return_to,
        second_factor_only=second_factor_only,
        error=result.message,
        status=400,
    )
