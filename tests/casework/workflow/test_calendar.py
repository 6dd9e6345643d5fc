"""The working-day calendar as the database holds it: the holidays package, the cuti bersama setting, the
administrator's overrides (console page, audited, running clocks counted again) and deadline rules as data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import CalendarOverride, CaseClock, DeadlineRule
from casework.rules.working_days import Calendar
from casework.staff.roles import Role
from casework.workflow import tables
from casework.workflow.calendar import current_calendar, due_date, working_days_for
from tests.casework.workflow.conftest import file_wbs, logged_in
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


# --- Known answers (pure) ---------------------------------------------------------------------------------------
def test_thirty_working_days_from_10_march_2026_with_and_without_cuti_bersama() -> None:
    assert Calendar(cuti_bersama_is_leave=True).add_working_days(date(2026, 3, 10), 30) == date(2026, 4, 29)
    assert Calendar(cuti_bersama_is_leave=False).add_working_days(date(2026, 3, 10), 30) == date(2026, 4, 23)


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    closed = Calendar(extra_holidays=frozenset(date.fromordinal(date(2026, 1, 1).toordinal() + i) for i in range(1200)))
    with pytest.raises(ValueError, match="no working days"):
        closed.add_working_days(date(2026, 1, 1), 1)


# --- The database calendar ----------------------------------------------------------------------------------------
def test_the_setting_decides_whether_cuti_bersama_counts_as_leave(settings: Any) -> None:
    settings.PELUIT_CUTI_BERSAMA_IS_LEAVE = True
    assert current_calendar().add_working_days(date(2026, 3, 10), 30) == date(2026, 4, 29)
    settings.PELUIT_CUTI_BERSAMA_IS_LEAVE = False
    assert current_calendar().add_working_days(date(2026, 3, 10), 30) == date(2026, 4, 23)


def test_deadline_rules_come_from_the_table_with_effective_dates() -> None:
    assert working_days_for("GRAT_LENGKAPI", on=date(2026, 1, 19)) == 30
    assert working_days_for("GRAT_LENGKAPI", on=date(2026, 1, 20)) == 20
    assert DeadlineRule.objects.get(code="PDP_BREACH").unit == "hours"
    DeadlineRule.objects.filter(code="ADUAN_TIDAK_BERKADAR").update(amount=5)
    assert due_date("ADUAN_TIDAK_BERKADAR", start=date(2026, 3, 2)) == date(2026, 3, 9)


def test_an_override_moves_due_dates_and_running_clocks(staff: IntakeStaff, make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    case = file_wbs()
    clock = CaseClock.objects.get(case=case)
    # 14 working days from Mon 2 Mar 2026: Nyepi and Lebaran (18-24 Mar) are skipped, so Fri 27 Mar.
    clock.start_day, clock.due_on = date(2026, 3, 2), date(2026, 3, 27)
    clock.save()
    assert current_calendar().add_working_days(date(2026, 3, 2), 14) == date(2026, 3, 27)
    tables.calendar_override_add(actor=admin, day=date(2026, 3, 9), kind="holiday", note="Keputusan Wali Kota 1/2026")
    clock.refresh_from_db()
    assert clock.due_on == date(2026, 3, 30)  # one working day later, over the weekend
    event = AuditEvent.objects.get(action=Action.CALENDAR_OVERRIDE_ADDED)
    assert event.details_dict == {"day": "2026-03-09", "kind": "holiday", "clocks_moved": 1}
    tables.calendar_override_remove(actor=admin, override_id=CalendarOverride.objects.get().pk)
    clock.refresh_from_db()
    assert clock.due_on == date(2026, 3, 27)
    assert AuditEvent.objects.filter(action=Action.CALENDAR_OVERRIDE_REMOVED).count() == 1


def test_an_skb_revision_can_cancel_collective_leave(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    assert not current_calendar().is_working_day(date(2026, 5, 15))  # cuti bersama, Ascension
    tables.calendar_override_add(actor=admin, day=date(2026, 5, 15), kind="working_day", note="SKB revisi 2026")
    assert current_calendar().is_working_day(date(2026, 5, 15))


def test_only_administrators_edit_the_calendar_and_bad_input_changes_nothing(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    officer = make_staff(Role.OFFICER)
    with pytest.raises(CaseActionRefused):
        tables.calendar_override_add(actor=officer, day=date(2026, 6, 1), kind="holiday", note="x")
    with pytest.raises(CaseActionRefused, match="note"):
        tables.calendar_override_add(actor=admin, day=date(2026, 6, 1), kind="holiday", note=" ")
    tables.calendar_override_add(actor=admin, day=date(2026, 6, 2), kind="holiday", note="Keputusan lokal")
    with pytest.raises(CaseActionRefused, match="already"):
        tables.calendar_override_add(actor=admin, day=date(2026, 6, 2), kind="working_day", note="dua kali")
    assert CalendarOverride.objects.count() == 1


def test_the_calendar_page(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    client = logged_in(admin)
    page = client.get("/console/calendar/")
    assert page.status_code == 200 and "PDP_BREACH" in page.content.decode()
    response = client.post("/console/calendar/", {"day": "2026-06-03", "kind": "holiday", "note": "Cuti lokal"})
    assert response.status_code == 302
    assert CalendarOverride.objects.get().note == "Cuti lokal"
    bad = client.post("/console/calendar/", {"day": "2026-06-03", "kind": "holiday", "note": "lagi"})
    assert bad.status_code == 400 and "sudah" in bad.content.decode()
    garbage = client.post("/console/calendar/", {"day": "tomorrow", "kind": "moon", "note": "x" * 500})
    assert garbage.status_code == 400
    assert client.post(f"/console/calendar/{CalendarOverride.objects.get().pk}/remove/").status_code == 302
    assert client.post("/console/calendar/999999/remove/").status_code == 302
    assert not CalendarOverride.objects.exists()
    for role in (Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR):
        assert logged_in(make_staff(role)).get("/console/calendar/").status_code == 403
