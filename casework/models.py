"""Every model of the casework app, gathered from its sub-packages so Django (and callers) find them here.

Staff accounts live in ``casework.staff.models``; cases, their messages and files and the reference data in
``casework.cases.models``. The app label stays ``casework``, so migrations and ``AUTH_USER_MODEL`` are
unchanged by the split.
"""

from casework.cases.models import (
    CASE_NUMBER_PREFIX,
    INITIAL_STATUS,
    PUBLIC_STATUS,
    RECORDED_CHANNELS,
    Case,
    CaseAttachment,
    CaseKind,
    CaseMessage,
    CaseNumberSequence,
    CaseStatus,
    Channel,
    GiftOccasion,
    GiftType,
    GiverRelationship,
    GratificationThreshold,
    Organisation,
    PublicStatus,
    SavedQueueView,
    ViolationType,
)
from casework.staff.models import StaffUser
from casework.staff.roles import Role

__all__ = [
    "CASE_NUMBER_PREFIX",
    "INITIAL_STATUS",
    "PUBLIC_STATUS",
    "RECORDED_CHANNELS",
    "Case",
    "CaseAttachment",
    "CaseKind",
    "CaseMessage",
    "CaseNumberSequence",
    "CaseStatus",
    "Channel",
    "GiftOccasion",
    "GiftType",
    "GiverRelationship",
    "GratificationThreshold",
    "Organisation",
    "PublicStatus",
    "Role",
    "SavedQueueView",
    "StaffUser",
    "ViolationType",
]
