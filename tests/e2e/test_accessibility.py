"""Accessibility of the reporter pages (axe-core, keyboard) in both languages, and the console at 360 px.

axe-core runs in a context where JavaScript is on only for the check; the pages carry no script of their own
(asserted). The keyboard walk runs with JavaScript off, as reporters are told to browse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, resolve
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case, CaseMessage, StaffUser
from casework.staff.roles import Role
from reports.models import ReportExport
from tests.intake.conftest import IntakeStaff, gratification_post, jpeg_with_gps
from tests.support.accessibility import horizontal_overflow, keyboard_problems, serious_violations
from tests.support.assignment import assign_officers
from tests.support.staff import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = {"id": "", "en": "/en"}
# Reporter pages reached by a plain link. The public pages of the reports package join when they exist.
LINKED_PAGES = ["/", "/report/wbs/", "/report/gratification/", "/follow/", "/libur/", "/tidak-ada/"]
PUBLIC_PAGES_TO_COME = ["/verify/", "/transparansi/", "/standar-layanan/"]
BAD_RECEIPT = "1234-5678-9012-3456"


def _context(browser: Any, live_server: Any, language: str, **options: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, locale=f"{language}-ID", **options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def axe_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """An Indonesian-locale page with JavaScript on, for axe-core only."""
    context = _context(browser, live_server, "id", java_script_enabled=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def keyboard_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A page with JavaScript off, as a reporter would browse."""
    context = _context(browser, live_server, "id", java_script_enabled=False)
    yield context.new_page()
    context.close()


def assert_accessible(page: Any) -> None:
    """The page needs no script, and axe-core finds nothing serious or critical."""
    assert "<script" not in page.content(), f"{page.url} carries a script"
    violations = serious_violations(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)


def assert_keyboard_usable(page: Any) -> None:
    problems = keyboard_problems(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def existing(paths: list[str]) -> list[str]:
    present = []
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            continue
        present.append(path)
    return present


def send_wbs_form(page: Any, prefix: str, photo: Path, *, token: str = "") -> str:
    """Fill in and send the WBS form, under ``token`` when given; return the one-time token it was sent with."""
    page.goto(f"{prefix}/report/wbs/")
    if token:  # the token of a form already sent: the answer is the "already sent" page (409)
        page.evaluate("(t) => { document.querySelector('input[name=submission_token]').value = t; }", token)
    sent_with = str(page.get_attribute("input[name=submission_token]", "value"))
    page.fill("#id_title", "Pungli pembuatan KTP")
    page.select_option("#id_violation_type", "pungli")
    page.fill("#id_what", "Petugas meminta uang Rp50.000 agar KTP cepat jadi.")
    page.select_option("#id_organisation", "kecamatan-tembalang")
    page.set_input_files("#id_attachments", [str(photo)])
    page.click("form.report button[type=submit]")
    return sent_with


def file_wbs_report(page: Any, prefix: str, photo: Path) -> str:
    """File a WBS report through the form; return the receipt from the receipt page (left open)."""
    send_wbs_form(page, prefix, photo)
    return page.inner_text(".receipt-code code").strip()


def open_inbox(page: Any, prefix: str, receipt: str) -> None:
    page.goto(f"{prefix}/follow/")
    page.fill("#id_receipt", receipt)
    page.click("main button[type=submit]")
    assert page.url.endswith(f"{prefix}/follow/inbox/"), page.url


@pytest.mark.parametrize("language", LANGUAGES)
def test_linked_reporter_pages_pass_axe_and_the_keyboard(
    axe_page: Any, keyboard_page: Any, intake_staff: IntakeStaff, language: str
) -> None:
    prefix = LANGUAGES[language]
    for path in LINKED_PAGES + existing(PUBLIC_PAGES_TO_COME):
        axe_page.goto(prefix + path)
        assert axe_page.locator("html").get_attribute("lang") == language
        assert_accessible(axe_page)
        keyboard_page.goto(prefix + path)
        assert_keyboard_usable(keyboard_page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_reporter_pages_after_a_post_pass_axe_and_the_keyboard(
    axe_page: Any, keyboard_page: Any, intake_staff: IntakeStaff, language: str, tmp_path: Path
) -> None:
    prefix = LANGUAGES[language]
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(jpeg_with_gps())

    # Both forms sent empty, and a wrong receipt: the error states.
    for page, check in ((axe_page, assert_accessible), (keyboard_page, assert_keyboard_usable)):
        for form in ("/report/wbs/", "/report/gratification/"):
            page.goto(prefix + form)
            # Past the browser's own required-field checks, so the server's messages show on every field.
            page.evaluate("() => { document.querySelector('form.report').noValidate = true; }")
            page.click("form.report button[type=submit]")
            assert page.locator(".field.invalid").count() > 0
            check(page)
        page.goto(f"{prefix}/follow/")
        page.fill("#id_receipt", BAD_RECEIPT)
        page.click("main button[type=submit]")
        assert page.locator(".error").count() > 0
        check(page)
        if existing(["/verify/"]):  # a photo is not a signed PDF: the verdict
            page.goto(f"{prefix}/verify/")
            page.set_input_files("#id_document", [str(photo)])
            page.click("#verify-form button[type=submit]")
            assert page.locator("#verify-error, #verdict").count() > 0
            check(page)

    # The receipt page, the "already sent" page of a form sent twice, then the inbox with a message.
    token = send_wbs_form(axe_page, prefix, photo)
    receipt = axe_page.inner_text(".receipt-code code").strip()
    assert_accessible(axe_page)
    send_wbs_form(axe_page, prefix, photo, token=token)
    assert axe_page.locator("main h1").inner_text() in ("Sudah terkirim", "Already sent")
    assert_accessible(axe_page)
    assert_keyboard_usable(axe_page)
    assign_officers(Case.objects.get(), intake_staff.officer)  # new reports reach the supervisors only
    sealed.add_message(
        access=intake_staff.keyring(intake_staff.officer),
        case=Case.objects.get(),
        sender=CaseMessage.Sender.INSPECTORATE,
        body="Siapa saksi yang melihat kejadian itu?",
        author=intake_staff.officer,
    )
    open_inbox(axe_page, prefix, receipt)
    assert_accessible(axe_page)
    reply = "form[action$='/follow/reply/']"
    axe_page.evaluate(f'() => {{ document.querySelector("{reply}").noValidate = true; }}')
    axe_page.click(f"{reply} button[type=submit]")  # an empty reply: the inbox with an error
    assert axe_page.locator(".error").count() > 0
    assert_accessible(axe_page)

    keyboard_receipt = file_wbs_report(keyboard_page, prefix, photo)
    assert_keyboard_usable(keyboard_page)
    open_inbox(keyboard_page, prefix, keyboard_receipt)
    assert_keyboard_usable(keyboard_page)


def test_the_keyboard_walk_catches_an_unreachable_control(keyboard_page: Any, live_server: Any) -> None:
    """The check can fail: a control taken out of the tab order is reported."""
    keyboard_page.goto("/follow/")
    keyboard_page.evaluate("() => document.querySelector('#id_receipt').setAttribute('tabindex', '-1')")
    problems = keyboard_problems(keyboard_page)
    assert any("never reached" in p and 'name="receipt"' in p for p in problems), problems


def test_axe_catches_a_serious_violation(axe_page: Any, live_server: Any) -> None:
    """The check can fail: an image without a text alternative is a critical violation."""
    axe_page.goto("/")
    axe_page.evaluate("() => document.querySelector('header img').removeAttribute('alt')")
    assert any("image-alt" in v for v in serious_violations(axe_page))


# --- The console at 360 px ---------------------------------------------------------------------------------
def log_in(page: Any, user: StaffUser) -> None:
    """Log in through both real steps with a TOTP code computed now."""
    page.goto("/auth/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=user, confirmed=True)))
    page.click("main button[type=submit]")
    assert page.url.endswith("/console/"), page.url


def console_pages(users: dict[str, StaffUser], case: Case, gift: Case) -> dict[StaffUser, list[str]]:
    """Console pages to start from, by who can open them; every console link on them is followed as well."""
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    export = ReportExport.objects.create(kind="recap", requested_by=users["auditor"], progress=40)  # in progress
    common = ["/console/", "/console/security/password/", "/console/security/backup-codes/"]
    officer_pk = users["officer"].pk
    return {
        users["officer"]: [
            *common,
            "/console/cases/",
            f"/console/cases/{case.number}/",
            f"/console/cases/{gift.number}/",
        ],
        users["newcomer"]: [f"/console/cases/{case.number}/"],  # not granted: the "no access" page
        users["supervisor"]: [
            *common,
            "/console/cases/",
            f"/console/cases/{case.number}/",
            f"/console/cases/{gift.number}/",
            f"/console/cases/{case.number}/retention/",
            "/console/sla/",
            "/console/reports/",
            "/console/reports/statistics/",
            "/console/reports/forwarding/",
            f"/console/reports/forwarding/{case.number}/",
        ],
        users["admin"]: [*common, "/console/staff/", "/console/staff/new/", f"/console/staff/{officer_pk}/"],
        users["auditor"]: [
            *common,
            "/console/audit/",
            f"/console/audit/events/{event.seq}/",
            f"/console/reports/exports/{export.pk}/",
        ],
    }


# Links that are downloads or actions, not pages.
NOT_A_PAGE = re.compile(r"/files/|/pdf/|\.csv|/logout/")
MAX_PAGES_PER_USER = 60
# An export in progress reloads itself every few seconds (<meta http-equiv="refresh">).
REFRESHING = re.compile(r"/reports/exports/")


def page_kind(path: str) -> str:
    """Pages that differ only by a number (an audit event, a staff account, a case) share one template."""
    return re.sub(r"\d+", "N", path)


def console_links(page: Any, prefix: str) -> list[str]:
    """Return the console pages this page links to (same language, without the fragment), in page order."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        path = href.split("#")[0]
        if not path.startswith(f"{prefix}/console/") or NOT_A_PAGE.search(path):
            continue
        found.append(path.removeprefix(prefix))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_console_pages_fit_a_360_px_screen(
    browser: Any, live_server: Any, intake_staff: IntakeStaff, make_staff: Any, language: str, tmp_path: Path
) -> None:
    prefix = LANGUAGES[language]
    photo = tmp_path / "foto-dengan-nama-yang-cukup-panjang-untuk-tabel.jpg"
    photo.write_bytes(jpeg_with_gps())
    reporter = _context(browser, live_server, language, java_script_enabled=False).new_page()
    file_wbs_report(reporter, prefix, photo)
    case = Case.objects.get()
    assert Client().post(f"{prefix}/report/gratification/", gratification_post()).status_code == 200
    gift = Case.objects.exclude(pk=case.pk).get()
    for held in (case, gift):  # the officer holds both, as a supervisor's assignment would give them
        assign_officers(held, intake_staff.officer)
    sealed.add_message(
        access=intake_staff.keyring(intake_staff.officer),
        case=case,
        sender=CaseMessage.Sender.INSPECTORATE,
        body="Mohon kirim foto yang lebih jelas dari loket pelayanan.",
        author=intake_staff.officer,
    )
    users = {
        "officer": intake_staff.officer,
        "supervisor": intake_staff.supervisor,
        "newcomer": make_staff(Role.OFFICER, username="petugas-baru"),  # after the report: holds no key to it
        "admin": make_staff(Role.ADMIN, username="admin-it"),
        "auditor": make_staff(Role.AUDITOR, username="auditor"),
    }

    wide: list[str] = []
    visited: set[str] = set()
    for user, paths in console_pages(users, case, gift).items():
        # JavaScript off, as the console needs none; a phone-sized, touch viewport.
        context = _context(
            browser, live_server, language, java_script_enabled=False, viewport={"width": 360, "height": 740}
        )
        page = context.new_page()
        log_in(page, user)
        queue, seen = list(paths), set(paths)
        kinds = {page_kind(path) for path in paths}
        while queue:  # the given pages, then every console page they link to (transitions, triage, ...)
            path = queue.pop(0)
            if REFRESHING.search(path) and not all(REFRESHING.search(later) for later in queue):
                queue.append(path)  # a page that reloads itself would abort the next navigation: keep it last
                continue
            response = page.goto(prefix + path)
            assert response is not None and response.status < 500, page.url
            assert page.locator("main h1").count() == 1, page.url
            overflow = horizontal_overflow(page)
            if overflow:
                wide.append(f"{prefix}{path} as {user.username}: {overflow} px too wide")
            if REFRESHING.search(path):
                continue
            for link in console_links(page, prefix):
                if page_kind(link) not in kinds and len(seen) < MAX_PAGES_PER_USER:
                    kinds.add(page_kind(link))
                    seen.add(link)
                    queue.append(link)
        visited.update(f"{path} ({user.username})" for path in seen)
        context.close()
    for path in ("/auth/login/", "/auth/verify/"):
        page = _context(browser, live_server, language, viewport={"width": 360, "height": 740}).new_page()
        page.goto(prefix + path)
        if horizontal_overflow(page):
            wide.append(f"{prefix}{path}: {horizontal_overflow(page)} px too wide")
        page.context.close()
    assert not wide, "\n".join(wide)
    # The crawl reached the pages the case detail links to, not only the ones named above.
    assert any("/status/" in page for page in visited), sorted(visited)
    assert any("/triage/" in page for page in visited), sorted(visited)
    assert any("/upg/" in page for page in visited), sorted(visited)
    assert any("/calendar/" in page for page in visited), sorted(visited)
