"""Every model of the casework app, gathered from its sub-packages so Django (and callers) find them here.

Staff accounts live in ``casework.staff.models``; cases, their messages and files and the reference data in
``casework.cases.models``; the lifecycles' data in ``casework.workflow.models``; notes, links and identity
disclosures in ``casework.handling.models``; the satisfaction survey in ``casework.survey.models``; background
work waiting for the broker in ``casework.outbox.models``. The app label stays ``casework``, so migrations and
``AUTH_USER_MODEL`` are unchanged by the split.
"""

from casework.cases.models import (
    CASE_NUMBER_PREFIX,
    INITIAL_STATUS,
    RECORDED_CHANNELS,
    Case,
    CaseAttachment,
    CaseKind,
    CaseMessage,
    CaseNumberSequence,
    CaseStatus,
    Channel,
    ForwardedTo,
    GiftOccasion,
    GiftType,
    GiftValueBand,
    GiverRelationship,
    GratificationThreshold,
    Organisation,
    Outcome,
    PublicStatus,
    SavedQueueView,
    ViolationType,
    gift_value_band,
)
from casework.handling.models import CaseLink, CaseNote, IdentityDisclosure
from casework.outbox.models import QueuedTask
from casework.staff.models import ConsoleDenialWindow, StaffUser
from casework.staff.roles import Role
from casework.survey.models import SatisfactionCategory, SurveyElement, SurveyResponse
from casework.workflow.models import (
    CalendarOverride,
    CaseClock,
    DeadlineRule,
    DestructionRequest,
    GratificationRecord,
    KpkDecision,
    Notification,
    StatusChange,
    Transition,
)

__all__ = [
    "CASE_NUMBER_PREFIX",
    "INITIAL_STATUS",
    "RECORDED_CHANNELS",
    "CalendarOverride",
    "Case",
    "CaseAttachment",
    "CaseClock",
    "CaseKind",
    "CaseLink",
    "CaseMessage",
    "CaseNote",
    "CaseNumberSequence",
    "CaseStatus",
    "Channel",
    "ConsoleDenialWindow",
    "DeadlineRule",
    "DestructionRequest",
    "ForwardedTo",
    "GiftOccasion",
    "GiftType",
    "GiftValueBand",
    "GiverRelationship",
    "GratificationRecord",
    "GratificationThreshold",
    "IdentityDisclosure",
    "KpkDecision",
    "Notification",
    "Organisation",
    "Outcome",
    "PublicStatus",
    "QueuedTask",
    "Role",
    "SatisfactionCategory",
    "SavedQueueView",
    "StaffUser",
    "StatusChange",
    "SurveyElement",
    "SurveyResponse",
    "Transition",
    "ViolationType",
    "gift_value_band",
]
