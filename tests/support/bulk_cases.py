"""Many cases at once, for the queue's tests and ``bench/console.py``: real rows, real keys where asked.

Filing 100,000 reports through intake would take hours (cleaning, a receipt's Argon2id each); the queue and the
search only need what intake stores. So this writes ``Case``, ``CaseMessage`` and the vault's ``CaseKey`` rows
with ``bulk_create``. Cases given to ``holders`` are sealed for real (a random data key sealed to each holder's
public key and to the escrow key, the content and messages sealed under it, exactly as ``vault.seal`` does),
so an officer's console opens and searches them; the other cases carry random bytes of the same size where
their ciphertext would be (the list never reads it).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from casework.models import (
    Case,
    CaseKind,
    CaseMessage,
    CaseNumberSequence,
    CaseStatus,
    GiftType,
    Organisation,
    PublicStatus,
    StaffUser,
    Transition,
    ViolationType,
)
from vault import crypto, formats
from vault.access import case_key_context
from vault.models import CaseKey, EscrowKey, OfficerKey

WBS_STATUSES = [
    CaseStatus.DITERIMA,
    CaseStatus.VERIFIKASI,
    CaseStatus.TELAAH,
    CaseStatus.PEMERIKSAAN,
    CaseStatus.PERLU_DILENGKAPI,
    CaseStatus.SELESAI,
    CaseStatus.DIARSIPKAN,
]
GRATIFICATION_STATUSES = [
    CaseStatus.DITERIMA_UPG,
    CaseStatus.DIVERIFIKASI,
    CaseStatus.DITERUSKAN_KPK,
    CaseStatus.SELESAI,
]
WORDS = (
    "petugas meminta uang tambahan untuk surat keterangan di kantor kelurahan pada pagi hari tanpa kuitansi "
    "pengadaan barang dinas rekanan proyek harga laporan bendahara pasar pedagang setoran bulanan kepala seksi"
).split()


@dataclass(frozen=True)
class BulkCases:
    """What ``create_cases`` made: the ids (oldest first) and the ids of the cases sealed for the holders."""

    ids: list[uuid.UUID]
    held_ids: list[uuid.UUID]


def report_text(rng: random.Random, words: int = 120) -> str:
    """Return plausible Indonesian report text of about ``words`` words."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _content(rng: random.Random, kind: str, organisation: Organisation | None, marker: str) -> dict[str, object]:
    base: dict[str, object] = {"language": "id"}
    if organisation is not None:
        base["organisation"] = {"code": organisation.code, "name": organisation.name}
    if kind == CaseKind.WBS:
        return {
            **base,
            "title": f"Laporan {rng.choice(WORDS)} {rng.choice(WORDS)}",
            "violation_type": rng.choice(ViolationType.values),
            "what": f"{report_text(rng)} {marker}".strip(),
            "who_name": "Pak X",
            "how": report_text(rng, 40),
        }
    return {
        **base,
        "recipient_name": "Penerima Contoh",
        "gift_description": report_text(rng, 20),
        "reason": report_text(rng, 30),
        "chronology": f"{report_text(rng, 60)} {marker}".strip(),
    }


def _public_statuses() -> dict[tuple[str, str], str]:
    """Return what the reporter sees in each (kind, status), read from the lifecycle table like a transition."""
    shown = {
        (kind, status): public
        for kind, status, public in Transition.objects.values_list("kind", "to_status", "public_status")
    }
    return shown


def _seal_key(report_id: uuid.UUID, key: bytes, public_key: bytes, officer_id: int | None) -> CaseKey:
    sealed = formats.sealed_key(public_key, key, context=case_key_context(report_id, CaseKey.Scope.DATA))
    return CaseKey(report_id=report_id, scope=CaseKey.Scope.DATA, officer_id=officer_id, sealed_key=sealed)


def create_cases(
    count: int,
    *,
    holders: Sequence[StaffUser] = (),
    held: int = 0,
    unread_share: float = 0.2,
    markers: dict[int, str] | None = None,
    seed: int = 1,
    start: datetime | None = None,
    batch: int = 2000,
    lead: StaffUser | None = None,
) -> BulkCases:
    """Create ``count`` cases received one every ~10 minutes up to now; the last ``held`` are sealed to ``holders``.

    With ``lead`` (one of the holders), the held cases are assigned to them: lead officer and team.

    ``markers`` puts a word into the report text of the case with that index (for search tests). A share
    ``unread_share`` of the cases gets an unread message from the reporter besides the acknowledgement.
    """
    rng = random.Random(seed)
    markers = markers or {}
    organisations = list(Organisation.objects.all()) or [None]
    escrow = EscrowKey.objects.first()
    holder_keys = {
        user.pk: bytes(key) for user, key in ((u, OfficerKey.objects.get(user=u).public_key) for u in holders)
    }
    if held and (escrow is None or not holder_keys):
        raise ValueError("sealed cases need the escrow key and at least one holder with a key")
    now = timezone.now()
    today = timezone.localdate(now)
    public_statuses = _public_statuses()
    start = start or now - timedelta(minutes=10 * count)
    step = (now - start) / max(count, 1)
    # Counted by number prefix, not kind: a test may have changed the kind of cases made earlier.
    sequence_base = {
        CaseKind.WBS: Case.objects.filter(number__startswith="WBS-").count(),
        CaseKind.GRATIFICATION: Case.objects.filter(number__startswith="GRT-").count(),
    }
    ids: list[uuid.UUID] = []
    held_ids: list[uuid.UUID] = []
    for first in range(0, count, batch):
        cases: list[Case] = []
        messages: list[CaseMessage] = []
        keys: list[CaseKey] = []
        team: list[Any] = []  # rows of the case-team table (Case.team.through)
        for index in range(first, min(count, first + batch)):
            kind = CaseKind.WBS if rng.random() < 0.75 else CaseKind.GRATIFICATION
            sequence_base[kind] += 1
            organisation = rng.choice(organisations)
            report_id = uuid.uuid4()
            received = start + step * index
            sealed = index >= count - held
            content = json.dumps(_content(rng, kind, organisation, markers.get(index, "")), ensure_ascii=False)
            data_key = crypto.random_key() if sealed else b""
            status = rng.choice(WBS_STATUSES if kind == CaseKind.WBS else GRATIFICATION_STATUSES)
            public_status = public_statuses.get((kind, status), PublicStatus.RECEIVED)
            closed = public_status == PublicStatus.CLOSED
            case = Case(
                id=report_id,
                number=f"{'WBS' if kind == CaseKind.WBS else 'GRT'}-{received.year}-{sequence_base[kind]:06d}",
                kind=kind,
                status=status,
                public_status=public_status,
                # A running clock's deadline between three weeks ago and five weeks ahead; none once closed.
                due_on=None if closed else today + timedelta(days=rng.randint(-21, 35)),
                closed_at=min(received + timedelta(days=30), now) if closed else None,
                received_at=received,
                violation_type=rng.choice(ViolationType.values) if kind == CaseKind.WBS else "",
                gift_type=rng.choice(GiftType.values) if kind == CaseKind.GRATIFICATION else "",
                organisation=organisation,
            )
            plaintext = content.encode()
            if sealed:
                case.content = formats.content_seal(data_key, report_id, Case.CONTENT_PURPOSE, plaintext)
                keys.append(_seal_key(report_id, data_key, bytes(escrow.public_key), None))  # type: ignore[union-attr]
                keys.extend(_seal_key(report_id, data_key, key, pk) for pk, key in holder_keys.items())
                held_ids.append(report_id)
                if lead is not None:
                    case.lead_officer = lead
                    team.append(Case.team.through(case_id=report_id, staffuser_id=lead.pk))
            else:
                case.content = rng.randbytes(len(plaintext) + 40)
            cases.append(case)
            ids.append(report_id)
            bodies = [("inspectorate", "Terima kasih. Laporan Anda telah diterima.", True)]
            if rng.random() < unread_share:
                bodies.append(("reporter", f"Tambahan informasi: {report_text(rng, 25)}", False))
            for offset, (sender, body, read) in enumerate(bodies):
                message = CaseMessage(
                    case_id=report_id,
                    sender=sender,
                    created_at=received + timedelta(seconds=offset),
                    read_by_reporter=sender == "reporter",
                    read_by_staff=read,
                )
                message.body = (
                    formats.content_seal(data_key, report_id, message.purpose, body.encode())
                    if sealed
                    else rng.randbytes(len(body) + 40)
                )
                messages.append(message)
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            CaseMessage.objects.bulk_create(messages)
            CaseKey.objects.bulk_create(keys)
            Case.team.through.objects.bulk_create(team)
    _advance_sequences()
    return BulkCases(ids=ids, held_ids=held_ids)


def _advance_sequences() -> None:
    """Move the case number sequences past the bulk numbers, so a report filed afterwards gets a fresh one."""
    for kind, prefix in ((CaseKind.WBS, "WBS"), (CaseKind.GRATIFICATION, "GRT")):
        for year in {d.year for d in Case.objects.filter(kind=kind).dates("received_at", "year")}:
            top = Case.objects.filter(kind=kind, number__startswith=f"{prefix}-{year}-").aggregate(top=Max("number"))
            if top["top"]:
                CaseNumberSequence.objects.update_or_create(
                    kind=kind, year=year, defaults={"last_value": int(top["top"].rsplit("-", 1)[1])}
                )
