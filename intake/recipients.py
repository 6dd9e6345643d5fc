"""Who receives a new report: the intake recipients.

A new report is sealed to the supervisors (the triage circle: active staff who may supervise cases and hold a
vault key), minus the people the reporter excluded, and always to the escrow key (the vault adds it), so an
excluded or absent supervisor never makes a report unreadable. Officers receive a case when a supervisor
assigns it to them (``casework.cases.assignment``), need-to-know (docs/decisions.md, "Intake recipients").
The reporter may exclude any officer or supervisor: the exclusion also refuses later grants.

Every submission (and every WBS form) needs the same list: who may be excluded, by name, and the public keys
a report is sealed to. ``roster()`` reads both in two queries and keeps them for
``PELUIT_RECIPIENT_CACHE_SECONDS`` (2 s by default) in the process, so a flood of reports does not read the
staff tables again for each one (docs/decisions.md, "Issue 14: a short-lived recipient roster"). The two
queries are compiled to SQL once per process (``_roster_statements``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

from casework.models import StaffUser
from casework.recent import Recent
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import case_key_holders, staff_with_permission
from vault import services as vault
from vault.exceptions import NotSetUp


def intake_recipient_candidates() -> QuerySet[StaffUser]:
    """Return active officers and supervisors, the people a reporter may exclude, by name."""
    return case_key_holders()


def intake_recipients(*, excluded_ids: Collection[int] = ()) -> QuerySet[StaffUser]:
    """Return the staff whose public keys a new report is sealed to: the supervisors, minus the excluded (a
    query: ``vault.recipient_keys`` reads their keys with it in one statement)."""
    supervisors = intake_recipient_candidates().filter(pk__in=staff_with_permission(SUPERVISE_CASES).values("pk"))
    return with_vault_key(supervisors).exclude(pk__in=list(excluded_ids)).order_by("pk")


def with_vault_key(users: QuerySet[StaffUser]) -> QuerySet[StaffUser]:
    """Return only the users who have enrolled a vault key."""
    return users.filter(officer_key__isnull=False)


def display_name(first_name: str, last_name: str, username: str) -> str:
    """Return how a staff member is listed to reporters: full name (as Django's ``get_full_name``), else username."""
    return f"{first_name} {last_name}".strip() or str(username)


@dataclass(frozen=True)
class Roster:
    """The intake recipients as a submission needs them."""

    candidates: tuple[tuple[int, str], ...]  # (id, display name) of who a reporter may exclude, by name
    keys: tuple[vault.RecipientKey, ...]  # the public keys a new report is sealed to
    escrow_public: bytes | None = None  # the escrow public key (made once, never changed); None before set-up

    def candidate_ids(self) -> set[int]:
        """Return the ids of the staff a reporter may exclude."""
        return {pk for pk, _name in self.candidates}

    def keys_without(self, excluded_ids: Collection[int]) -> list[vault.RecipientKey]:
        """Return the recipients' keys without the excluded staff."""
        excluded = set(excluded_ids)
        return [key for key in self.keys if key.staff_id not in excluded]


_recent: Recent[Roster] = Recent()


def roster() -> Roster:
    """Return the intake recipients, read at most ``PELUIT_RECIPIENT_CACHE_SECONDS`` ago in this process.

    A change of staff (a new officer, a key enrolled, an account deactivated) reaches intake within that time.
    Whoever is excluded by a reporter is applied on every submission (``Roster.keys_without``), never cached.
    """
    return _recent.get(_read_roster, ttl=float(getattr(settings, "PELUIT_RECIPIENT_CACHE_SECONDS", 2.0)))


Statement = tuple[str, tuple[Any, ...]]


@functools.lru_cache(maxsize=8)
def _roster_statements(alias: str, vendor: str) -> tuple[Statement, Statement]:
    """Return the roster's two reads (candidates; recipients' keys) as SQL with parameters, for database ``alias``.

    Building and compiling them through the ORM (the permission rule is a nested subquery) took about 5 ms, paid
    by each process every ``PELUIT_RECIPIENT_CACHE_SECONDS``: a tenth of intake's Python time under load
    (docs/reliability.md, stop 24). The text never changes while the server runs: the statements look up the
    permissions, groups, accounts and keys themselves, so a change is read as it is when the roster is read.
    """
    candidates = intake_recipient_candidates().values_list("pk", "first_name", "last_name", "username")
    keys = vault.recipient_keys_query(users=intake_recipients())
    return _compiled(candidates, alias), _compiled(keys, alias)


def _compiled(queryset: QuerySet[Any], alias: str) -> Statement:
    sql, params = queryset.query.get_compiler(using=alias).as_sql()
    return str(sql), tuple(params)


def _rows(statement: Statement, alias: str) -> list[tuple[Any, ...]]:
    sql, params = statement
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _read_roster() -> Roster:
    try:
        escrow_public: bytes | None = vault.escrow_public_key()
    except NotSetUp:
        escrow_public = None  # read again by every submission until the escrow key is made
    alias = StaffUser.objects.db
    candidates, keys = _roster_statements(alias, connections[alias].vendor)
    return Roster(
        candidates=tuple((int(pk), display_name(*names)) for pk, *names in _rows(candidates, alias)),
        keys=tuple(vault.recipient_keys_from_rows(_rows(keys, alias))),
        escrow_public=escrow_public,
    )


def forget_roster() -> None:
    """Drop the cached roster (tests; a staff change that must reach intake at once)."""
    _recent.forget()
