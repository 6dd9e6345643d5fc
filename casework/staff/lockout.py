"""Staff login lockout: by username *and* client address, with a higher ceiling per username (issue 9.11).

django-axes counts wrong passwords per (username, address): five from one address lock that username from
that address only, so someone elsewhere cannot lock an officer out by typing wrong passwords for them. Staff
addresses may be used for this (staff paths keep them; reporters' never reach this code). A ceiling per
username over all addresses (``PELUIT_LOGIN_FAILURE_CEILING``, default 50 in the cool-off period) still
stops a guessing campaign spread over many addresses; reaching it locks the account everywhere until the
cool-off ends or an administrator runs ``axes_reset_username``.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def client_address(meta: dict[str, object]) -> str:
    """Return the client's address from ``request.META`` (behind ``PELUIT_TRUSTED_PROXIES`` proxies).

    Behind N trusted proxies the client is the N-th address from the right of ``X-Forwarded-For`` (each of
    our proxies appends the address it saw); anything further left was written by the client itself.
    """
    proxies = int(getattr(settings, "PELUIT_TRUSTED_PROXIES", 0))
    if proxies > 0:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(meta.get("REMOTE_ADDR", ""))


def staff_client_address(request: HttpRequest) -> str | None:
    """Return the address django-axes counts a staff login attempt under (``AXES_CLIENT_IP_CALLABLE``)."""
    return client_address(request.META) or None


def failures_for_username(username: str) -> int:
    """Return the wrong passwords for ``username`` from every address within the cool-off period."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


def username_ceiling_reached(username: str) -> bool:
    """Return True when ``username`` had ``PELUIT_LOGIN_FAILURE_CEILING`` wrong passwords from all addresses."""
    return failures_for_username(username) >= int(settings.PELUIT_LOGIN_FAILURE_CEILING)
