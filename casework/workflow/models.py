"""Data of the lifecycles: the transition table, deadline rules, the calendar's overrides, running clocks,
status changes, the gratification record, reminders and destruction requests."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case, CaseKind, CaseStatus, Outcome, PublicStatus
from casework.rules import deadlines as rules

# Permissions a transition may require (``user.has_perm``): any officer or supervisor holding the case, or
# a supervisor. Each transition also needs the case's key (its reason is sealed with it).
TRANSITION_PERMISSIONS = [
    ("vault.hold_case_keys", _("Officer or supervisor")),
    ("casework.supervise_cases", _("Supervisor")),
]
# casework.staff.roles.MANAGE_WORKFLOW
MANAGE_WORKFLOW_CODENAME = "manage_workflow"
ALL_CLOCKS = "*"


class Transition(models.Model):
    """One allowed status change of one kind of case, and what it does.

    The inspectorate changes the lifecycles by editing these rows (``manage.py lifecycle_rules``); code reads
    only the table. Clock fields hold deadline rule codes separated by commas, or ``*`` for every clock.
    """

    class Requires(models.TextChoices):
        NOTHING = "", _("Nothing else")
        FORWARDING = "forwarding", _("To whom it is forwarded and the reference number")
        KPK_FORWARDING = "kpk_forwarding", _("The KPK registration number and date (Gratifikasi Online)")
        KPK_DECISION = "kpk_decision", _("The KPK decision: SK number, date and outcome")

    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    from_status = models.CharField(_("from status"), max_length=32, choices=CaseStatus.choices)
    to_status = models.CharField(_("to status"), max_length=32, choices=CaseStatus.choices)
    permission = models.CharField(_("who may make it"), max_length=64, choices=TRANSITION_PERMISSIONS)
    reason_required = models.BooleanField(_("needs a reason"), default=False)
    closes = models.BooleanField(_("closes the case"), default=False)
    outcome = models.CharField(
        _("outcome it records"),
        max_length=32,
        choices=Outcome.choices,
        blank=True,
        help_text=_("Empty on a closing transition: the officer chooses the outcome."),
    )
    requires = models.CharField(_("also records"), max_length=16, choices=Requires.choices, blank=True)
    public_status = models.CharField(_("what the reporter sees"), max_length=16, choices=PublicStatus.choices)
    start_clocks = models.CharField(_("clocks it starts"), max_length=200, blank=True)
    stop_clocks = models.CharField(_("clocks it stops"), max_length=200, blank=True)
    pause_clocks = models.CharField(_("clocks it pauses"), max_length=200, blank=True)
    resume_clocks = models.CharField(_("clocks it resumes"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order on the case page"), default=0)

    class Meta:
        ordering = ["kind", "position", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "from_status", "to_status"], name="transition_unique_step")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status} -> {self.to_status}"

    @staticmethod
    def codes(value: str) -> list[str]:
        """Return the rule codes of a clock field (``*`` stays ``*``)."""
        return [c.strip() for c in value.split(",") if c.strip()]


class DeadlineRule(models.Model):
    """A deadline rule (DOMAIN.md §4) with the date from which this version applies (empty: always)."""

    class Unit(models.TextChoices):
        WORKING_DAYS = rules.WORKING_DAYS, _("working days")
        HOURS = rules.HOURS, _("hours")

    code = models.CharField(_("code"), max_length=32)
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_DAYS)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    count_start_day = models.BooleanField(
        _("the start day counts"),
        default=False,
        help_text=_("The day of the event is working day 1 (a recipient's own KPK deadline)."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["code", "valid_from"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="deadline_rule_code_from")]

    def __str__(self) -> str:
        return f"{self.code} {self.amount} {self.unit} from {self.valid_from or '-'}"

    def as_rule(self) -> rules.DeadlineRule:
        """Return the pure rule the working-day functions take."""
        return rules.DeadlineRule(
            code=self.code,
            amount=self.amount,
            valid_from=self.valid_from,
            unit=self.unit,
            count_start_day=self.count_start_day,
        )


class CalendarOverride(models.Model):
    """A local correction of the working-day calendar: an SKB revision or a local decision."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (office closed)")
        WORKING_DAY = "working_day", _("Working day (office open)")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        permissions = [(MANAGE_WORKFLOW_CODENAME, _("Can edit the calendar, deadline rules and lifecycles"))]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class CaseClock(models.Model):
    """A deadline running on a case: which rule, started when, due when, paused while waiting."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused (waiting for the reporter)")
        STOPPED = "stopped", _("Stopped")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    rule_code = models.CharField(_("rule"), max_length=32)
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=DeadlineRule.Unit.choices)
    started_at = models.DateTimeField(_("started at"))
    start_day = models.DateField(_("counted from"))
    due_on = models.DateField(_("due on"), db_index=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("working days paused"), default=0)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    met = models.BooleanField(_("met"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "rule_code"]
        indexes = [models.Index(fields=["state", "due_on"], name="case_clock_state_due")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.rule_code} {self.state} {self.due_on}"

    def is_overdue(self, now: object = None) -> bool:
        """True when the clock still runs (or is paused) and its deadline has passed."""
        if self.state == self.State.STOPPED:
            return False
        moment = now or timezone.now()
        if self.due_at is not None:
            return bool(moment > self.due_at)  # type: ignore[operator]
        return bool(timezone.localdate(moment) > self.due_on)  # type: ignore[arg-type]


class StatusChange(models.Model):
    """One transition made on a case; the reason is sealed with the case's key (it may quote the report)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=32, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=32, choices=CaseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.BinaryField(blank=True, default=b"")
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_status} -> {self.to_status}"

    @property
    def purpose(self) -> str:
        """Return the associated-data purpose that binds the sealed reason to this change."""
        return f"status-change:{self.id}"


class KpkDecision(models.TextChoices):
    """What the KPK decided about a gift (SK)."""

    MILIK_PENERIMA = "milik_penerima", _("The recipient keeps it (milik penerima)")
    MILIK_NEGARA = "milik_negara", _("State property (milik negara)")
    MILIK_NEGARA_KOMPENSASI = "milik_negara_kompensasi", _("State property, the recipient pays its value")
    DISALURKAN_SOSIAL = "disalurkan_sosial", _("Given to a social institution (perishables)")


class GratificationRecord(models.Model):
    """The gratification steps of a case: hand-over to the UPG, forwarding to the KPK, the KPK decision."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="gratification")
    upg_handed_over_on = models.DateField(_("handed over to the UPG on"), null=True, blank=True)
    upg_receipt_number = models.CharField(_("UPG receipt number"), max_length=64, blank=True)
    upg_storage_place = models.CharField(_("storage place"), max_length=200, blank=True)
    kpk_registration_number = models.CharField(_("KPK registration number"), max_length=64, blank=True)
    kpk_forwarded_on = models.DateField(_("forwarded to the KPK on"), null=True, blank=True)
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)
    kpk_decision = models.CharField(_("KPK decision"), max_length=32, choices=KpkDecision.choices, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} UPG {self.upg_receipt_number or '-'} KPK {self.kpk_registration_number or '-'}"


class Notification(models.Model):
    """A reminder shown on a staff member's console home (and e-mailed when configured). Never content."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("A deadline is near")
        OVERDUE = "overdue", _("A deadline has passed")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    clock = models.ForeignKey(CaseClock, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "clock", "kind"], name="notification_once_per_clock")
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.case_id} {self.kind}"


class DestructionRequest(models.Model):
    """A supervisor's request to destroy a case before its retention period ends; another decides."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="destruction_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    grounds = models.CharField(_("grounds"), max_length=200)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decided_at__isnull=True), name="one_open_destruction_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} by {self.requested_by_id}: {self.approved}"
