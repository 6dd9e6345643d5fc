"""What administrators edit without code: calendar overrides (console page) and the lifecycle and deadline
tables (``manage.py lifecycle_rules``: export to JSON, edit, import). Every change is audited."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import CaseKind, CaseStatus, Outcome, PublicStatus
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.staff.roles import MANAGE_WORKFLOW
from casework.workflow import clocks
from casework.workflow.models import (
    ALL_CLOCKS,
    TRANSITION_PERMISSIONS,
    CalendarOverride,
    DeadlineRule,
    Transition,
)

MAX_NOTE = 200
TRANSITION_FIELDS = (
    "kind",
    "from_status",
    "to_status",
    "permission",
    "reason_required",
    "closes",
    "outcome",
    "requires",
    "public_status",
    "start_clocks",
    "stop_clocks",
    "pause_clocks",
    "resume_clocks",
    "position",
)
RULE_FIELDS = ("code", "amount", "unit", "valid_from", "count_start_day", "description")


def _manager(actor: StaffUser) -> None:
    if not (actor.is_active and actor.has_perm(MANAGE_WORKFLOW)):
        raise CaseActionRefused(_("Only an administrator can change the calendar."))


@transaction.atomic
def calendar_override_add(*, actor: StaffUser, day: date, kind: str, note: str) -> CalendarOverride:
    """Add an override for ``day`` (an SKB revision or a local decision); running clocks are counted again."""
    _manager(actor)
    text = note.strip()
    if kind not in CalendarOverride.Kind.values:
        raise CaseActionRefused(_("Choose whether the office is closed or open on that day."))
    if not text or len(text) > MAX_NOTE or "\n" in text:
        raise CaseActionRefused(_("Write a note of one line (at most 200 characters), e.g. the SKB's number."))
    if CalendarOverride.objects.filter(day=day).exists():
        raise CaseActionRefused(_("That date already has an override; remove it first."))
    override = CalendarOverride.objects.create(day=day, kind=kind, note=text, created_by=actor)
    moved = clocks.recompute_due_dates(day=day)
    audit_record(
        action=Action.CALENDAR_OVERRIDE_ADDED,
        actor=actor,
        details={"day": day.isoformat(), "kind": kind, "clocks_moved": moved},
    )
    return override


@transaction.atomic
def calendar_override_remove(*, actor: StaffUser, override_id: int) -> None:
    """Remove an override; running clocks are counted again."""
    _manager(actor)
    override = CalendarOverride.objects.filter(pk=override_id).first()
    if override is None:
        raise CaseActionRefused(_("That override does not exist (any more)."))
    day, kind = override.day, override.kind
    override.delete()
    moved = clocks.recompute_due_dates(day=day)
    audit_record(
        action=Action.CALENDAR_OVERRIDE_REMOVED,
        actor=actor,
        details={"day": day.isoformat(), "kind": kind, "clocks_moved": moved},
    )


# --- Lifecycle and deadline tables as JSON -----------------------------------------------------------------
def export_tables() -> dict[str, Any]:
    """Return the transition and deadline tables as a JSON-ready document."""
    return {
        "transitions": [{name: getattr(row, name) for name in TRANSITION_FIELDS} for row in Transition.objects.all()],
        "deadline_rules": [
            {
                **{name: getattr(row, name) for name in RULE_FIELDS},
                "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            }
            for row in DeadlineRule.objects.all()
        ],
    }


class TableError(ValueError):
    """The imported document is not a valid table; nothing was changed."""


def _check_rule(item: dict[str, Any], where: str) -> DeadlineRule:
    unknown = set(item) - set(RULE_FIELDS)
    if unknown:
        raise TableError(f"{where}: unknown fields {sorted(unknown)}")
    code = str(item.get("code", "")).strip()
    if not code or len(code) > 32 or not code.replace("_", "").isalnum():
        raise TableError(f"{where}: code must be letters, digits and _")
    amount = item.get("amount")
    if not isinstance(amount, int) or not 1 <= amount <= 1000:
        raise TableError(f"{where}: amount must be a whole number from 1 to 1000")
    unit = item.get("unit", DeadlineRule.Unit.WORKING_DAYS)
    if unit not in DeadlineRule.Unit.values:
        raise TableError(f"{where}: unit must be one of {DeadlineRule.Unit.values}")
    valid_from = item.get("valid_from")
    try:
        day = date.fromisoformat(valid_from) if valid_from else None
    except (TypeError, ValueError) as exc:
        raise TableError(f"{where}: valid_from must be YYYY-MM-DD or null") from exc
    return DeadlineRule(
        code=code,
        amount=amount,
        unit=unit,
        valid_from=day,
        count_start_day=bool(item.get("count_start_day")),
        description=str(item.get("description", ""))[:200],
    )


def _check_transition(item: dict[str, Any], where: str, codes: set[str]) -> Transition:
    unknown = set(item) - set(TRANSITION_FIELDS)
    if unknown:
        raise TableError(f"{where}: unknown fields {sorted(unknown)}")
    choices = {
        "kind": CaseKind.values,
        "from_status": CaseStatus.values,
        "to_status": CaseStatus.values,
        "permission": [name for name, _label in TRANSITION_PERMISSIONS],
        "public_status": PublicStatus.values,
        "outcome": ["", *Outcome.values],
        "requires": Transition.Requires.values,
    }
    for name, allowed in choices.items():
        if item.get(name, "") not in allowed:
            raise TableError(f"{where}: {name} must be one of {sorted(allowed)}")
    for name in ("start_clocks", "stop_clocks", "pause_clocks", "resume_clocks"):
        for code in Transition.codes(str(item.get(name, ""))):
            if code != ALL_CLOCKS and code not in codes:
                raise TableError(f"{where}: {name} names the unknown rule {code}")
    if ALL_CLOCKS in Transition.codes(str(item.get("start_clocks", ""))):
        raise TableError(f"{where}: start_clocks must name rules, not *")
    if item.get("outcome") and not item.get("closes"):
        raise TableError(f"{where}: only a closing transition records an outcome")
    return Transition(**{name: item[name] for name in TRANSITION_FIELDS if name in item})


@transaction.atomic
def import_tables(*, document: dict[str, Any]) -> tuple[int, int]:
    """Replace both tables with ``document`` (as ``export_tables`` writes it) after checking every row.

    Raises ``TableError`` naming the first bad row; then nothing was changed. Audited as a system change.
    Cases keep their status, stored public status and running clocks.
    """
    if not isinstance(document, dict) or set(document) != {"transitions", "deadline_rules"}:
        raise TableError('the document must have exactly "transitions" and "deadline_rules"')
    rules = [_check_rule(item, f"deadline_rules[{i}]") for i, item in enumerate(document["deadline_rules"])]
    if len({(r.code, r.valid_from) for r in rules}) != len(rules):
        raise TableError("deadline_rules: a code appears twice with the same valid_from")
    codes = {r.code for r in rules}
    steps = [_check_transition(item, f"transitions[{i}]", codes) for i, item in enumerate(document["transitions"])]
    if len({(t.kind, t.from_status, t.to_status) for t in steps}) != len(steps):
        raise TableError("transitions: the same step appears twice")
    Transition.objects.all().delete()
    DeadlineRule.objects.all().delete()
    DeadlineRule.objects.bulk_create(rules)
    Transition.objects.bulk_create(steps)
    audit_record(
        action=Action.LIFECYCLE_RULES_CHANGED,
        actor="system",
        details={"transitions": len(steps), "deadline_rules": len(rules)},
    )
    return len(steps), len(rules)


def dumps(document: dict[str, Any]) -> str:
    """Return the document as indented JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False)
