"""Which checkpoints the public sees (audit/publication.py): one a reporter time window, signed in its first minutes.

Without it, anyone polling /audit/checkpoint on a quiet log saw the tree grow within ten minutes of a report
(outside probe, stop 27). The clock is moved with time-machine; times are local (Asia/Jakarta), like the
reporter time windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import publication
from audit.checkpoints import checkpoint_if_grown, create_checkpoint
from audit.publication import PUBLICATION_SLACK, latest_published, opens_period, publication_period, publish_if_due
from tests.audit.helpers import write_events

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(hour: int, minute: int, second: int = 0, *, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=JAKARTA)


def served_size(client: Client) -> int | None:
    """The tree size /audit/checkpoint serves, or None for its 404."""
    response = client.get("/audit/checkpoint")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.content
    return int(response.content.decode().split("\n")[1])


@pytest.mark.parametrize(
    ("granularity", "period"), [(1, None), (60, 600), (600, 600), (900, 900), (3600, 3600), (7200, 7200)]
)
def test_the_period_is_the_reporter_time_window_at_least_ten_minutes(
    settings: pytest.FixtureRequest, granularity: int, period: int | None
) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = granularity  # type: ignore[attr-defined]
    assert publication_period() == period


def test_a_checkpoint_opens_its_period_only_in_its_first_minutes_and_only_as_the_first() -> None:
    hour = 3600
    assert opens_period(at(10, 0, 0), None, hour)
    assert opens_period(at(10, 4, 59), at(9, 59, 59), hour)
    assert not opens_period(at(10, 5, 0), at(9, 50), hour)  # too late in the period
    assert not opens_period(at(10, 2), at(10, 0, 30), hour)  # a checkpoint before it opened the period
    assert not opens_period(None, at(9, 0), hour)  # a note without a time opens nothing
    # Periods count from local midnight: with two-hour periods, 10:00 Jakarta opens one, 11:00 does not.
    assert opens_period(at(10, 1), at(9, 30), 7200)
    assert not opens_period(at(11, 1), at(10, 30), 7200)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3 * 86_400), min_size=1, max_size=60))
def test_published_checkpoints_are_never_closer_than_the_period_less_its_first_minutes(offsets: list[int]) -> None:
    """Whatever moments checkpoints are signed at, two published ones lie ``period - slack`` apart or more, so
    the growth between them places nothing more finely than that."""
    period = 3600
    times = [at(0, 0) + timedelta(seconds=offset) for offset in sorted(offsets)]
    shown = [t for i, t in enumerate(times) if opens_period(t, times[i - 1] if i else None, period)]
    for earlier, later in pairwise(shown):
        assert later - earlier >= timedelta(seconds=period - PUBLICATION_SLACK)


def test_a_report_is_not_seen_growing_the_public_log_before_its_hour_is_over(client: Client) -> None:
    """Beat as it runs (the ten-minute checkpoints, the publication asked every minute) and an export at an odd
    moment, with someone polling /audit/checkpoint every minute from 09:00 to 12:00: the served tree changes
    only in the first minutes after a full hour, once, and events written at 10:37 show at 11:00, not before."""
    served: dict[datetime, int | None] = {}
    grown_at: dict[datetime, int] = {}
    with time_machine.travel(at(8, 55), tick=False) as clock:
        write_events(3)
        for minute in range(185):
            now = at(9, 0) + timedelta(minutes=minute)
            clock.move_to(now)
            if now in (at(9, 12), at(10, 37), at(10, 38), at(11, 1), at(11, 44)):
                write_events(2)  # what a submission writes, in the hour's middle
                grown_at[now] = len(grown_at)
            if now == at(10, 51):
                create_checkpoint()  # an export signs a checkpoint whenever it is made
            if minute % 10 == 3:
                checkpoint_if_grown()  # beat's ten-minute checkpoints
            publish_if_due()
            served[now] = served_size(client)
    changes = [moment for previous, moment in pairwise(served) if served[moment] != served[previous]]
    assert changes, served
    for moment in changes:
        assert moment.minute * 60 + moment.second < PUBLICATION_SLACK, (moment, served)
    # Once an hour at most: beat's checkpoint at 11:03 (over the events of 11:01) is not served either.
    assert len({moment.hour for moment in changes}) == len(changes), changes
    assert served[at(11, 59)] == served[at(11, 0)]
    # The events written at 10:37 (and the export at 10:51) are covered by what is served from 11:00 only.
    assert served[at(10, 59)] == served[at(10, 1)]
    assert served[at(11, 0)] is not None and served[at(10, 59)] is not None
    assert served[at(11, 0)] > served[at(10, 59)]
    assert served[at(9, 0)] is not None  # the log's first events, published at 09:00


def test_a_checkpoint_signed_late_is_kept_from_the_public_and_its_size_is_not_told(client: Client) -> None:
    with time_machine.travel(at(14, 0, 10), tick=False) as clock:
        write_events(2)
        opening = publish_if_due()
        assert opening is not None
        clock.move_to(at(14, 1))
        assert publish_if_due() is None  # signed once a period
        clock.move_to(at(14, 20))
        write_events(2)
        late = create_checkpoint()
        clock.move_to(at(14, 59))
        assert publish_if_due() is None  # beat runs late: nothing signed outside the first minutes
    assert latest_published() == opening
    assert served_size(client) == opening.tree_size
    # /audit/proof answers a size that was signed but not published exactly as it answers one never signed.
    unpublished = client.get(f"/audit/proof?old=1&new={late.tree_size}")
    never = client.get(f"/audit/proof?old=1&new={late.tree_size + 1}")
    assert unpublished.status_code == never.status_code == 404
    assert unpublished.content == never.content
    # A checkpoint held from a PDF (not published) is still proved consistent with a later published one.
    with time_machine.travel(at(15, 0, 20), tick=False):
        later = publish_if_due()
    assert later is not None
    assert client.get(f"/audit/proof?old={late.tree_size}&new={later.tree_size}").status_code == 200


def test_an_export_in_the_first_minutes_opens_the_period_and_beat_then_signs_nothing(client: Client) -> None:
    with time_machine.travel(at(13, 0, 40), tick=False) as clock:
        write_events(2)
        export = create_checkpoint()
        clock.move_to(at(13, 1))
        assert publish_if_due() is None
        clock.move_to(at(14, 0, 5))
        assert publish_if_due() is None  # the log did not grow since: nothing new to publish
    assert served_size(client) == export.tree_size


def test_a_quiet_hour_publishes_nothing_new_but_the_last_published_growth_still_goes_out(client: Client) -> None:
    """A checkpoint made after the last published one (beat's ten-minute one) covers everything: the next
    period still publishes, or its events would never reach the witnesses."""
    with time_machine.travel(at(16, 0, 30), tick=False) as clock:
        write_events(2)
        first = publish_if_due()
        clock.move_to(at(16, 25))
        write_events(1)
        checkpoint_if_grown()
        clock.move_to(at(17, 0, 30))
        second = publish_if_due()
    assert first is not None and second is not None and second.tree_size > first.tree_size
    assert served_size(client) == second.tree_size


def test_exact_reporter_times_publish_every_checkpoint(client: Client, settings: pytest.FixtureRequest) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 1  # type: ignore[attr-defined]
    with time_machine.travel(at(10, 33), tick=False):
        write_events(2)
        checkpoint = create_checkpoint()
        assert publish_if_due() is None
    assert served_size(client) == checkpoint.tree_size


def test_beat_asks_for_the_published_checkpoint_every_minute() -> None:
    from django.conf import settings as django_settings

    from audit.tasks import publish_if_due_task

    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-publish-checkpoint"]
    assert entry["task"] == publish_if_due_task.name == "audit.tasks.publish_if_due"
    schedule = entry["schedule"]
    assert schedule.minute == set(range(60)) and schedule.hour == set(range(24))  # type: ignore[union-attr]
    assert publication.PUBLICATION_SLACK >= 2 * 60  # every minute lands in the first minutes at least twice


def test_the_console_tells_the_auditor_which_checkpoint_the_public_sees(client: Client, make_staff: Any) -> None:
    from casework.staff.roles import Role
    from tests.support.staff import login

    with time_machine.travel(at(9, 20), tick=True):
        login(client, make_staff(Role.AUDITOR, username="auditor"))
        write_events(2)
        create_checkpoint()
        page = client.get("/console/audit/").content.decode()
    assert "Belum ada titik periksa yang diterbitkan untuk saksi" in page and "setiap 60 menit" in page
    with time_machine.travel(at(10, 0, 30), tick=True):
        login(client, make_staff(Role.AUDITOR, username="auditor2"))  # idle sessions end after 30 minutes
        opening = publish_if_due()
        assert opening is not None
        write_events(1)
        create_checkpoint()
        page = client.get("/console/audit/").content.decode()
    assert f"Diterbitkan untuk saksi di /audit/checkpoint: {opening.tree_size} peristiwa" in page
