"""A wrong receipt costs the same time as a right one: the Argon2id derivation dominates both."""

from __future__ import annotations

import time
import uuid

import pytest

from casework.models import StaffUser
from vault import conf
from vault import services as vault
from vault.exceptions import UnknownReceipt
from vault.formats import KdfParams

pytestmark = pytest.mark.django_db


def test_wrong_receipts_take_as_long_as_right_ones(
    officer: StaffUser, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cost between the test profile and production, so the derivation is measurable but quick.
    timing = KdfParams(ops=2, mem=16 * 1024 * 1024)
    monkeypatch.setitem(conf.KDF_PROFILES, "timing", {**conf.KDF_PROFILES["test"], "receipt": timing})
    settings.VAULT_KDF_PROFILE = "timing"  # type: ignore[attr-defined]
    receipt = vault.seal_report(report_id=uuid.uuid4(), recipients=[officer]).receipt
    wrong = receipt[:-1] + ("9" if receipt[-1] != "9" else "8")

    def timed(candidate: str) -> float:
        start = time.perf_counter()
        try:
            vault.reporter_access(receipt=candidate)
        except UnknownReceipt:
            pass
        return time.perf_counter() - start

    timed(receipt), timed(wrong)  # warm up
    right_times, wrong_times = [], []
    for _ in range(8):
        right_times.append(timed(receipt))
        wrong_times.append(timed(wrong))
    # The fastest run of each is the least disturbed by other processes on the machine.
    ratio = min(wrong_times) / min(right_times)
    # A short-cut for wrong receipts would skip the derivation and give a ratio near 0; the band is wide
    # enough that a busy CI machine does not make the test flaky.
    assert 0.6 < ratio < 1.6, (right_times, wrong_times)
    with pytest.raises(UnknownReceipt):
        vault.reporter_access(receipt=wrong)
