"""The reporter answers the satisfaction survey: once per closed case, anonymously.

One transaction flips the case's ``survey_answered`` flag (only if the case is closed, not destroyed and not yet
answered: a second answer, an open case or two answers at once are refused), stores the answer without any link
to the case, and records ``intake.survey_answered`` with the case number and nothing of the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case
from casework.rules import satisfaction as rules
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import staff_with_permission
from casework.survey.models import SurveyResponse
from casework.survey.selectors import quarter_of, survey_elements
from vault import services as vault

MAX_COMMENT_CHARS = 2000
COMMENT_PURPOSE = "survey-comment"


class SurveyRefused(Exception):
    """The answer cannot be taken; ``message`` says why, ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = dict(errors or {})


def check_scores(scores: Mapping[str, object]) -> dict[str, int]:
    """Return the scores of every element asked, or raise ``SurveyRefused`` (400) naming the wrong ones."""
    elements = survey_elements()
    codes = {e.code for e in elements}
    errors: dict[str, str] = {}
    for element in elements:
        if element.code not in scores or scores[element.code] in (None, ""):
            errors[element.code] = _("Choose an answer from 1 to 4.")
        elif not rules.valid_score(scores[element.code]):
            errors[element.code] = _("An answer is a whole number from 1 to 4.")
    for code in scores:
        if code not in codes:
            errors[str(code)[:16]] = _("There is no such question in the survey.")
    if errors:
        raise SurveyRefused(_("Please answer every question with 1 to 4. Nothing has been saved."), errors=errors)
    return {code: int(str(scores[code])) for code in sorted(codes)}


def _refusal(case: Case) -> SurveyRefused:
    answered = Case.objects.filter(pk=case.pk, survey_answered=True).exists()
    if answered:
        return SurveyRefused(_("The survey for this report has already been answered. Thank you."), status=409)
    return SurveyRefused(
        _("The survey opens when the handling of your report is finished. Nothing has been saved."), status=409
    )


def survey_submit(
    *, case: Case, scores: Mapping[str, object], comment: str = "", today: date | None = None
) -> SurveyResponse:
    """Store the reporter's answer to the survey for ``case`` (closed, not yet answered) and audit it.

    ``scores`` maps each element code to 1-4; ``comment`` (optional, at most 2000 characters) is sealed for the
    supervisors and the escrow key. Raises ``SurveyRefused``: 400 for wrong scores or a long comment, 409 for an
    open, destroyed or already answered case. Nothing is stored then.
    """
    checked = check_scores(scores)
    comment = comment.strip()
    try:
        comment.encode("utf-8")
    except UnicodeEncodeError:
        raise SurveyRefused(
            _("The comment holds characters that cannot be stored. Nothing has been saved."),
            errors={"comment": _("Remove the unreadable characters.")},
        ) from None
    if len(comment) > MAX_COMMENT_CHARS:
        raise SurveyRefused(
            _("The comment may be at most %(n)s characters long. Nothing has been saved.") % {"n": MAX_COMMENT_CHARS},
            errors={"comment": _("At most %(n)s characters.") % {"n": MAX_COMMENT_CHARS}},
        )
    quarter = quarter_of(today or timezone.localdate())
    response_id = uuid.uuid4()
    sealed = b""
    if comment:
        readers = list(staff_with_permission(SUPERVISE_CASES))
        sealed = vault.seal_envelope(
            item_id=response_id, purpose=COMMENT_PURPOSE, plaintext=comment.encode("utf-8"), recipients=readers
        )
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case.pk, closed_at__isnull=False, shredded_at__isnull=True, survey_answered=False
        ).update(survey_answered=True)
        if not claimed:
            raise _refusal(case)
        response = SurveyResponse.objects.create(
            id=response_id, service=case.kind, quarter=quarter, scores=checked, comment=sealed
        )
        audit_record(action=Action.SURVEY_ANSWERED, actor="reporter", case_ref=case.number)
    case.survey_answered = True
    return response
