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
    ENVELOPE_OPENED = "vault.envelope_opened", _("Sealed texts of a kind opened (e.g. survey comments)")
    # Intake: the reporter's side
    REPORT_SUBMITTED = "intake.report_submitted", _("Report submitted")
    FOLLOWUP_LOGIN = "intake.followup_login", _("Reporter opened the follow-up inbox")
    FOLLOWUP_FAILED = "intake.followup_failed", _("Follow-up login failed")
    REPORTER_MESSAGE = "intake.reporter_message", _("Reporter sent a message")
    REPORTER_ATTACHMENT = "intake.reporter_attachment", _("Reporter added an attachment")
    ATTACHMENTS_HELD = "intake.attachments_held", _("Reporter's files held after a form error")
    SURVEY_ANSWERED = "intake.survey_answered", _("Reporter answered the satisfaction survey")
    # Casework
    INSPECTORATE_MESSAGE = "casework.inspectorate_message", _("Inspectorate sent a message")
    # people (issues 9.10-9.12 and 11.5-11.7): console hardening, assignment, notes, links, disclosure
    CONSOLE_ACCESS_DENIED = "auth.console_access_denied", _("Console access denied")
    STEP_UP_SUCCEEDED = "auth.step_up_succeeded", _("Identity confirmed again (step-up)")
    STEP_UP_FAILED = "auth.step_up_failed", _("Step-up confirmation failed")
    CASE_ASSIGNED = "casework.case_assigned", _("Case assigned")
    CONFLICT_DECLARED = "casework.conflict_declared", _("Conflict of interest declared")
    CASE_HANDED_OVER = "casework.case_handed_over", _("Case handed over to another officer")
    NOTE_ADDED = "casework.note_added", _("Internal note added")
    CASES_LINKED = "casework.cases_linked", _("Related cases linked")
    CASES_UNLINKED = "casework.cases_unlinked", _("Link between cases removed")
    DISCLOSURE_REQUESTED = "casework.disclosure_requested", _("Identity disclosure requested")
    DISCLOSURE_APPROVED = "casework.disclosure_approved", _("Identity disclosure approved")
    DISCLOSURE_REFUSED = "casework.disclosure_refused", _("Identity disclosure refused")
    DISCLOSURE_RELEASED = "casework.disclosure_released", _("Identity released by the escrow holder")
    # Casework: the queue's saved view, safe viewing and downloads (issue 11 items 1 and 10)
    QUEUE_VIEW_SAVED = "casework.queue_view_saved", _("Saved queue view changed")
    ATTACHMENT_VIEWED = "casework.attachment_viewed", _("File viewed in the console")
    ATTACHMENT_DOWNLOADED = "casework.attachment_downloaded", _("File downloaded")
    # Casework: lifecycles, clocks, triage, gratification steps, reminders, retention (flow workstream)
    CASE_STATUS_CHANGED = "casework.status_changed", _("Case status changed")
    CASE_TRIAGED = "casework.triage_updated", _("Case triage metadata changed")
    CLOCK_STARTED = "casework.clock_started", _("Deadline clock started")
    CLOCK_STOPPED = "casework.clock_stopped", _("Deadline clock stopped")
    CLOCK_PAUSED = "casework.clock_paused", _("Deadline clock paused")
    CLOCK_RESUMED = "casework.clock_resumed", _("Deadline clock resumed")
    REMINDER_SENT = "casework.reminder_sent", _("Deadline reminder sent")
    UPG_HANDOVER_RECORDED = "casework.upg_handover_recorded", _("Hand-over to the UPG recorded")
    LEGAL_HOLD_SET = "casework.legal_hold_set", _("Legal hold set")
    LEGAL_HOLD_LIFTED = "casework.legal_hold_lifted", _("Legal hold lifted")
    DESTRUCTION_REQUESTED = "casework.destruction_requested", _("Early destruction requested")
    DESTRUCTION_APPROVED = "casework.destruction_approved", _("Early destruction approved")
    DESTRUCTION_REFUSED = "casework.destruction_refused", _("Early destruction refused")
    CASE_SHREDDED = "casework.case_shredded", _("Case crypto-shredded")
    CALENDAR_OVERRIDE_ADDED = "casework.calendar_override_added", _("Calendar override added")
    CALENDAR_OVERRIDE_REMOVED = "casework.calendar_override_removed", _("Calendar override removed")
    LIFECYCLE_RULES_CHANGED = "casework.lifecycle_rules_changed", _("Lifecycle or deadline rules changed")
    # Reports: signed PDF exports (details carry the kind, the period or case and the PDF's SHA-256)
    EXPORT_REQUESTED = "reports.export_requested", _("Report export requested")
    EXPORT_CREATED = "reports.export_created", _("Signed report exported")
    EXPORT_FAILED = "reports.export_failed", _("Report export failed")
    FORWARDING_EXPORTED = "reports.forwarding_exported", _("Forwarding package exported")
    # Audit itself
    CHECKPOINT_CREATED = "audit.checkpoint_created", _("Audit checkpoint created")
    # A checkpoint the public sees (/audit/checkpoint): one per reporter time window (audit/publication.py)
    CHECKPOINT_PUBLISHED = "audit.checkpoint_published", _("Audit checkpoint published")
