"""Reads of the lifecycles for the console: a case's clocks, allowed transitions and history; the reminders
of the home page; the gratification forwarding list; the SLA report. Selectors write nothing (opening a
sealed reason writes the vault's unseal event, once per request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from casework.cases.models import Case, CaseKind, CaseStatus
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.workflow.lifecycle import may_make, open_reason, transitions_from
from casework.workflow.models import (
    CaseClock,
    DeadlineRule,
    DestructionRequest,
    GratificationRecord,
    Notification,
    StatusChange,
    Transition,
)
from casework.workflow.reminders import notification_text
from casework.workflow.retention import retention_until
from vault import services as vault
from vault.permissions import may_hold_case_keys

HOME_NOTIFICATIONS = 20
# Gratification statuses before the report reaches the KPK.
BEFORE_KPK = (CaseStatus.DITERIMA_UPG, CaseStatus.PERLU_DILENGKAPI, CaseStatus.DIVERIFIKASI)


@dataclass(frozen=True)
class HistoryEntry:
    """One status change as the case page shows it."""

    change: StatusChange
    reason: str


@dataclass(frozen=True)
class StepChoice:
    """A transition from the current status and whether this user may make it."""

    step: Transition
    allowed: bool


@dataclass
class CaseWorkflow:
    """Everything the case page's lifecycle panels show."""

    case: Case
    clocks: list[CaseClock]
    steps: list[StepChoice]
    history: list[HistoryEntry]
    gratification: GratificationRecord | None
    retention_until: date | None
    open_request: DestructionRequest | None
    is_supervisor: bool
    overdue_ids: set[object] = field(default_factory=set)


def case_workflow(
    *, case: Case, user: StaffUser, access: vault.Access | None = None, holds: bool | None = None
) -> CaseWorkflow:
    """Return the lifecycle panels of one case for ``user``; reasons are opened only with ``access``.

    ``holds``: whether ``user`` holds the case, when the caller already knows it in this request (the case
    page checked it before opening the case); None asks the vault.
    """
    now = timezone.now()
    clocks = list(CaseClock.objects.filter(case=case).order_by("state", "due_on"))
    if holds is None:
        holds = vault.holds_report(user=user, report_id=case.id)
    steps = [StepChoice(step=s, allowed=holds and may_make(user, s)) for s in transitions_from(case)]
    history = []
    for change in StatusChange.objects.filter(case=case).select_related("actor"):
        reason = open_reason(access=access, change=change) if access is not None and change.reason else ""
        history.append(HistoryEntry(change=change, reason=reason))
    return CaseWorkflow(
        case=case,
        clocks=clocks,
        steps=steps,
        history=history,
        # Only a gratification report has these steps (and the page shows them only for one).
        gratification=(
            GratificationRecord.objects.filter(case=case).first() if case.kind == CaseKind.GRATIFICATION else None
        ),
        retention_until=retention_until(case),
        open_request=DestructionRequest.objects.filter(case=case, decided_at__isnull=True)
        .select_related("requested_by")
        .first(),
        is_supervisor=user.has_perm(SUPERVISE_CASES),
        overdue_ids={c.pk for c in clocks if c.is_overdue(now)},
    )


def rule_descriptions() -> dict[str, str]:
    """Return each rule code's description (the latest version's)."""
    return {row.code: row.description for row in DeadlineRule.objects.order_by("code", "valid_from")}


# --- Home page reminders ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reminder:
    """One reminder line of the console home."""

    notification: Notification
    text: str


def home_notifications(user: StaffUser) -> list[Reminder]:
    """Return the user's unread reminders, newest first (case number, rule and date only)."""
    rows = (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .select_related("case", "clock")
        .order_by("-created_at")[:HOME_NOTIFICATIONS]
    )
    return [Reminder(notification=n, text=notification_text(n)) for n in rows]


# --- Gratification: reports due for forwarding -------------------------------------------------------------
@dataclass(frozen=True)
class ForwardingRow:
    """A gratification report not yet forwarded to the KPK, with the UPG's and the statutory deadlines."""

    case: Case
    upg_due: date | None
    statutory_due: date | None
    overdue: bool


def forwarding_due(user: StaffUser) -> list[ForwardingRow]:
    """Return gratification reports not yet at the KPK that ``user`` may list, most urgent first."""
    if not may_hold_case_keys(user):
        return []
    cases = Case.objects.filter(kind=CaseKind.GRATIFICATION, status__in=BEFORE_KPK, shredded_at__isnull=True)
    if not user.has_perm(SUPERVISE_CASES):
        cases = cases.filter(id__in=vault.granted_report_ids(user=user))
    open_clocks = CaseClock.objects.filter(
        case__in=cases,
        state__in=[CaseClock.State.RUNNING, CaseClock.State.PAUSED],
        rule_code__in=["GRAT_UPG_TERUSKAN", "GRAT_LAPOR_KPK"],
    )
    due: dict[tuple[object, str], date] = {(c.case_id, c.rule_code): c.due_on for c in open_clocks}
    today = timezone.localdate()
    rows = []
    for case in cases:
        upg, statutory = due.get((case.pk, "GRAT_UPG_TERUSKAN")), due.get((case.pk, "GRAT_LAPOR_KPK"))
        dates = [d for d in (upg, statutory) if d is not None]
        rows.append(
            ForwardingRow(case=case, upg_due=upg, statutory_due=statutory, overdue=any(d < today for d in dates))
        )
    rows.sort(key=lambda r: (min([d for d in (r.statutory_due, r.upg_due) if d] or [date.max]), r.case.number))
    return rows


# --- SLA -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlaRow:
    """Clocks of one rule or one officer: stopped on time, stopped late, running overdue, running on time."""

    label: str
    on_time: int
    late: int
    overdue: int
    running: int

    @property
    def total(self) -> int:
        """All clocks counted in the row."""
        return self.on_time + self.late + self.overdue + self.running

    @property
    def on_time_percent(self) -> int | None:
        """Share of finished clocks that were met, in whole percent (None when none finished)."""
        done = self.on_time + self.late
        return round(100 * self.on_time / done) if done else None


@dataclass(frozen=True)
class SlaReport:
    """The SLA page: per rule and per officer, for clocks started in the period."""

    start: date
    end: date
    by_rule: list[SlaRow]
    by_officer: list[SlaRow]


def clock_outcomes(
    clocks: QuerySet[CaseClock], key: str, *, now: datetime | None = None
) -> dict[object, dict[str, int]]:
    """Count ``clocks`` per value of ``key``: stopped on time (``on_time``), stopped late (``late``), still running
    past their due date (``overdue``) and still running within it (``running``). Paused clocks count as running.

    The SLA page and the statistics (reports' recap) both count with this one function.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    running = [CaseClock.State.RUNNING, CaseClock.State.PAUSED]
    rows = clocks.values(key).annotate(
        on_time=Count("pk", filter=Q(state=CaseClock.State.STOPPED, met=True)),
        late=Count("pk", filter=Q(state=CaseClock.State.STOPPED, met=False)),
        overdue=Count(
            "pk",
            filter=Q(state__in=running) & (Q(due_at__isnull=True, due_on__lt=today) | Q(due_at__lt=now)),
        ),
        all_running=Count("pk", filter=Q(state__in=running)),
    )
    return {
        row[key]: {
            "on_time": row["on_time"],
            "late": row["late"],
            "overdue": row["overdue"],
            "running": row["all_running"] - row["overdue"],
        }
        for row in rows
    }


def sla_report(*, start: date, end: date) -> SlaReport:
    """Return on-time and late clocks per rule and per officer (who stopped the clock) for the period."""
    now = timezone.now()
    clocks = CaseClock.objects.filter(start_day__gte=start, start_day__lte=end)
    by_rule = [
        SlaRow(label=str(code), **values)
        for code, values in sorted(clock_outcomes(clocks, "rule_code", now=now).items())
    ]
    officers = clock_outcomes(clocks.filter(stopped_by__isnull=False), "stopped_by", now=now)
    staff = StaffUser.objects.filter(pk__in=list(officers))
    names: dict[object, str] = {u.pk: (u.get_full_name() or u.username) for u in staff}
    by_officer = sorted(
        (SlaRow(label=names.get(pk, str(pk)), **values) for pk, values in officers.items()), key=lambda r: r.label
    )
    return SlaReport(start=start, end=end, by_rule=by_rule, by_officer=by_officer)


def deadline_rule_rows() -> QuerySet[DeadlineRule]:
    """Return the deadline rules table, for the calendar page (read only there)."""
    return DeadlineRule.objects.order_by("code", "valid_from")
