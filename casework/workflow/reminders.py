"""Deadline reminders: once a day (Celery beat) the staff working on a case are told in the console, and by
e-mail when e-mail is configured, that one of its clocks is due soon or overdue.

A reminder names the case number, the rule and the due date: never report content, never the reporter's words.
Each person gets one "due soon" and one "overdue" reminder per clock, however often the task runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.workflow.calendar import current_calendar
from casework.workflow.models import CaseClock, Notification
from vault import services as vault
from vault.permissions import may_hold_case_keys

logger = logging.getLogger(__name__)
# A clock is "due soon" from this many working days before its due date.
DUE_SOON_WORKING_DAYS = 2


@dataclass
class ReminderRun:
    """What one run did."""

    notifications: int = 0
    emails: int = 0
    email_failures: int = 0
    mails: list[tuple[int, str, str, str]] = field(default_factory=list)


def case_assignees(case: Case) -> list[StaffUser]:
    """Return who is reminded about a case: its lead officer and team, else the supervisors holding it.

    Only assignees who are active and still hold the case's key count (a declared conflict or a revocation
    takes the key away). A case nobody is assigned to yet (new reports reach the supervisors) reminds the
    supervisors holding it, who are the ones to assign it.
    """
    holder_ids = set(vault.holder_ids(report_id=case.id))
    assignee_ids = set(case.team.values_list("pk", flat=True))
    if case.lead_officer_id is not None:
        assignee_ids.add(case.lead_officer_id)
    active = StaffUser.objects.filter(is_active=True).order_by("pk")
    assignees = [user for user in active.filter(pk__in=assignee_ids & holder_ids) if may_hold_case_keys(user)]
    if assignees:
        return assignees
    return [
        user for user in active.filter(pk__in=holder_ids) if may_hold_case_keys(user) and user.has_perm(SUPERVISE_CASES)
    ]


def _wording(kind: str, clock: CaseClock, case: Case) -> tuple[str, str]:
    values = {"number": case.number, "rule": clock.rule_code, "date": clock.due_on.strftime("%d-%m-%Y")}
    if kind == Notification.Kind.OVERDUE:
        subject = _("[Peluit] %(number)s: a deadline has passed") % values
        body = _("Case %(number)s: the deadline %(rule)s was due on %(date)s and is still running.") % values
    else:
        subject = _("[Peluit] %(number)s: a deadline is near") % values
        body = _("Case %(number)s: the deadline %(rule)s is due on %(date)s.") % values
    return subject, body + "\n\n" + _("Open the Peluit console to see the case. This message holds no report content.")


def notification_text(notification: Notification) -> str:
    """Return the one line the console home shows for a reminder."""
    return _wording(notification.kind, notification.clock, notification.case)[1].split("\n")[0]


def send_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Create the reminders due today and e-mail them when configured; return what was done.

    The reminders and their audit events commit together; e-mails are sent afterwards, outside the
    transaction, and a failed e-mail leaves the console reminder in place.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    soon = current_calendar().add_working_days(today, DUE_SOON_WORKING_DAYS)
    run = ReminderRun()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        clocks = CaseClock.objects.filter(state=CaseClock.State.RUNNING, due_on__lte=soon).select_related("case")
        for clock in clocks:
            kind = Notification.Kind.OVERDUE if clock.is_overdue(now) else Notification.Kind.DUE_SOON
            for person in case_assignees(clock.case):
                notification, created = Notification.objects.get_or_create(
                    recipient=person, clock=clock, kind=kind, defaults={"case": clock.case, "created_at": now}
                )
                if not created:
                    continue
                run.notifications += 1
                emailing = bool(getattr(settings, "PELUIT_EMAIL_REMINDERS", False) and person.email)
                audit_record(
                    action=Action.REMINDER_SENT,
                    actor="system",
                    case_ref=clock.case.number,
                    details={"rule": clock.rule_code, "kind": kind, "staff_id": person.pk, "email": emailing},
                )
                if emailing:
                    subject, body = _wording(kind, clock, clock.case)
                    run.mails.append((notification.pk, person.email, subject, body))
    for notification_id, address, subject, body in run.mails:
        try:
            send_mail(subject, body, None, [address])
        except Exception:
            run.email_failures += 1
            logger.warning("reminder e-mail %s could not be sent", notification_id)
            continue
        Notification.objects.filter(pk=notification_id).update(emailed=True)
        run.emails += 1
    return run


def notifications_mark_read(*, user: StaffUser, ids: list[int]) -> int:
    """Mark the user's own reminders read; return how many. Not audited: it changes no case."""
    return Notification.objects.filter(recipient=user, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
