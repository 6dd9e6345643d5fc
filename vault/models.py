"""What the vault stores: public keys, wrapped and sealed keys, receipt lookups, blob names. Never plaintext.

Every ``BinaryField`` here holds a versioned blob from ``vault.formats`` (its first byte is the format id).
Rows a reporter's request creates (case keys, the receipt key, the sealed identity, attachment blobs) take their
``created_at`` from ``audit.clock.now``: coarse inside a reporter's request, so they do not date it to the second.
Reports are referred to by their UUID (``report_id``, the primary key of ``casework.Case``), so the vault
does not depend on the case model and crypto-shredding a report is a delete by ``report_id``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit import clock


class OfficerKey(models.Model):
    """A staff member's X25519 key pair; the private key is wrapped under Argon2id(password) + pepper."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_key", verbose_name=_("staff member")
    )
    public_key = models.BinaryField(_("public key"), max_length=32)
    wrapped_private_key = models.BinaryField(_("wrapped private key"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("officer key")
        verbose_name_plural = _("officer keys")

    def __str__(self) -> str:
        return f"officer key of user {self.user_id}"


class EscrowKey(models.Model):
    """The inspectorate's escrow key pair (one row). Its private key exists only as shares and a recovery wrap."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    public_key = models.BinaryField(_("public key"), max_length=32)
    recovery_wrapped_private_key = models.BinaryField(_("recovery-wrapped private key"), null=True)
    recovery_issued_at = models.DateTimeField(_("recovery sheet issued"), null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("escrow key")
        verbose_name_plural = _("escrow keys")
        constraints = [models.CheckConstraint(condition=Q(singleton=True), name="vault_escrow_key_singleton")]

    def __str__(self) -> str:
        return "escrow key"


class EscrowShare(models.Model):
    """The escrow private key sealed to one holder's officer public key."""

    holder = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escrow_share", verbose_name=_("holder")
    )
    sealed_private_key = models.BinaryField(_("sealed private key"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("escrow share")
        verbose_name_plural = _("escrow shares")
        # vault.permissions.HOLD_ESCROW_KEY
        permissions = [("hold_escrow_key", _("Can become the escrow key holder when there is none yet"))]

    def __str__(self) -> str:
        return f"escrow share of user {self.holder_id}"


class CaseKey(models.Model):
    """A report's data key (or identity key) sealed to one officer, or to the escrow key (``officer`` empty)."""

    class Scope(models.TextChoices):
        """Which of the report's keys: the data key (content) or the identity key."""

        DATA = "data", _("report content")
        IDENTITY = "identity", _("reporter identity")

    report_id = models.UUIDField(_("report"), db_index=True)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="case_keys",
        verbose_name=_("officer"),
    )
    sealed_key = models.BinaryField(_("sealed key"))
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("case key")
        verbose_name_plural = _("case keys")
        # vault.permissions.HOLD_CASE_KEYS
        permissions = [("hold_case_keys", _("Can hold case keys and read the cases granted"))]
        constraints = [
            models.UniqueConstraint(
                fields=["report_id", "scope", "officer"],
                condition=Q(officer__isnull=False),
                name="vault_case_key_one_per_officer",
            ),
            models.UniqueConstraint(
                fields=["report_id", "scope"], condition=Q(officer__isnull=True), name="vault_case_key_one_escrow"
            ),
        ]

    def __str__(self) -> str:
        holder = f"user {self.officer_id}" if self.officer_id else "escrow"
        return f"{self.scope} key of report {self.report_id} for {holder}"


class ReceiptKey(models.Model):
    """The reporter's copy of the data key, wrapped under the receipt-derived key; found by the lookup id."""

    report_id = models.UUIDField(_("report"), unique=True)
    lookup_id = models.BinaryField(_("lookup id"), max_length=32, unique=True)
    kdf_ops = models.PositiveIntegerField(_("Argon2id passes"))
    kdf_mem = models.PositiveBigIntegerField(_("Argon2id memory (bytes)"))
    wrapped_data_key = models.BinaryField(_("wrapped data key"))
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("receipt key")
        verbose_name_plural = _("receipt keys")

    def __str__(self) -> str:
        return f"receipt key of report {self.report_id}"


class SealedIdentity(models.Model):
    """The reporter's identity fields, encrypted under the report's separate identity key."""

    report_id = models.UUIDField(_("report"), unique=True)
    ciphertext = models.BinaryField(_("ciphertext"))
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("sealed identity")
        verbose_name_plural = _("sealed identities")

    def __str__(self) -> str:
        return f"sealed identity of report {self.report_id}"


class FollowupSession(models.Model):
    """A reporter's follow-up session: useless without the cookie, which holds the only key to it."""

    lookup_id = models.BinaryField(_("lookup id"), max_length=32, unique=True)
    wrapped_access = models.BinaryField(_("wrapped access"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("follow-up session")
        verbose_name_plural = _("follow-up sessions")

    def __str__(self) -> str:
        return "follow-up session"


class AttachmentBlob(models.Model):
    """An encrypted attachment in storage. Files without a row are orphans, removed by ``vault_sweep``."""

    name = models.CharField(_("storage name"), max_length=255, unique=True)
    report_id = models.UUIDField(_("report"), db_index=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("attachment blob")
        verbose_name_plural = _("attachment blobs")

    def __str__(self) -> str:
        return self.name


class HeldBlob(models.Model):
    """A reporter's file held between a form error and the corrected form (``vault/held.py``).

    Everything is sealed under a key derived from the form's one-time token, which is not stored: the row is
    found by a keyed hash of the token (``lookup_id``), the file and its description (name, type) open only
    with the token. Rows older than an hour are treated as gone and purged.
    """

    id = models.UUIDField(primary_key=True)
    lookup_id = models.BinaryField(_("lookup id"), max_length=32, db_index=True)
    name = models.CharField(_("storage name"), max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("plaintext size (bytes)"))
    sealed_label = models.BinaryField(_("sealed description"))
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("held file")
        verbose_name_plural = _("held files")

    def __str__(self) -> str:
        return "held file"
