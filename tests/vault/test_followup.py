"""The reporter's follow-up session: one cookie, a row that is useless without it, 15 minutes idle expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import StaffUser
from vault import services as vault
from vault.exceptions import FollowupExpired
from vault.followup import FOLLOWUP_COOKIE
from vault.models import FollowupSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_report(officer: StaffUser) -> tuple[uuid.UUID, vault.NewReport, bytes]:
    report_id = uuid.uuid4()
    new = vault.seal_report(report_id=report_id, recipients=[officer])
    content = vault.seal(access=new.access, report_id=report_id, purpose="report", plaintext=b"laporan")
    return report_id, new, content


def test_cookie_name() -> None:
    assert FOLLOWUP_COOKIE == "peluit_followup"


def test_begin_resume_end(new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    report_id, new, content = new_report
    cookie = vault.followup_begin(access=vault.reporter_access(receipt=new.receipt))
    assert len(cookie) == 43 and cookie.replace("-", "").replace("_", "").isalnum()
    access = vault.followup_resume(cookie_value=cookie)
    assert access.report_id == report_id
    assert vault.open(access=access, report_id=report_id, purpose="report", ciphertext=content) == b"laporan"
    vault.followup_end(cookie_value=cookie)
    with pytest.raises(FollowupExpired):
        vault.followup_resume(cookie_value=cookie)


def test_row_says_nothing_without_the_cookie(new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    report_id, new, _content = new_report
    cookie = vault.followup_begin(access=new.access)
    row = FollowupSession.objects.get()
    stored = bytes(row.lookup_id) + bytes(row.wrapped_access)
    assert report_id.bytes not in stored and new.access._data_key not in stored
    assert cookie.encode() not in stored


def test_idle_expiry_and_sliding_renewal(new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    _report_id, new, _content = new_report
    cookie = vault.followup_begin(access=new.access)
    row = FollowupSession.objects.get()
    assert timedelta(minutes=14) < row.expires_at - timezone.now() <= timedelta(minutes=15)
    FollowupSession.objects.update(expires_at=timezone.now() + timedelta(minutes=1))
    vault.followup_resume(cookie_value=cookie)
    assert FollowupSession.objects.get().expires_at - timezone.now() > timedelta(minutes=14)
    FollowupSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(FollowupExpired):
        vault.followup_resume(cookie_value=cookie)


def test_expired_rows_are_purged(new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    _report_id, new, _content = new_report
    vault.followup_begin(access=new.access)
    FollowupSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    vault.followup_begin(access=new.access)
    assert FollowupSession.objects.count() == 1


@pytest.mark.parametrize("forged", ["", "x", "A" * 43, "!!!!", "A" * 44, "\u00e9" * 43])
def test_forged_cookies(forged: str, new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    vault.followup_begin(access=new_report[1].access)
    with pytest.raises(FollowupExpired):
        vault.followup_resume(cookie_value=forged)
    vault.followup_end(cookie_value=forged)  # ignored, never an error
    assert FollowupSession.objects.count() == 1


def test_housekeeping_task_purges_expired_sessions(new_report: tuple[uuid.UUID, vault.NewReport, bytes]) -> None:
    from vault.tasks import housekeeping

    vault.followup_begin(access=new_report[1].access)
    live = vault.followup_begin(access=new_report[1].access)
    FollowupSession.objects.exclude(pk=FollowupSession.objects.order_by("-pk").first().pk).update(  # type: ignore[union-attr]
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    result = housekeeping()
    assert result["followups"] == 1 and result["blobs"] == 0
    assert vault.followup_resume(cookie_value=live).report_id == new_report[0]
