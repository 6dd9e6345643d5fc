"""The throttle: per client (by a keyed hash that rotates daily), global POSTs, wrong receipts.

Every behaviour is checked on each counter store (this process's memory, the SQLite file processes of one
machine share, and a private Redis). This module doubles as a small URLconf with a view that looks a
receipt up as the follow-up pages and the API do ("right" is the only right receipt).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client
from django.urls import include, path
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from intake import throttle
from intake.throttle import Throttle, reset_for_tests
from intake.throttle_stores import CounterStore, Hit, MemoryStore, RedisStore, SqliteStore, StoreUnavailable
from tests.support.servers import free_port, run_redis
from vault.exceptions import UnknownReceipt


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def receipt_attempt(request: HttpRequest) -> HttpResponse:
    language = translation.get_language()
    if request.path.startswith("/api/"):  # as intake/api.py does: the API speaks Accept-Language
        language = translation.get_language_from_request(request)
    with translation.override(language):
        try:
            with throttle.receipt_attempt(request):
                if request.GET.get("receipt") != "right":
                    raise UnknownReceipt()
        except UnknownReceipt:
            return JsonResponse({"status": "wrong"})
    return JsonResponse({"status": "right"})


urlpatterns = [
    path("api/v1/followup", receipt_attempt),
    path("api/v1/ping", page),
    *i18n_patterns(
        path("followup", receipt_attempt),
        path("auth/page", page),
        path("page", page),
        path("", include("intake.urls")),
        prefix_default_language=False,
    ),
]


class FakeClock:
    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> CounterStore:
    if kind == "sqlite":
        return SqliteStore(tmp_path / "throttle.sqlite3")
    if kind == "redis":
        store = RedisStore(request.getfixturevalue("redis_url"))
        store.client.flushdb()
        return store
    return MemoryStore()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CounterStore:
    return make_store(request.param, tmp_path, request)


@pytest.fixture
def clock(store: CounterStore) -> FakeClock:
    fake = FakeClock()
    reset_for_tests(clock=fake, store=store)
    return fake


def get(client: Client, url: str, address: str = "198.51.100.7", **extra: str) -> HttpResponse:
    return client.get(url, REMOTE_ADDR=address, **extra)


pytestmark = pytest.mark.urls("tests.intake.test_throttle")


def test_too_many_requests_get_a_429_page_in_indonesian_by_default(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (3, 60)
    for _ in range(3):
        assert get(client, "/page").status_code == 200

    response = get(client, "/page")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    text = response.content.decode()
    assert "Terlalu banyak permintaan" in text and "1 menit" in text
    assert '<html lang="id">' in text
    assert response["Content-Language"] == "id"


def test_too_many_requests_under_the_public_log_get_one_line_of_plain_text(client: Client, settings, clock) -> None:
    """Witnesses (programs) read /audit/: a 429 there is plain text in Accept-Language's language, not a page."""
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    get(client, "/audit/checkpoint")
    english = get(client, "/audit/checkpoint", HTTP_ACCEPT_LANGUAGE="en")
    indonesian = get(client, "/audit/proof?old=0&new=1")
    for response in (english, indonesian):
        assert response.status_code == 429 and response["Retry-After"] == "60"
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        body = response.content.decode()
        assert body.endswith("\n") and body.count("\n") == 1 and "<" not in body
    assert english.content.decode().startswith("Too many requests") and english["Content-Language"] == "en"
    assert "Terlalu banyak permintaan" in indonesian.content.decode() and indonesian["Content-Language"] == "id"


def test_too_many_requests_get_a_429_page_in_english_under_en(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 300)
    assert get(client, "/en/page").status_code == 200
    clock.now += 30

    response = get(client, "/en/page")

    assert response.status_code == 429
    # The window's whole length, not when its oldest request leaves it (270 s here): in a shared window that
    # moment is when someone else sent something (outside probe, stop 28).
    assert response["Retry-After"] == "300"
    text = response.content.decode()
    assert "Too many requests have come in. Please wait 5 minutes and try again." in text
    assert '<html lang="en">' in text
    assert response["Content-Language"] == "en"


def test_api_paths_get_json(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    assert get(client, "/api/v1/ping").status_code == 200

    response = get(client, "/api/v1/ping", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "Too many requests have come in. Please wait 1 minute and try again."
    }
    assert response["Retry-After"] == "60"
    assert response["Content-Language"] == "en"


def test_different_addresses_are_counted_separately(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (2, 60)
    assert [get(client, "/page", "198.51.100.7").status_code for _ in range(3)] == [200, 200, 429]
    assert [get(client, "/page", "198.51.100.8").status_code for _ in range(3)] == [200, 200, 429]
    assert get(client, "/page", "2001:db8::1").status_code == 200


@pytest.mark.parametrize("address", ["", "unknown", "fe80::1%eth0", "999.1.1.1", "2001:db8::1, 10.0.0.1"])
def test_odd_addresses_are_counted_without_an_error(client: Client, settings, clock, address: str) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    assert get(client, "/page", address).status_code == 200
    assert get(client, "/page", address).status_code == 429


def test_the_address_behind_our_proxy_is_the_one_it_forwards(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    settings.PELUIT_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    assert get(client, "/page", proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert get(client, "/page", proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    spoofed = "203.0.113.9, 198.51.100.1"  # the client's own claim comes first; our proxy appends the truth
    assert get(client, "/page", proxy, HTTP_X_FORWARDED_FOR=spoofed).status_code == 429


def test_an_ipv6_client_is_counted_by_its_64_network(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (2, 60)
    assert get(client, "/page", "2001:db8:1:2::1").status_code == 200
    assert get(client, "/page", "2001:db8:1:2::ffff").status_code == 200
    assert get(client, "/page", "2001:db8:1:2:abcd::9").status_code == 429
    assert get(client, "/page", "2001:db8:1:3::1").status_code == 200


def test_the_window_slides(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (2, 60)
    assert get(client, "/page").status_code == 200
    clock.now += 40
    assert get(client, "/page").status_code == 200
    assert get(client, "/page").status_code == 429
    clock.now += 21  # the first request has left the window, the second has not
    assert get(client, "/page").status_code == 200
    assert get(client, "/page").status_code == 429


def test_global_post_limit_counts_everyone(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_GLOBAL_POSTS = (3, 60)
    codes = [client.post("/page", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    assert get(client, "/page", "198.51.100.99").status_code == 200, "GETs are not limited globally"


def test_staff_paths_and_static_files_are_not_counted(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    assert [get(client, "/auth/page").status_code for _ in range(3)] == [200, 200, 200]
    assert 429 not in [get(client, "/static/peluit.css").status_code for _ in range(3)]


def test_wrong_receipts_are_limited_per_address_and_globally(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (2, 600)
    settings.PELUIT_THROTTLE_RECEIPT_GLOBAL = (3, 600)
    assert [get(client, "/followup", "198.51.100.1").status_code for _ in range(3)] == [200, 200, 429]
    blocked = get(client, "/followup", "198.51.100.1")
    assert "Terlalu banyak kode laporan" in blocked.content.decode()
    assert blocked["Retry-After"] == "600"
    assert get(client, "/followup", "198.51.100.2").status_code == 200
    # Three attempts in ten minutes from everyone together: the next address is refused too.
    response = get(client, "/api/v1/followup", "198.51.100.3", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert json.loads(response.content)["detail"].startswith("Too many receipt codes have been tried.")
    assert response["Content-Language"] == "en", "the language the message is written in"
    clock.now += 601
    assert get(client, "/followup", "198.51.100.1").status_code == 200


def reporter_request(rf) -> HttpRequest:
    """A request to the follow-up page from one reporter's address, as the privacy middleware leaves it."""
    request: HttpRequest = rf.get("/followup", REMOTE_ADDR="198.51.100.1")
    throttle.remember_client(request)
    return request


def wrong_receipt(request: HttpRequest) -> None:
    """Look up a receipt that opens nothing."""
    with pytest.raises(UnknownReceipt), throttle.receipt_attempt(request):
        raise UnknownReceipt()


def test_receipt_attempt_raises_throttled_before_the_lookup(rf, settings, clock) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (1, 600)
    request = reporter_request(rf)
    wrong_receipt(request)
    looked_up = []
    with pytest.raises(throttle.Throttled) as caught, throttle.receipt_attempt(request):
        looked_up.append(True)
    assert caught.value.retry_after == 600
    assert looked_up == [], "over the limit, the costly lookup never starts"


def test_right_receipts_do_not_count(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (2, 600)
    settings.PELUIT_THROTTLE_RECEIPT_GLOBAL = (3, 600)
    right = [json.loads(get(client, "/followup?receipt=right").content)["status"] for _ in range(12)]
    assert right == ["right"] * 12, "a reporter opening the inbox again and again is never blocked"
    assert [get(client, "/followup").status_code for _ in range(3)] == [200, 200, 429]
    assert get(client, "/followup?receipt=right").status_code == 429, "over the limit nothing is looked up"
    assert get(client, "/followup", "198.51.100.2").status_code == 200
    assert get(client, "/followup?receipt=right", "198.51.100.3").status_code == 429, "the global limit holds"
    clock.now += 601
    assert get(client, "/followup?receipt=right").status_code == 200


def test_a_failed_lookup_that_is_not_a_wrong_receipt_does_not_count(rf, settings, clock) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (1, 600)
    request = reporter_request(rf)
    for _ in range(3):
        with pytest.raises(RuntimeError), throttle.receipt_attempt(request):
            raise RuntimeError("database gone")
    wrong_receipt(request)


def test_overlapping_right_receipts_from_one_address_are_never_refused(rf, settings, clock) -> None:
    """Many reporters behind one address (an office's NAT, onion traffic) open their inboxes at once."""
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (3, 600)
    request = reporter_request(rf)
    for _ in range(2):
        wrong_receipt(request)
    with ExitStack() as in_flight:  # thirty right lookups under way together, none finished yet
        for _ in range(30):
            in_flight.enter_context(throttle.receipt_attempt(request))
    wrong_receipt(request)  # the third wrong one fills the window
    with pytest.raises(throttle.Throttled), throttle.receipt_attempt(request):
        pass


def test_wrong_receipts_in_flight_past_a_full_window_keep_it_closed(rf, settings, clock) -> None:
    """A burst of guesses timed for when a place frees up buys its own size once, not again and again."""
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (3, 600)
    request = reporter_request(rf)
    start = clock.now
    for _ in range(2):
        wrong_receipt(request)
        clock.now += 10
    # Eight wrong lookups under way together while one place is left: all eight get their derivation.
    with pytest.raises(UnknownReceipt), ExitStack() as in_flight:
        for _ in range(8):
            in_flight.enter_context(throttle.receipt_attempt(request))
        raise UnknownReceipt()
    clock.now = start + 611  # the first two wrong receipts have left the window; the eight (at +20) remain
    with pytest.raises(throttle.Throttled), throttle.receipt_attempt(request):
        pass
    clock.now = start + 621
    with throttle.receipt_attempt(request):
        pass  # the whole burst has left: room again


def test_checking_a_window_counts_nothing(store: CounterStore, clock: FakeClock) -> None:
    hits = [Hit(b"receipt:x", 2, 600.0)]
    for _ in range(5):
        assert store.full(hits, clock.now) is None
    assert store.count(hits, clock.now) is not None
    clock.now += 10
    assert store.count(hits, clock.now) is not None
    refused = store.full(hits, clock.now)
    assert refused is not None and refused.index == 0
    assert refused.wait == pytest.approx(590.0), "room again when the oldest event leaves the window"
    clock.now += 591
    assert store.full(hits, clock.now) is None


def test_the_key_rotates_every_day_and_hides_the_address() -> None:
    clock = FakeClock(1_780_000_000.0)
    limiter = Throttle(clock=clock)
    first = limiter.client_key("203.0.113.77")
    assert limiter.client_key("203.0.113.77") == first
    assert limiter.client_key("203.0.113.78") != first
    assert bytes([203, 0, 113, 77]) not in first and b"203.0.113.77" not in first
    assert len(first) == 16
    assert limiter.client_key("::ffff:203.0.113.77") == first, "IPv4-mapped IPv6 is the same client"

    clock.now += 86_400
    assert limiter.client_key("203.0.113.77") != first
    assert Throttle(clock=FakeClock(1_780_000_000.0)).client_key("203.0.113.77") != first, "a fresh random key"


def test_counters_are_forgotten_when_the_key_rotates_or_the_window_passes(client: Client, settings, clock) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    limiter = throttle.throttle()
    assert get(client, "/page").status_code == 200
    assert get(client, "/page").status_code == 429
    assert limiter.tracked_clients() == 1

    clock.now += 86_400
    assert get(client, "/page").status_code == 200, "a new day, a new key, fresh counters"
    assert limiter.tracked_clients() == 1

    clock.now += 61
    limiter.sweep()
    assert limiter.tracked_clients() == 0


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_processes_sharing_a_store_share_the_key_and_the_counters(
    client: Client, settings, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    """Two Throttle objects on two connections to one store behave as two worker processes do."""
    settings.PELUIT_THROTTLE_PER_ADDRESS = (3, 60)
    clock = FakeClock()
    first = Throttle(store=make_store(kind, tmp_path, request), clock=clock)
    if kind == "sqlite":
        second_store: CounterStore = SqliteStore(tmp_path / "throttle.sqlite3")
    else:
        second_store = RedisStore(request.getfixturevalue("redis_url"))
    second = Throttle(store=second_store, clock=clock)
    assert first.client_key("203.0.113.77") == second.client_key("203.0.113.77")
    assert Throttle(store=SqliteStore(tmp_path / "other.sqlite3"), clock=clock).client_key("203.0.113.77") != (
        first.client_key("203.0.113.77")
    ), "another store, another random key"

    codes = []
    for limiter in (first, second, first, second):
        reset_for_tests(clock=clock, store=limiter.store)
        codes.append(get(client, "/page").status_code)
    assert codes == [200, 200, 200, 429]


def test_past_days_keys_leave_the_store(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = Throttle(store=SqliteStore(tmp_path / "throttle.sqlite3"), clock=clock)
    limiter.client_key("203.0.113.77")
    clock.now += 86_400
    limiter.client_key("203.0.113.77")
    limiter.sweep()
    with sqlite3.connect(tmp_path / "throttle.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM day_key").fetchone()[0] == 1, "only today's key is kept"


def test_an_unreachable_store_lets_requests_through(client: Client, settings, caplog: pytest.LogCaptureFixture) -> None:
    settings.PELUIT_THROTTLE_PER_ADDRESS = (1, 60)
    reset_for_tests(store=RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2))
    with caplog.at_level(logging.WARNING, logger="intake.throttle"):
        codes = [get(client, "/page").status_code for _ in range(3)]
    assert codes == [200, 200, 200], "an outage of the store must not take the reporter pages down"
    warnings = [r.getMessage() for r in caplog.records if r.name == "intake.throttle"]
    assert len(warnings) == 1 and "unthrottled" in warnings[0], "one warning per outage, not one per request"
    assert "198.51.100.7" not in " ".join(warnings)


def test_a_store_folder_others_can_read_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    store = SqliteStore(shared / "throttle.sqlite3")
    with pytest.raises(StoreUnavailable):
        store.day_key(20_000)
    assert not (shared / "throttle.sqlite3").exists(), "no hash is written where others can read it"
    private = SqliteStore(tmp_path / "private" / "throttle.sqlite3")
    private.day_key(20_000)
    assert oct((tmp_path / "private").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "private" / "throttle.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_a_worker_opening_the_store_waits_for_the_one_setting_it_up(tmp_path: Path) -> None:
    """Every use of the file, its set-up included, goes through the kernel lock beside it.

    gunicorn's workers open a new store file at the same moment. One of them switching it to WAL holds
    SQLite's exclusive lock; a worker that ran its own set-up outside the kernel lock got "database is
    locked" and let its requests through unthrottled for a while (CI saw 200s past the limit).
    """
    path = tmp_path / "throttle.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a worker in the middle of its set-up, as every lock holder is:
    lock_fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)  # ... under the kernel lock
    outcome: list[object] = []
    opener = threading.Thread(target=lambda: outcome.append(_first_use(SqliteStore(path, busy_timeout=0.2))))
    opener.start()
    time.sleep(1.0)  # five times the busy timeout
    holder.execute("COMMIT")
    holder.close()
    fcntl.flock(lock_fd, fcntl.LOCK_UN)
    os.close(lock_fd)
    opener.join(timeout=30)
    assert outcome == ["counted"]


def _first_use(store: SqliteStore) -> str:
    """Use ``store`` as a worker's first request does; say how it went."""
    try:
        store.day_key(20_000)
        store.count([Hit(b"first-use", 1_000, 60.0)], time.time())
    except StoreUnavailable as exc:
        return str(exc)
    return "counted"


def _vm_steps(store: SqliteStore, work: Callable[[], object]) -> int:
    """Return how many SQLite virtual-machine instructions ``work`` costs on the store's connection."""
    connection = store._connect()
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    connection.set_progress_handler(tick, 1)
    try:
        work()
    finally:
        connection.set_progress_handler(None, 1)
    return steps[0]


def test_a_count_costs_the_same_however_many_events_its_window_holds(tmp_path: Path) -> None:
    """A flood with raised limits fills a window with thousands of events; counting one more must not read
    them all (the SQLite store once did, with a count(*) over the window on every request)."""
    store = SqliteStore(tmp_path / "throttle.sqlite3")
    now = 1_780_000_000.0
    hits = [Hit(b"posts:*", 1_000_000, 60.0), Hit(b"address:a", 1_000_000, 60.0)]
    for i in range(20):
        store.count(hits, now + i / 1000)
    few = _vm_steps(store, lambda: store.count(hits, now + 0.5))
    for i in range(5_000):
        store.count(hits, now + 1 + i / 1000)
    many = _vm_steps(store, lambda: store.count(hits, now + 7))
    assert many < 2 * few, f"{many} steps with 5,000 events in the window against {few} with 20"


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["count", "full", "uncount", "sweep"]), st.integers(0, 2), st.integers(0, 90)),
        min_size=1,
        max_size=60,
    )
)
def test_the_sqlite_store_answers_as_the_memory_store_does(tmp_path: Path, steps: list[tuple[str, int, int]]) -> None:
    """Random counts, checks, take-backs and sweeps over two windows: the same answers from both stores, and the
    SQLite tallies always equal the events they count."""
    sqlite_store = SqliteStore(tmp_path / f"parity-{time.monotonic_ns()}.sqlite3")
    memory_store = MemoryStore()
    windows = [[Hit(b"w:a", 3, 30.0), Hit(b"w:*", 5, 30.0)], [Hit(b"w:b", 2, 10.0), Hit(b"w:*", 5, 30.0)]]
    now = 1_780_000_000.0
    counted: list[tuple[object, object]] = []
    for action, which, advance in steps:
        now += advance / 3
        hits = windows[which % 2]
        if action == "count":
            on_sqlite, on_memory = sqlite_store.count(hits, now), memory_store.count(hits, now)
            assert type(on_sqlite) is type(on_memory)
            if hasattr(on_sqlite, "entry"):
                counted.append((on_sqlite, on_memory))
            else:
                assert (on_sqlite.index, on_sqlite.wait) == pytest.approx((on_memory.index, on_memory.wait))  # type: ignore[union-attr]
        elif action == "full":
            assert sqlite_store.full(hits, now) == memory_store.full(hits, now)
        elif action == "uncount" and counted:
            on_sqlite, on_memory = counted.pop(which % len(counted))
            sqlite_store.uncount(on_sqlite)  # type: ignore[arg-type]
            memory_store.uncount(on_memory)  # type: ignore[arg-type]
        elif action == "sweep":
            sqlite_store.sweep(now)
            memory_store.sweep(now)
        db = sqlite_store._connect()
        events = dict(db.execute("SELECT bucket, count(*) FROM event GROUP BY bucket").fetchall())
        tallies = dict(db.execute("SELECT bucket, n FROM tally WHERE n > 0").fetchall())
        assert tallies == events


def test_a_store_made_before_the_tally_counts_the_events_it_already_holds(tmp_path: Path) -> None:
    path = tmp_path / "throttle.sqlite3"
    now = 1_780_000_000.0
    hits = [Hit(b"w:a", 3, 60.0)]
    old = SqliteStore(path)
    for i in range(3):
        old.count(hits, now + i)
    old._connect().execute("DROP TABLE tally")  # as a file written by the version before the tally
    old._forget_connection()
    upgraded = SqliteStore(path)
    refused = upgraded.count(hits, now + 5)
    assert refused is not None and not hasattr(refused, "entry"), "the three events already fill the window"


def test_a_tally_out_of_step_with_its_events_is_mended_by_the_sweep(tmp_path: Path) -> None:
    """Someone who edits the store's file could set a tally past its limit; the window must not stay shut."""
    store = SqliteStore(tmp_path / "throttle.sqlite3")
    now = 1_780_000_000.0
    hits = [Hit(b"posts:*", 3, 60.0)]
    store.count(hits, now)
    store._connect().execute("UPDATE tally SET n = 1000000")
    assert not hasattr(store.count(hits, now + 1), "entry"), "the edited tally shuts the window"
    store.sweep(now + 2)
    assert hasattr(store.count(hits, now + 3), "entry"), "counted again from its one event"
    assert store._connect().execute("SELECT n FROM tally").fetchone() == (2,)


def test_retry_after_does_not_date_another_clients_post(client: Client, settings, clock) -> None:
    """The global POST window is everyone's: the wait it gives must be the same whenever the others posted."""
    settings.PELUIT_THROTTLE_PER_ADDRESS = (100, 60)
    settings.PELUIT_THROTTLE_GLOBAL_POSTS = (2, 60)
    waits = []
    for victim_seconds_ago in (5, 40):
        reset_for_tests(clock=clock, store=MemoryStore())
        assert client.post("/page", REMOTE_ADDR="198.51.100.1").status_code == 200  # someone's report
        clock.now += victim_seconds_ago
        assert client.post("/page", REMOTE_ADDR="203.0.113.9").status_code == 200
        refused = client.post("/page", REMOTE_ADDR="203.0.113.9")
        assert refused.status_code == 429
        waits.append(refused["Retry-After"])
    assert waits == ["60", "60"]
