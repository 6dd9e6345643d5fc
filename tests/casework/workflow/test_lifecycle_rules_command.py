"""The inspectorate changes its lifecycles and deadline rules without code: export, edit, import (checked
row by row; a wrong file changes nothing), and the console follows the new table at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import DeadlineRule, Transition
from tests.casework.workflow.conftest import file_wbs, move
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def export(tmp_path: Path) -> dict:
    out = tmp_path / "lifecycles.json"
    call_command("lifecycle_rules", "export", "--out", str(out))
    return json.loads(out.read_text())


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    document = export(tmp_path)
    assert len(document["transitions"]) == Transition.objects.count() > 30
    assert {"code": "PDP_BREACH", "amount": 72, "unit": "hours"}.items() <= next(
        r for r in document["deadline_rules"] if r["code"] == "PDP_BREACH"
    ).items()
    source = tmp_path / "same.json"
    source.write_text(json.dumps(document))
    call_command("lifecycle_rules", "import", str(source))
    assert export(tmp_path) == document
    assert AuditEvent.objects.filter(action=Action.LIFECYCLE_RULES_CHANGED).count() == 1


def test_an_edited_table_changes_the_lifecycle_without_code(tmp_path: Path, staff: IntakeStaff) -> None:
    document = export(tmp_path)
    for row in document["transitions"]:
        if (row["kind"], row["from_status"], row["to_status"]) == ("wbs", "diterima", "verifikasi"):
            row["reason_required"] = True
            row["permission"] = "casework.supervise_cases"
    for rule in document["deadline_rules"]:
        if rule["code"] == "ADUAN_TIDAK_BERKADAR":
            rule["amount"] = 10
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    call_command("lifecycle_rules", "import", str(edited))
    case = file_wbs()
    assert DeadlineRule.objects.get(code="ADUAN_TIDAK_BERKADAR").amount == 10
    assert case.clocks.get().amount == 10
    with pytest.raises(CaseActionRefused, match="Only a supervisor"):
        move(case, "verifikasi", staff=staff, user=staff.officer, reason="x")
    with pytest.raises(CaseActionRefused, match="reason"):
        move(case, "verifikasi", staff=staff)
    assert move(case, "verifikasi", staff=staff, reason="Lengkap").status == "verifikasi"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["transitions"][0].update(to_status="hilang"), "to_status"),
        (lambda d: d["transitions"][0].update(permission="casework.manage_staff"), "permission"),
        (lambda d: d["transitions"][0].update(start_clocks="TIDAK_ADA"), "unknown rule"),
        (lambda d: d["transitions"][0].update(surprise=1), "unknown fields"),
        (lambda d: d["transitions"].append(dict(d["transitions"][0])), "twice"),
        (lambda d: d["deadline_rules"][0].update(amount=0), "amount"),
        (lambda d: d["deadline_rules"][0].update(valid_from="kemarin"), "valid_from"),
        (lambda d: d.update(extra=[]), "exactly"),
    ],
)
def test_a_wrong_file_changes_nothing(tmp_path: Path, change: object, message: str) -> None:
    document = export(tmp_path)
    before = (Transition.objects.count(), DeadlineRule.objects.count())
    change(document)  # type: ignore[operator]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(CommandError, match=message):
        call_command("lifecycle_rules", "import", str(bad))
    assert (Transition.objects.count(), DeadlineRule.objects.count()) == before
    assert not AuditEvent.objects.filter(action=Action.LIFECYCLE_RULES_CHANGED).exists()


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("lifecycle_rules", "import", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("lifecycle_rules", "import", str(tmp_path / "missing.json"))
