"""Internal notes, links between related cases and identity disclosure requests.

Note bodies and disclosure reasons are sealed under the case's data key like messages (each bound to its
row by its purpose); they are never shown to the reporter and never leave through the API.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.staff.models import StaffUser


class CaseNote(models.Model):
    """An internal note on a case, for staff only; the body is sealed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(StaffUser, on_delete=models.PROTECT, related_name="case_notes")
    created_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} note {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def purpose(self) -> str:
        """Return the associated-data purpose that binds the sealed body to this note."""
        return f"note:{self.id}"


class CaseLink(models.Model):
    """Two related cases, linked both ways (one row; ``case_a`` is the one with the smaller id)."""

    class Reason(models.TextChoices):
        SAME_PERSON = "same_person", _("Same reported person")
        SAME_ORGANISATION = "same_organisation", _("Same organisation")
        OTHER = "other", _("Otherwise related")

    case_a = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    case_b = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    created_by = models.ForeignKey(StaffUser, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="case_link_pair"),
            models.CheckConstraint(condition=~Q(case_a=F("case_b")), name="case_link_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.case_a_id} <-> {self.case_b_id} ({self.reason})"

    def other(self, case: Case) -> Case:
        """Return the case at the other end of the link, seen from ``case``."""
        return self.case_b if self.case_a_id == case.pk else self.case_a


class IdentityDisclosure(models.Model):
    """An officer's request to see the reporter's sealed identity, and what became of it.

    Requested (with a sealed reason) -> approved or refused by a supervisor other than the requester (with a
    second factor) -> released by an escrow holder (the identity key is sealed to the requester alone).
    When the approving supervisor holds the escrow key, approval and release are one step.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for a supervisor's decision")
        APPROVED = "approved", _("Approved, waiting for the escrow holder")
        REFUSED = "refused", _("Refused")
        RELEASED = "released", _("Disclosed to the requesting officer")

    OPEN = (Status.REQUESTED, Status.APPROVED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="disclosures")
    requested_by = models.ForeignKey(StaffUser, on_delete=models.PROTECT, related_name="disclosure_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(StaffUser, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(StaffUser, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "requested_by"],
                condition=Q(status__in=["requested", "approved"]),
                name="one_open_disclosure_per_requester",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} disclosure {self.status}"

    @property
    def reason_purpose(self) -> str:
        """Return the associated-data purpose that binds the sealed reason to this request."""
        return f"disclosure-reason:{self.id}"
