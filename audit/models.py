"""The audit log's tables. Rows are only ever inserted (by ``audit.services.record`` and the checkpoint
service); database triggers reject UPDATE and DELETE, see migrations 0002 and docs/audit.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import Action

# The permission of the auditor view (defined on ``AuditEvent``).
READ_AUDIT_LOG = "audit.read_audit_log"


class ActorKind(models.TextChoices):
    """Who did it: a staff member, the (anonymous) reporter, or the system itself."""

    STAFF = "staff", _("Staff member")
    REPORTER = "reporter", _("Reporter")
    SYSTEM = "system", _("System")


def datetime_from_us(at_us: int) -> datetime:
    """Return the aware UTC datetime of a microsecond Unix timestamp."""
    return datetime.fromtimestamp(at_us / 1_000_000, tz=UTC)


class AuditEvent(models.Model):
    """One audited action: who, what, on which case, when, plus its leaf hash and chained hash.

    ``seq`` is gapless from 1 and is the Merkle leaf index plus one. Time is kept as microseconds since the
    Unix epoch (UTC) so the hashed form is the same on every database (coarse for reporter-caused events, see
    ``audit.clock``). ``salt`` is the per-event random value the leaf commits to (empty for events written in
    leaf format 1). ``action`` deliberately has no ``choices`` on the field (adding an action must not need a
    migration); ``record`` validates it. ``actor_staff`` protects its staff member from deletion: staff are
    deactivated, never deleted, so the log keeps naming who acted.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    salt = models.CharField(_("leaf salt"), max_length=32, blank=True, default="", db_default="")
    at_us = models.BigIntegerField(_("time (microseconds since 1970, UTC)"), db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=8)
    # The column keeps its original name: its value is part of every staff event's hashed leaf.
    actor_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="actor_staff_id",
        related_name="audit_events",
        verbose_name=_("staff member"),
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    case_ref = models.CharField(_("case reference"), max_length=64, blank=True, db_index=True)
    details = models.TextField(_("details (canonical JSON)"), default="{}")
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    chain_hash = models.BinaryField(_("chained hash"), max_length=32)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # READ_AUDIT_LOG; granted to roles by the staff side (casework), checked with ``user.has_perm``.
        permissions = [("read_audit_log", _("Can read the audit log"))]
        # The latest event of an action without sorting them all (the latest published checkpoint).
        indexes = [models.Index(fields=["action", "seq"], name="audit_event_action_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    @property
    def at(self) -> datetime:
        """Return when the event happened (aware, UTC)."""
        return datetime_from_us(self.at_us)

    # Someone with the database can edit a row, and in SQLite a cell then holds a value of any type. The auditor's
    # pages show such a row through the three properties below instead of failing; audit_verify names the damage.
    @property
    def page_seq(self) -> int | None:
        """Return ``seq`` when it can name the event's page (a whole number from 1), else None (an altered row)."""
        seq = self.seq
        return seq if isinstance(seq, int) and seq >= 1 else None

    @property
    def shown_at(self) -> datetime | None:
        """Return when the event happened, or None when ``at_us`` was altered into no time a datetime can hold."""
        if not isinstance(self.at_us, int):
            return None
        try:
            return self.at
        except (ValueError, OverflowError, OSError):  # a whole number far beyond year 1 or 9999
            return None

    @property
    def altered(self) -> bool:
        """Return True when a cell holds a value its column cannot hold: the row was edited behind the log's back."""
        texts = (self.salt, self.actor_kind, self.actor_username, self.action, self.case_ref, self.details)
        staff_id = self.actor_staff_id
        return (
            self.page_seq is None
            or self.shown_at is None
            or not (staff_id is None or isinstance(staff_id, int))
            or not all(isinstance(text, str) for text in texts)
        )

    @property
    def details_dict(self) -> dict[str, Any]:
        """Return the details as a dict; an altered value that is no JSON object gives one "?" entry."""
        try:
            loaded = json.loads(self.details)
        except (TypeError, ValueError):
            loaded = None
        if not isinstance(loaded, dict):
            return {"?": _("not readable: the event was altered (run audit_verify)")}
        return loaded

    @property
    def action_label(self) -> str:
        """Return the human label of the action (the raw value for an action unknown to this version)."""
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action

    @property
    def actor_label(self) -> str:
        """Return the actor for display: the username (and id) for staff, else the kind."""
        if self.actor_kind == ActorKind.STAFF:
            return f"{self.actor_username} (#{self.actor_staff_id})"
        return str(ActorKind(self.actor_kind).label) if self.actor_kind in ActorKind.values else self.actor_kind


class AuditCheckpoint(models.Model):
    """A signed checkpoint: the tree size and root hash at a moment, as a C2SP signed note."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    created_at = models.DateTimeField(_("created at"))
    note = models.TextField(_("signed note"))

    class Meta:
        ordering = ["tree_size"]
        get_latest_by = "tree_size"
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class AuditCosignature(models.Model):
    """A witness's cosignature (C2SP tlog-cosignature, Ed25519) of one of our checkpoints, as it was sent.

    Only cosignatures that verify under a key in ``PELUIT_AUDIT_WITNESSES`` are stored; they are served with the
    checkpoint (``/audit/checkpoint``) and can be embedded in exports (``audit.checkpoints.cosigned_note``).
    """

    checkpoint = models.ForeignKey(
        AuditCheckpoint, on_delete=models.PROTECT, related_name="cosignatures", verbose_name=_("checkpoint")
    )
    witness = models.CharField(_("witness"), max_length=255)
    key_id = models.BinaryField(_("key id"), max_length=4)
    timestamp = models.BigIntegerField(_("cosigned at (seconds since 1970, UTC)"))
    signature_line = models.TextField(_("signature line"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["checkpoint", "witness", "timestamp"]
        verbose_name = _("audit cosignature")
        verbose_name_plural = _("audit cosignatures")
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness", "key_id"], name="audit_one_cosignature_per_witness"
            )
        ]

    def __str__(self) -> str:
        return f"cosignature of checkpoint {self.checkpoint_id} by {self.witness}"
