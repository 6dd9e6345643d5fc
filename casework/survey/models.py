"""Data of the satisfaction survey: the elements asked (texts as data), the quality categories of the index,
and the anonymous answers."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.cases.models import CaseKind
from casework.rules import satisfaction as rules

ANSWER_SEPARATOR = "|"


def _english() -> bool:
    return (get_language() or "id").startswith("en")


class SurveyElement(models.Model):
    """One element (unsur) of the survey: its question and the words for the answers 1 to 4, in both languages.

    Seeded with the nine elements of Permenpan RB 14/2017; the inspectorate may reword them (a new element code
    makes older answers simply not score it).
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    question_id = models.CharField(_("question (Indonesian)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300)
    answers_id = models.CharField(
        _("answers 1-4 (Indonesian)"), max_length=400, help_text=_("Four answers from worst to best, separated by |.")
    )
    answers_en = models.CharField(_("answers 1-4 (English)"), max_length=400)
    active = models.BooleanField(_("asked"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("survey element")
        verbose_name_plural = _("survey elements")

    def __str__(self) -> str:
        return f"{self.code} {self.name_id}"

    @property
    def name(self) -> str:
        """The element's short name in the active language."""
        return self.name_en if _english() else self.name_id

    @property
    def question(self) -> str:
        """The question in the active language."""
        return self.question_en if _english() else self.question_id

    @property
    def answers(self) -> list[str]:
        """The four answers (scores 1 to 4) in the active language."""
        return [a.strip() for a in (self.answers_en if _english() else self.answers_id).split(ANSWER_SEPARATOR)]


class SatisfactionCategory(models.Model):
    """A quality category of the index: IKM values from ``lower`` to ``upper`` (both included)."""

    lower = models.DecimalField(_("from"), max_digits=5, decimal_places=2)
    upper = models.DecimalField(_("to"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("quality (mutu pelayanan)"), max_length=2)
    label_id = models.CharField(_("performance (Indonesian)"), max_length=60)
    label_en = models.CharField(_("performance (English)"), max_length=60)

    class Meta:
        ordering = ["lower"]
        verbose_name = _("satisfaction category")
        verbose_name_plural = _("satisfaction categories")

    def __str__(self) -> str:
        return f"{self.grade} {self.lower}-{self.upper}"

    @property
    def label(self) -> str:
        """The unit's performance in the active language (e.g. "Sangat baik")."""
        return self.label_en if _english() else self.label_id

    def as_interval(self) -> rules.QualityInterval:
        """Return the pure interval the index arithmetic takes."""
        return rules.QualityInterval(
            lower=Decimal(self.lower), upper=Decimal(self.upper), grade=self.grade, label=self.label
        )


class SurveyResponse(models.Model):
    """One answer to the survey, on purpose without anything that links it to a case or a person.

    It holds the scores (element code → 1-4), the service (kind of report) and the calendar quarter it was given
    in, and the optional comment sealed for the supervisors and the escrow key (``vault.seal_envelope``): no
    case, no receipt, no session, no time more precise than the quarter, a random id rather than a sequence.
    Which case has answered is a flag on the case (``Case.survey_answered``), written in the same transaction.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.CharField(_("service"), max_length=16, choices=CaseKind.choices)
    quarter = models.DateField(_("quarter"), help_text=_("The first day of the calendar quarter of the answer."))
    scores = models.JSONField(_("scores"))
    comment = models.BinaryField(_("sealed comment"), blank=True, default=b"")

    class Meta:
        # Rows are listed by quarter only; the order of answering is not something to show.
        ordering = ["quarter", "id"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [models.Index(fields=["quarter", "service"], name="survey_response_quarter")]

    def __str__(self) -> str:
        return f"{self.service} {self.quarter:%Y-%m}"

    @property
    def comment_purpose(self) -> str:
        """The associated-data purpose binding the sealed comment to this answer."""
        return "survey-comment"
