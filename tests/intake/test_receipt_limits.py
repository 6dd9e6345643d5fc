"""Receipt limits that stop guessing but never an honest reporter (issue 9 item 7, issue 10 item 5).

Only wrong receipts count, per address and from everyone together; the limits here are the settings'
defaults, as in production, so a flood like the one an attacker's probe sent is replayed as it came.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from tests.intake.conftest import IntakeStaff, wbs_post
from vault.services import format_receipt


def new_receipt() -> str:
    response = Client().post("/api/v1/reports/wbs", wbs_post(), REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 201, response.content
    return str(response.json()["receipt"])


def api_followup(client: Client, receipt: str, address: str) -> int:
    response = client.get("/api/v1/followup", headers={"X-Peluit-Receipt": receipt}, REMOTE_ADDR=address)
    return response.status_code


def test_opening_the_inbox_again_and_again_is_never_blocked(client: Client, intake_staff: IntakeStaff) -> None:
    per_address, _period = settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS
    receipt = format_receipt(new_receipt())
    logins = [client.post("/en/follow/", {"receipt": receipt}).status_code for _ in range(per_address + 5)]
    api = [api_followup(client, receipt, "127.0.0.1") for _ in range(per_address + 5)]
    assert logins == [302] * (per_address + 5)
    assert api == [200] * (per_address + 5)


def test_wrong_receipts_still_reach_the_per_address_limit(client: Client, intake_staff: IntakeStaff) -> None:
    per_address, _period = settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS
    receipt = format_receipt(new_receipt())
    client.post("/en/follow/", {"receipt": receipt})  # a right one first: it does not count
    wrong = [client.post("/en/follow/", {"receipt": "1111 2222 3333 4444"}).status_code for _ in range(per_address)]
    assert wrong == [400] * per_address
    assert client.post("/en/follow/", {"receipt": receipt}).status_code == 429, "over the limit, no lookup at all"


def test_a_flood_of_wrong_receipts_does_not_lock_out_an_honest_reporter(
    client: Client, intake_staff: IntakeStaff, settings: Any
) -> None:
    """The probe's flood: ~200 wrong receipts from ~40 addresses; then the right one from a fresh address."""
    receipt = new_receipt()
    statuses = [
        api_followup(client, f"{n:04d} 0000 1111 {address:04d}", f"203.0.113.{address}")
        for address in range(1, 41)
        for n in range(5)
    ]
    assert statuses == [403] * 200, "each wrong receipt is refused as wrong, none as throttled"

    assert api_followup(client, receipt, "198.51.100.200") == 200
    page = client.post("/follow/", {"receipt": format_receipt(receipt)}, REMOTE_ADDR="198.51.100.201")
    assert page.status_code == 302


def test_the_global_limit_still_bounds_guessing(client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_GLOBAL = (30, 600)
    receipt = new_receipt()
    statuses = [api_followup(client, "1111 2222 3333 4444", f"203.0.113.{n}") for n in range(1, 31)]
    assert statuses == [403] * 30
    assert api_followup(client, "1111 2222 3333 4445", "203.0.113.99") == 429
    assert api_followup(client, receipt, "198.51.100.200") == 429, "past the global limit nobody gets a lookup"
