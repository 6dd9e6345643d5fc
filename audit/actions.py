"""The one enumerated list of audited actions.

Values are dotted (``package.verb``) and stored in every event; anyone may add a member, nobody renames one
(a renamed value would make old events unreadable to the auditor view and break their hashes' meaning).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """Something that happened in Peluit and must be accounted for."""

    # Staff accounts and authentication
    STAFF_CREATED = "staff.created", _("Staff account created")
    STAFF_PASSWORD_RESET = "staff.password_reset", _("Staff password reset by an administrator")
    STAFF_SECOND_FACTOR_RESET = "staff.second_factor_reset", _("Staff authenticator reset by an administrator")
    STAFF_DEACTIVATED = "staff.deactivated", _("Staff account deactivated")
    STAFF_REACTIVATED = "staff.reactivated", _("Staff account reactivated")
    STAFF_ROLE_CHANGED = "staff.role_changed", _("Staff role changed")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOGIN_SUCCEEDED = "auth.login_succeeded", _("Login succeeded")
    LOGOUT = "auth.logout", _("Logged out")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    BACKUP_CODES_ISSUED = "auth.backup_codes_issued", _("Backup codes issued")
    TOTP_ENROLLED = "auth.totp_enrolled", _("Authenticator enrolled")
    # Vault: keys and grants
    OFFICER_KEY_CREATED = "vault.officer_key_created", _("Officer key created")
    OFFICER_KEY_REWRAPPED = "vault.officer_key_rewrapped", _("Officer key re-wrapped")
    OFFICER_KEY_RESET = "vault.officer_key_reset", _("Officer key reset")
    ESCROW_CREATED = "vault.escrow_created", _("Escrow key created")
    ESCROW_HOLDER_ADDED = "vault.escrow_holder_added", _("Escrow key holder added")
    ESCROW_RECOVERY_PRINTED = "vault.escrow_recovery_printed", _("Escrow recovery sheet printed")
    CASE_GRANTED = "vault.case_granted", _("Case granted")
    CASE_REVOKED = "vault.case_revoked", _("Case revoked")
    CASE_REGRANTED_BY_ESCROW = "vault.case_regranted_by_escrow", _("Case re-granted by escrow")
    REPORT_UNSEALED = "vault.report_unsealed", _("Report unsealed")
    # Intake: the reporter's side
    REPORT_SUBMITTED = "intake.report_submitted", _("Report submitted")
    FOLLOWUP_LOGIN = "intake.followup_login", _("Reporter opened the follow-up inbox")
    FOLLOWUP_FAILED = "intake.followup_failed", _("Follow-up login failed")
    REPORTER_MESSAGE = "intake.reporter_message", _("Reporter sent a message")
    REPORTER_ATTACHMENT = "intake.reporter_attachment", _("Reporter added an attachment")
    # Casework
    INSPECTORATE_MESSAGE = "casework.inspectorate_message", _("Inspectorate sent a message")
    # Casework: the queue's saved view, safe viewing and downloads (issue 11 items 1 and 10)
    QUEUE_VIEW_SAVED = "casework.queue_view_saved", _("Saved queue view changed")
    ATTACHMENT_VIEWED = "casework.attachment_viewed", _("File viewed in the console")
    ATTACHMENT_DOWNLOADED = "casework.attachment_downloaded", _("File downloaded")
    # Audit itself
    CHECKPOINT_CREATED = "audit.checkpoint_created", _("Audit checkpoint created")
