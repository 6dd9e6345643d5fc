"""Search in held cases (issue 11 item 11): decrypted in the request, no index, the query never kept or logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import translation

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.search import MAX_RESULTS, BadQuery, query_terms, search_held_cases
from casework.models import Case, CaseMessage
from casework.staff.roles import Role
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, upload, wbs_post
from tests.support.assignment import assign_officers
from tests.support.staff import login
from vault import services as vault

pytestmark = pytest.mark.django_db

QUERY = "Kanarikata"  # a word that occurs nowhere but in one report


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    return create_intake_staff(make_staff)


def submit(files: tuple[Any, ...] = (), **overrides: Any) -> intake_services.Submission:
    form = WbsReportForm(wbs_post(**overrides))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    submission = intake_services.submit_wbs_report(data=data, attachments=list(files))
    assign_officers(submission.case)  # new reports reach the supervisors only; triage puts the officers on the team
    return submission


def logged_in(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def search(client: Client, query: str, *, lang: str = "") -> Any:
    prefix = f"/{lang}" if lang else ""
    return client.post(f"{prefix}/console/search/", {"q": query})


def test_an_officer_finds_the_held_cases_that_contain_every_word(staff: IntakeStaff) -> None:
    match = submit(what=f"Bendahara meminta setoran {QUERY} setiap bulan dari pedagang pasar.").case
    other = submit(what="Pengadaan laptop dengan harga yang digelembungkan oleh panitia.").case
    hidden = submit(
        what=f"Laporan lain yang juga menyebut {QUERY} dan setoran.",
        exclude_recipients=[str(staff.officer.pk)],
    ).case
    client = logged_in(staff.officer)
    response = search(client, f"setoran {QUERY.upper()}")
    html = response.content.decode()
    assert response.status_code == 200
    assert match.number in html and other.number not in html
    assert hidden.number not in html  # not held: never opened, never listed
    assert "1 dari 2 kasus yang Anda pegang cocok" in html
    assert f"setoran {QUERY} setiap bulan" in html  # the snippet around the first word
    assert "Apa yang terjadi" in html  # where it was found: the field's label
    # AND: both words must occur in the case.
    assert match.number not in search(client, f"{QUERY} laptop").content.decode()
    assert 'id="no-hits"' in search(client, f"{QUERY} laptop").content.decode()
    # A "quoted phrase" must occur as written (spaces and case do not matter).
    assert match.number in search(client, '"Setoran   kanarikata"').content.decode()
    assert match.number not in search(client, '"kanarikata setoran"').content.decode()


def test_messages_and_file_names_are_searched_but_not_the_acknowledgement(staff: IntakeStaff) -> None:
    submission = submit(files=(upload("bukti-Kwitansi.txt", b"isi kwitansi\n", "text/plain"),))
    access = vault.reporter_access(receipt=submission.receipt)
    intake_services.post_reporter_message(access=access, body="Saksinya bernama Pak Darmo dari RT 05.")
    client = logged_in(staff.officer)
    by_message = search(client, "darmo").content.decode()
    assert submission.case.number in by_message and "Sebuah pesan" in by_message
    by_file = search(client, "kwitansi").content.decode()
    assert submission.case.number in by_file and "Sebuah nama berkas" in by_file
    # Every case's acknowledgement says "Terima kasih"; automatic messages are not searched.
    assert 'id="no-hits"' in search(client, "terima kasih").content.decode()


def test_the_search_is_audited_once_and_the_query_is_kept_nowhere(
    staff: IntakeStaff, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(3):
        submit(what=f"Laporan nomor {number} tentang {QUERY} di kelurahan.")
    before = AuditEvent.objects.count()
    caplog.set_level(logging.DEBUG)
    response = search(logged_in(staff.officer), f"{QUERY} kelurahan")
    assert response.status_code == 200 and response.content.decode().count('class="search-hit"') == 3
    events = list(AuditEvent.objects.filter(seq__gt=before).exclude(action=Action.LOGIN_SUCCEEDED.value))
    assert [event.action for event in events] == [Action.REPORT_UNSEALED.value]
    assert events[0].actor_staff_id == staff.officer.pk
    assert events[0].details_dict == {"via": "officer", "scope": "data", "reports": 3, "purpose": "search"}
    assert QUERY.casefold() not in caplog.text.casefold()
    # Nothing stored anywhere holds the query or the decrypted text (no index, no session copy).
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the database itself
            for row in cursor.fetchall():
                flat = " ".join(str(value) for value in row).casefold()
                assert QUERY.casefold() not in flat, table


def test_a_get_never_searches(staff: IntakeStaff) -> None:
    case = submit(what=f"Sesuatu tentang {QUERY} yang cukup panjang.").case
    response = logged_in(staff.officer).get(f"/console/search/?q={QUERY}")
    assert response.status_code == 200 and case.number not in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 201, "at most 200 characters"),
        ("a b c d e f g h i", "at most 8 words"),
        ("x", "at least 2 characters"),
        ('""', "Type what you are looking for."),
    ],
)
def test_bad_queries_get_a_clear_message_and_open_nothing(staff: IntakeStaff, query: str, message: str) -> None:
    submit()
    response = search(logged_in(staff.officer), query, lang="en")
    assert response.status_code == 400 and message in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).exists()


def test_only_case_readers_may_search(staff: IntakeStaff, make_staff: Any) -> None:
    submit(what=f"Teks {QUERY} di laporan ini.")
    for role in (Role.AUDITOR, Role.ADMIN):
        client = logged_in(make_staff(role, username=f"u-{role}"))
        assert client.get("/console/search/").status_code == 403
        response = search(client, QUERY)
        assert response.status_code == 403 and QUERY not in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).exists()


def test_a_locked_keyring_asks_to_log_in_again(staff: IntakeStaff) -> None:
    submit()
    client = logged_in(staff.officer)
    for name in list(client.cookies):
        if name.startswith("peluit_vault"):
            del client.cookies[name]
    # Without the vault cookie the console session counts as logged out (issue 9 item 11): back to the login.
    response = search(client, "pungutan")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).exists()


def test_a_case_that_does_not_open_is_counted_and_the_rest_are_searched(staff: IntakeStaff) -> None:
    good = submit(what=f"Laporan utuh tentang {QUERY} yang bisa dibaca.").case
    broken = submit(what=f"Laporan rusak tentang {QUERY} yang tidak bisa dibaca.").case
    content = bytearray(Case.objects.get(pk=broken.pk).content)
    content[-1] ^= 1
    Case.objects.filter(pk=broken.pk).update(content=bytes(content))
    result = search_held_cases(keyring=staff.keyring(staff.officer), query=QUERY)
    assert [hit.case.number for hit in result.hits] == [good.number]
    assert result.searched == 1 and result.unreadable == 1


def test_a_case_number_opens_that_case_for_whoever_may_list_it(staff: IntakeStaff) -> None:
    """Numbers do not follow arrival, so the search box finds a case by its number (outside probe, stop 29)."""
    held = submit(what="Laporan tentang pungutan di loket.").case
    hidden = submit(what="Laporan tentang staf inspektorat.", exclude_recipients=[str(staff.officer.pk)]).case
    officer = logged_in(staff.officer)
    response = search(officer, f"  {held.number.lower()} ")
    assert response.status_code == 302 and response["Location"] == f"/console/cases/{held.number}/"
    # A case the officer may not list is searched for as words: nothing found, nothing told.
    response = search(officer, hidden.number)
    assert response.status_code == 200 and f"/console/cases/{hidden.number}/" not in response.content.decode()
    assert search(logged_in(staff.supervisor), hidden.number).status_code == 302


def test_results_are_capped_newest_first(staff: IntakeStaff, settings: Any) -> None:
    numbers = [submit(what=f"Laporan ke-{n} tentang {QUERY} di dinas.").case.number for n in range(3)]
    # Reports of the same hour have no order (their numbers do not count); these came in an hour apart.
    for hours, number in enumerate(numbers):
        Case.objects.filter(number=number).update(received_at=F("received_at") + timedelta(hours=hours))
    import casework.cases.search as search_module

    original = search_module.MAX_RESULTS
    search_module.MAX_RESULTS = 2
    try:
        result = search_held_cases(keyring=staff.keyring(staff.officer), query=QUERY)
    finally:
        search_module.MAX_RESULTS = original
    assert result.total == 3 and result.truncated
    assert [hit.case.number for hit in result.hits] == numbers[::-1][:2]
    assert MAX_RESULTS == original


def test_query_terms() -> None:
    assert query_terms('  Uang "Pelicin  Rp75.000" uang ') == ["uang", "pelicin rp75.000"]
    with pytest.raises(BadQuery):
        query_terms("")


def test_messages_written_by_staff_are_searched(staff: IntakeStaff) -> None:
    from casework.cases.services import case_reply

    case = submit().case
    case_reply(case=case, keyring=staff.keyring(staff.officer), body="Mohon kirim foto kwitansi Zebrakata.")
    assert CaseMessage.objects.filter(case=case, author=staff.officer).exists()
    result = search_held_cases(keyring=staff.keyring(staff.other_officer), query="zebrakata")
    assert [hit.case.number for hit in result.hits] == [case.number]


def test_the_raw_report_only_rules_cases_out(staff: IntakeStaff) -> None:
    """Words are first looked for in the report's raw JSON; what matches there is checked field by field."""
    case = submit(what="Dia menyerahkan berkas kwitansi\\palsu-77 kepada bendahara.").case
    client = logged_in(staff.officer)
    # In the raw JSON (a key; the organisation's code) but in no searched field: no match.
    assert 'id="no-hits"' in search(client, "violation_type").content.decode()
    assert 'id="no-hits"' in search(client, "kecamatan-tembalang").content.decode()
    # JSON writes a backslash as two: such a word skips the raw sieve and is still found.
    assert case.number in search(client, "KWITANSI\\palsu-77").content.decode()
    assert case.number in search(client, "bendahara kwitansi\\palsu-77").content.decode()
