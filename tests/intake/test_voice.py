"""Issue 10 item 2: recordings of the reporter's own voice are disguised (pitch and formants) before sealing.

The recordings are made at test time (tests/intake/voice_samples.py) and measured with Praat's pitch and
formant trackers: the disguised output must differ in pitch, keep its duration within 10 %, use fresh random
parameters per file, and reach the officer only in its disguised form.
"""

from __future__ import annotations

import io
import math
import tempfile
from typing import Any

import numpy as np
import pytest
from django.test import Client

from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case
from intake import voice
from intake.voice import CannotDisguise, DisguiseParameters, VoiceBudget, disguise_voice, draw_parameters
from tests.intake.conftest import IntakeStaff, pdf_with_author, upload, wbs_post
from tests.intake.voice_samples import FORMATS, encode, mean_formant, median_pitch, sound_of, synthetic_voice
from tests.support.assignment import assign_officers

SECONDS = 6.0


@pytest.fixture(scope="module")
def voice_signal() -> np.ndarray[Any, Any]:
    return synthetic_voice(SECONDS, pitch=120.0)


@pytest.fixture(scope="module")
def recordings(voice_signal: np.ndarray[Any, Any]) -> dict[str, bytes]:
    return {kind: encode(voice_signal, kind) for kind in FORMATS}


def disguised(data: bytes, **kwargs: Any) -> tuple[bytes, DisguiseParameters]:
    with tempfile.TemporaryFile() as target:
        parameters = disguise_voice(io.BytesIO(data), target, budget=VoiceBudget(), **kwargs)
        target.seek(0)
        return target.read(), parameters


@pytest.mark.parametrize("kind", list(FORMATS))
def test_disguise_moves_the_pitch_and_keeps_the_duration(recordings: dict[str, bytes], kind: str) -> None:
    original = sound_of(recordings[kind])
    output, parameters = disguised(recordings[kind])
    assert output[:4] == b"RIFF" and output[8:12] == b"WAVE"
    result = sound_of(output)
    assert abs(result.get_total_duration() - original.get_total_duration()) <= 0.1 * original.get_total_duration()
    before, after = median_pitch(original), median_pitch(result)
    assert 110 < before < 130, before
    assert abs(after / before - 1) > 0.15, (before, after)  # clearly another pitch
    assert after / before == pytest.approx(parameters.pitch_factor, rel=0.1)  # ...the one drawn for this file


@pytest.mark.parametrize(
    "parameters",
    [DisguiseParameters(1.4, 1.0, 1.18), DisguiseParameters(0.7, 1.0, 0.85)],
    ids=["up", "down"],
)
def test_formants_move_with_the_drawn_ratio(recordings: dict[str, bytes], parameters: DisguiseParameters) -> None:
    original = sound_of(recordings["wav"])
    result = sound_of(disguised(recordings["wav"], parameters=parameters)[0])
    ratio = mean_formant(result, 1) / mean_formant(original, 1)
    # The first formant (the most robust to measure) moves the way the ratio says, by a good part of it.
    assert math.copysign(1, ratio - 1) == math.copysign(1, parameters.formant_shift_ratio - 1)
    assert abs(ratio - 1) > 0.5 * abs(parameters.formant_shift_ratio - 1), ratio


def test_two_disguises_of_the_same_file_use_different_parameters(recordings: dict[str, bytes]) -> None:
    # Three draws: two random pitch factors can by chance land a fraction of a hertz apart, three hardly all.
    runs = [disguised(recordings["m4a"]) for _ in range(3)]
    assert len({parameters for _, parameters in runs}) == 3
    assert len({output for output, _ in runs}) == 3
    pitches = [median_pitch(sound_of(output)) for output, _ in runs]
    assert max(pitches) - min(pitches) > 0.5, pitches


def test_parameters_are_drawn_within_the_ranges_and_never_near_no_change() -> None:
    drawn = [draw_parameters() for _ in range(300)]
    assert len({p.pitch_factor for p in drawn}) == 300
    for p in drawn:
        up = p.pitch_factor > 1
        assert voice.PITCH_UP[0] <= p.pitch_factor <= voice.PITCH_UP[1] or not up
        assert voice.PITCH_DOWN[0] <= p.pitch_factor <= voice.PITCH_DOWN[1] or up
        assert (p.formant_shift_ratio > 1) == up  # formants move the same way as the pitch
        assert abs(math.log(p.formant_shift_ratio)) > 0.07 and abs(math.log(p.pitch_factor)) > 0.19
        assert voice.PITCH_RANGE[0] <= p.pitch_range_factor <= voice.PITCH_RANGE[1]
    assert {p.pitch_factor > 1 for p in drawn} == {True, False}
    assert "pitch" not in repr(drawn[0])  # not in tracebacks or logs


def test_long_recordings_are_disguised_in_segments_without_clicks() -> None:
    signal = synthetic_voice(2 * voice.SEGMENT_SECONDS + 5, pitch=110.0)
    data = encode(signal, "wav")
    output, _parameters = disguised(data, parameters=DisguiseParameters(1.35, 1.0, 1.12))
    result = sound_of(output)
    assert result.get_total_duration() == pytest.approx(sound_of(data).get_total_duration(), rel=0.01)
    steps = np.abs(np.diff(result.values[0]))
    typical = np.percentile(steps, 99.9)
    for join in (voice.SEGMENT_SECONDS, 2 * voice.SEGMENT_SECONDS):
        around = steps[join * 16_000 - 400 : join * 16_000 + 400]
        assert around.max() <= 1.5 * typical  # no step at the join beyond what the voice itself has
    assert median_pitch(result) / median_pitch(sound_of(data)) == pytest.approx(1.35, rel=0.1)


@pytest.mark.parametrize(
    "data",
    [b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00garbage" * 300, b"RIFF\x10\x00\x00\x00WAVEfmt ", b""],
    ids=["mp3-garbage", "truncated-wav", "empty"],
)
def test_undecodable_audio_cannot_be_disguised(data: bytes) -> None:
    with pytest.raises(CannotDisguise) as refused:
        disguised(data)
    assert refused.value.code == "voice_unreadable"


def test_damaged_m4a_cannot_be_disguised(recordings: dict[str, bytes]) -> None:
    with pytest.raises(CannotDisguise):
        disguised(recordings["m4a"][:2000])


def test_the_duration_budget_bounds_decoding(recordings: dict[str, bytes]) -> None:
    budget = VoiceBudget(seconds=SECONDS + 1)
    with tempfile.TemporaryFile() as target:
        disguise_voice(io.BytesIO(recordings["ogg"]), target, budget=budget)
    with tempfile.TemporaryFile() as target, pytest.raises(CannotDisguise) as refused:
        disguise_voice(io.BytesIO(recordings["ogg"]), target, budget=budget)  # the same budget: spent
    assert refused.value.code == "voice_too_long"


def test_the_time_limit_bounds_the_work(recordings: dict[str, bytes]) -> None:
    with pytest.raises(CannotDisguise) as refused:
        disguised(recordings["wav"], time_limit=0.0)
    assert refused.value.code == "voice_too_slow"


# --- Through the forms and the API ------------------------------------------------------------------------
def voice_upload(recordings: dict[str, bytes], kind: str = "m4a", name: str = "suara-saya") -> Any:
    return upload(f"{name}{FORMATS[kind][2]}", recordings[kind])


def officer_bytes(intake_staff: IntakeStaff, case: Case) -> list[tuple[str, str, bytes]]:
    assign_officers(case, intake_staff.officer)  # new reports reach the supervisors; triage assigns
    keyring = intake_staff.keyring(intake_staff.officer)
    metas = [(sealed.open_attachment_meta(access=keyring, attachment=item), item) for item in case.attachments.all()]
    return [
        (meta.name, meta.content_type, b"".join(sealed.open_attachment_content(access=keyring, attachment=item)))
        for meta, item in metas
    ]


@pytest.mark.django_db
def test_api_voice_recording_reaches_the_officer_disguised(
    client: Client, intake_staff: IntakeStaff, recordings: dict[str, bytes]
) -> None:
    files = {"voice_recordings": [voice_upload(recordings)], "attachments": [upload("a.pdf", pdf_with_author())]}
    response = client.post("/api/v1/reports/wbs", {**wbs_post(), **files})
    assert response.status_code == 201, response.content
    files = officer_bytes(intake_staff, Case.objects.get())
    (name, content_type, content) = next(f for f in files if f[0].startswith("suara-saya"))
    assert name == "suara-saya.m4a.wav" and content_type == "audio/wav"
    assert recordings["m4a"] not in content
    before, after = median_pitch(sound_of(recordings["m4a"])), median_pitch(sound_of(content))
    assert abs(after / before - 1) > 0.15
    event = AuditEvent.objects.get(action="intake.report_submitted")
    assert event.details_dict["voice_disguised"] == 1 and event.details_dict["attachments"] == 2


@pytest.mark.django_db
def test_web_form_says_other_peoples_recordings_stay_unchanged(
    client: Client, intake_staff: IntakeStaff, settings: Any
) -> None:
    settings.PELUIT_MAX_VOICE_SECONDS = 300
    for path in ("/en/report/wbs/", "/en/report/gratification/"):
        html = client.get(path).content.decode()
        assert 'name="voice_recordings"' in html and "will be disguised" in html
        assert "Do not put recordings of other people here" in html
        assert "up to 5 minutes together" in html  # the limit as configured
    assert "paling lama 5 menit" in client.get("/report/wbs/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "expected"),
    [("damaged-m4a", "could not be read"), ("damaged-wav", "could not be read"), ("pdf", "Only audio recordings")],
)
def test_a_recording_that_cannot_be_disguised_is_refused_and_nothing_stored(
    client: Client, intake_staff: IntakeStaff, recordings: dict[str, bytes], kind: str, expected: str
) -> None:
    content = {
        "damaged-m4a": recordings["m4a"][:2000],  # libmagic: audio/x-m4a; no index, so FFmpeg cannot read it
        "damaged-wav": b"RIFF\x10\x00\x00\x00WAVEfmt ",  # libmagic: audio/x-wav
        "pdf": pdf_with_author(),
    }[kind]
    item = upload(f"suara.{kind.split('-')[-1]}", content)
    api = client.post(
        "/api/v1/reports/wbs", {**wbs_post(), "voice_recordings": [item]}, headers={"Accept-Language": "en"}
    )
    assert api.status_code == 400, api.content
    assert expected in api.json()["errors"]["voice_recordings"][0]
    item.seek(0)
    page = client.post("/en/report/wbs/", {**wbs_post(), "voice_recordings": [item]})
    assert page.status_code == 400 and expected in page.content.decode()
    assert not Case.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.report_submitted").exists()


@pytest.mark.django_db
def test_the_voice_budget_is_shared_by_the_recordings_of_one_submission(
    client: Client, intake_staff: IntakeStaff, recordings: dict[str, bytes], settings: Any
) -> None:
    settings.PELUIT_MAX_VOICE_SECONDS = int(SECONDS * 1.5)
    two = [voice_upload(recordings, "wav", "a"), voice_upload(recordings, "ogg", "b")]
    response = client.post(
        "/api/v1/reports/wbs", {**wbs_post(), "voice_recordings": two}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400 and "at most" in response.json()["errors"]["voice_recordings"][0]
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_followup_can_add_a_disguised_recording(
    client: Client, intake_staff: IntakeStaff, recordings: dict[str, bytes]
) -> None:
    receipt = client.post("/api/v1/reports/wbs", wbs_post()).json()["receipt"]
    headers = {"X-Peluit-Receipt": receipt}
    added = client.post(
        "/api/v1/followup/attachments", {"voice_recordings": [voice_upload(recordings, "mp3")]}, headers=headers
    )
    assert added.status_code == 201, added.content
    assert [a["name"] for a in added.json()["attachments"]] == ["suara-saya.mp3.wav"]
    # The follow-up page offers the same field.
    assert client.post("/follow/", {"receipt": receipt}).status_code == 302
    page = client.get("/follow/inbox/").content.decode()
    assert 'name="voice_recordings"' in page
    sent = client.post("/follow/attach/", {"voice_recordings": [voice_upload(recordings, "ogg", "lagi")]})
    assert sent.status_code == 302
    names = [name for name, _type, _content in officer_bytes(intake_staff, Case.objects.get())]
    assert sorted(names) == ["lagi.ogg.wav", "suara-saya.mp3.wav"]


@pytest.mark.django_db
def test_openapi_documents_the_voice_field(client: Client, intake_staff: IntakeStaff) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    for operation_id in ("submit_wbs_report", "submit_gratification_report", "add_followup_attachments"):
        body = operations[operation_id]["requestBody"]["content"]["multipart/form-data"]["schema"]
        field = body["properties"]["voice_recordings"]
        assert field["items"]["format"] == "binary" and "akan disamarkan" in field["description"]
