"""The satisfaction survey (SKM): a closed case's reporter answers once, in the inbox or the API; an open case's
cannot; wrong answers are refused with a message and nothing stored; the answer carries nothing that links it
to the case; the index appears only over enough answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import Case, SurveyElement, SurveyResponse
from casework.survey.services import SurveyRefused, survey_submit
from reports.periods import Period
from reports.satisfaction import satisfaction_summary
from tests.intake.conftest import IntakeStaff, wbs_post
from vault import services as vault

pytestmark = pytest.mark.django_db


def _report(client: Client) -> tuple[Case, dict[str, str]]:
    body = client.post("/api/v1/reports/wbs", wbs_post()).json()
    case = Case.objects.get(number=body["case_number"])
    return case, {"X-Peluit-Receipt": body["receipt_formatted"], "Accept-Language": "en"}


def _close(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now(), outcome="terbukti")


def _answers(score: int = 4) -> dict[str, int]:
    return {e.code: score for e in SurveyElement.objects.filter(active=True)}


def test_nine_elements_are_seeded_as_data() -> None:
    assert [e.code for e in SurveyElement.objects.order_by("position")] == [f"U{n}" for n in range(1, 10)]


def test_a_closed_cases_reporter_answers_once_in_the_inbox(intake_staff: IntakeStaff) -> None:
    client = Client()
    case, headers = _report(client)
    assert client.post("/en/follow/", {"receipt": headers["X-Peluit-Receipt"]}).status_code == 302
    assert 'id="survey"' not in client.get("/en/follow/inbox/").content.decode()
    # An open case cannot answer: 409, nothing stored.
    refused = client.post("/en/follow/survey/", {**_answers(), "comment": ""})
    assert refused.status_code == 409 and "finished" in refused.content.decode()
    assert not SurveyResponse.objects.exists()

    _close(case)
    inbox = client.get("/en/follow/inbox/").content.decode()
    assert 'id="survey"' in inbox and 'name="U9"' in inbox
    answer = client.post("/en/follow/survey/", {**_answers(3), "U1": "4", "comment": "Cepat dan ramah."})
    assert answer.status_code == 302 and answer["Location"].endswith("?survey=1")
    response = SurveyResponse.objects.get()
    assert response.scores["U1"] == 4 and response.scores["U2"] == 3
    assert response.service == "wbs" and response.quarter.day == 1 and response.quarter.month in (1, 4, 7, 10)
    # The comment is sealed, not stored in the clear; the supervisors' and escrow key can open it.
    assert b"Cepat" not in bytes(response.comment) and len(bytes(response.comment)) > 0
    assert 'id="survey"' not in client.get("/en/follow/inbox/?survey=1").content.decode()
    # A second answer is refused.
    again = client.post("/en/follow/survey/", {**_answers(), "comment": ""})
    assert again.status_code == 409 and "already been answered" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    # The audit event names the case and nothing of the answer.
    event = AuditEvent.objects.get(action=Action.SURVEY_ANSWERED)
    assert event.case_ref == case.number and "U1" not in event.details and "Cepat" not in event.details


def test_the_answer_row_holds_nothing_that_links_it_to_the_case(intake_staff: IntakeStaff) -> None:
    client = Client()
    case, headers = _report(client)
    _close(case)
    assert (
        client.post(
            "/api/v1/followup/survey", {"scores": _answers()}, content_type="application/json", headers=headers
        ).status_code
        == 201
    )
    fields = {f.name for f in SurveyResponse._meta.get_fields()}
    assert fields == {"id", "service", "quarter", "scores", "comment"}
    row = SurveyResponse.objects.values().get()
    assert case.number not in str(row) and str(case.pk) not in str(row)
    assert isinstance(row["quarter"], date)


@pytest.mark.parametrize(
    ("scores", "status", "word"),
    [
        ({"U1": 5}, 400, "1 to 4"),
        ({"U1": 0}, 400, "1 to 4"),
        ({"U1": "4"}, 400, "1 to 4"),
        ({"U1": 2.5}, 400, "1 to 4"),
        ({"U1": True}, 400, "1 to 4"),
        ({"U99": 4}, 400, "no such question"),
        ({"U9": None}, 400, "1 to 4"),
    ],
)
def test_the_api_refuses_bad_answers_and_stores_nothing(
    intake_staff: IntakeStaff, scores: dict[str, Any], status: int, word: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    case, headers = _report(client)
    _close(case)
    body = client.post(
        "/api/v1/followup/survey",
        {"scores": {**_answers(), **scores}},
        content_type="application/json",
        headers=headers,
    )
    assert body.status_code == status
    assert word in str(body.json()), body.json()
    assert not SurveyResponse.objects.exists() and not Case.objects.get(pk=case.pk).survey_answered


def test_the_api_offers_the_survey_once_and_refuses_open_and_unknown_cases(intake_staff: IntakeStaff) -> None:
    client = Client(enforce_csrf_checks=True)
    case, headers = _report(client)
    follow = client.get("/api/v1/followup", headers=headers).json()
    assert follow["survey"] == {"open": False, "elements": []}
    payload = {"scores": _answers(), "comment": "x" * 2001}
    still_open = client.post(
        "/api/v1/followup/survey", {"scores": _answers()}, content_type="application/json", headers=headers
    )
    assert still_open.status_code == 409 and "finished" in still_open.json()["detail"]
    _close(case)
    follow = client.get("/api/v1/followup", headers=headers).json()
    assert follow["survey"]["open"] and len(follow["survey"]["elements"]) == 9
    assert len(follow["survey"]["elements"][0]["answers"]) == 4
    too_long = client.post("/api/v1/followup/survey", payload, content_type="application/json", headers=headers)
    assert too_long.status_code == 400 and "2000" in too_long.json()["detail"]
    ok = client.post(
        "/api/v1/followup/survey", {"scores": _answers()}, content_type="application/json", headers=headers
    )
    assert ok.status_code == 201
    second = client.post(
        "/api/v1/followup/survey", {"scores": _answers()}, content_type="application/json", headers=headers
    )
    assert second.status_code == 409
    unknown = {"X-Peluit-Receipt": "1111 2222 3333 4444", "Accept-Language": "en"}
    stranger = client.post(
        "/api/v1/followup/survey", {"scores": _answers()}, content_type="application/json", headers=unknown
    )
    assert stranger.status_code in (401, 403) and stranger.json()["detail"]
    assert SurveyResponse.objects.count() == 1


def test_the_index_is_shown_only_over_enough_answers_in_ended_quarters(
    intake_staff: IntakeStaff, settings: Any
) -> None:
    settings.PELUIT_SKM_MIN_ANSWERS = 10
    settings.PELUIT_MIN_CELL = 5
    from tests.reports.conftest import make_case

    def answer(score: int, day: date) -> None:
        case = make_case()
        Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())
        case.refresh_from_db()
        survey_submit(case=case, scores=_answers(score), today=day)

    for _ in range(6):
        answer(4, date(2025, 2, 10))
    for _ in range(4):
        answer(3, date(2025, 3, 10))
    for _ in range(3):
        answer(2, date(2025, 5, 10))  # Q2: only 3 answers
    summary = satisfaction_summary(
        period=Period(date(2025, 1, 1), date(2025, 12, 31)), kind="wbs", today=date(2026, 1, 5)
    )
    rows = {row.key: row for row in summary.periods}
    q1 = rows["2025-Q1"]
    assert q1.answers == 10 and q1.index == Decimal("90.00") and q1.grade == "A"  # (6×4 + 4×3)/10 × 25
    assert not rows["2025-Q2"].shown
    # The whole year would give Q2 back by subtraction: it is hidden as well.
    assert not rows["period"].shown
    # A quarter still running is never counted.
    running = satisfaction_summary(
        period=Period(date(2025, 1, 1), date(2025, 12, 31)), kind="wbs", today=date(2025, 3, 20)
    )
    assert running.periods == ()


def test_a_second_answer_at_once_is_refused_by_the_service(intake_staff: IntakeStaff) -> None:
    from tests.reports.conftest import make_case

    case = make_case()
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())
    case.refresh_from_db()
    stale = Case.objects.get(pk=case.pk)
    survey_submit(case=case, scores=_answers())
    with pytest.raises(SurveyRefused) as refused:
        survey_submit(case=stale, scores=_answers())  # a copy loaded before the first answer
    assert refused.value.status == 409
    assert SurveyResponse.objects.count() == 1


def test_supervisors_can_open_a_sealed_comment(intake_staff: IntakeStaff) -> None:
    from tests.reports.conftest import make_case

    case = make_case()
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())
    case.refresh_from_db()
    response = survey_submit(case=case, scores=_answers(), comment="Petugas sangat membantu.")
    from casework.survey.services import COMMENT_PURPOSE
    from tests.support.staff import PASSWORD

    assert intake_staff.supervisor.pk in vault.envelope_readers(bytes(response.comment))
    keyring = vault.unlock_keyring(user=intake_staff.supervisor, password=PASSWORD)
    plain = vault.open_envelope(
        access=keyring, item_id=response.id, purpose=COMMENT_PURPOSE, blob=bytes(response.comment)
    )
    assert plain.decode() == "Petugas sangat membantu."
