"""``/v1/audio/speech`` in the emulator, over HTTP: audio bytes per format, SSE events, and the checks."""

from __future__ import annotations

import base64
import io
import json
import wave

import pytest

MINI_TTS = "gpt-4o-mini-tts"
SPEECH = {"model": "tts-1", "input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"}
MAGIC = {
    "mp3": (b"\xff\xfb", "audio/mpeg"),
    "opus": (b"OggS", "audio/opus"),
    "aac": (b"\xff\xf1", "audio/aac"),
    "flac": (b"fLaC", "audio/flac"),
    "wav": (b"RIFF", "audio/wav"),
}


def speak(post, **change):
    response = post("/audio/speech", json={**SPEECH, **change})
    assert response.status_code == 200, response.text
    return response


def test_mp3_is_the_default(post):
    response = speak(post)
    assert response.headers["content-type"] == "audio/mpeg" and response.content.startswith(b"\xff\xfb")


@pytest.mark.parametrize("response_format", sorted(MAGIC))
def test_each_format_starts_with_its_magic_bytes(post, response_format):
    magic, content_type = MAGIC[response_format]
    response = speak(post, response_format=response_format)
    assert response.headers["content-type"] == content_type and response.content.startswith(magic)


def test_wav_is_a_real_24khz_mono_16_bit_file_as_long_as_the_text(post):
    audio = speak(post, response_format="wav").content
    with wave.open(io.BytesIO(audio)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (24_000, 1, 2)
        seconds = reader.getnframes() / reader.getframerate()
        frames = reader.readframes(reader.getnframes())
    assert seconds == pytest.approx(len(SPEECH["input"]) / 15, abs=0.01)
    assert any(frames)  # a tone, not silence


def test_pcm_is_the_wavs_samples_without_a_header(post):
    wav = speak(post, response_format="wav").content
    pcm = speak(post, response_format="pcm")
    assert (
        pcm.headers["content-type"] == "audio/pcm" and wav.endswith(pcm.content) and len(wav) == len(pcm.content) + 44
    )


def test_audio_is_deterministic_and_grows_with_the_input_and_slowness(post):
    short = speak(post).content
    assert speak(post).content == short
    assert len(speak(post, input=SPEECH["input"] * 4).content) > 3 * len(short)
    assert len(speak(post, speed=0.5).content) > 1.8 * len(short)
    assert speak(post, voice="echo", response_format="wav").content != speak(post, response_format="wav").content


def test_sse_sends_the_audio_in_delta_events_then_usage(post):
    body = {**SPEECH, "model": MINI_TTS, "response_format": "wav", "stream_format": "sse", "input": "word " * 400}
    response = post("/audio/speech", json=body)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    deltas, done = events[:-1], events[-1]
    assert len(deltas) > 1 and {event["type"] for event in deltas} == {"speech.audio.delta"}
    audio = b"".join(base64.b64decode(event["audio"]) for event in deltas)
    assert audio == post("/audio/speech", json={**body, "stream_format": "audio"}).content
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert usage["input_tokens"] == 500 and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_instructions_and_new_voices_need_a_gpt_model(post):
    assert speak(post, model=MINI_TTS, instructions="Whisper.", voice="marin").content
    assert speak(post, model=MINI_TTS, voice={"id": "voice_1234"}).content


@pytest.mark.parametrize(
    "change, param, code",
    [
        ({"model": None}, "model", "missing_required_parameter"),
        ({"voice": None}, "voice", "missing_required_parameter"),
        ({"input": None}, "input", "missing_required_parameter"),
        ({"input": "x" * 4097}, "input", "string_above_max_length"),
        ({"model": "gpt-4o-mini"}, "model", "invalid_value"),
        ({"voice": "robot"}, "voice", "invalid_value"),
        ({"voice": "marin"}, "voice", "invalid_value"),  # not a tts-1 voice
        ({"voice": {"id": "v", "name": "x"}}, "voice", None),
        ({"voice": {"id": 5}}, "voice", None),
        ({"instructions": "Whisper."}, "instructions", "unsupported_value"),
        ({"stream_format": "sse"}, "stream_format", "unsupported_value"),
        ({"stream_format": "chunks"}, "stream_format", "invalid_value"),
        ({"response_format": "ogg"}, "response_format", "invalid_value"),
        ({"speed": 4.5}, "speed", "invalid_value"),
        ({"speed": 0.1}, "speed", "invalid_value"),
        ({"speed": "fast"}, "speed", "invalid_type"),
        ({"extra": 1}, "extra", "unknown_parameter"),
    ],
)
def test_bad_speech_requests_get_a_400_naming_the_param(post, change, param, code):
    body = {name: value for name, value in {**SPEECH, **change}.items() if value is not None}
    response = post("/audio/speech", json=body)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


def test_an_unknown_model_is_model_not_found(post):
    response = post("/audio/speech", json={**SPEECH, "model": "tts-9"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"model": 1, "input": "x", "voice": "alloy"}', b'{"input": []}'])
def test_hostile_bodies_get_a_400_never_a_500(post, body):
    response = post("/audio/speech", data=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
