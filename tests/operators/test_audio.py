"""Audio operators: transcription and translation — executed as a worker would, against the emulator."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.operators import OpenAICreateTranscriptionOperator, OpenAICreateTranslationOperator
from tests.dag_runs import refused
from tests.media import make_wav
from tests.tasks import run_task


@pytest.fixture
def speech(tmp_path):
    """Two seconds of silence as a real WAV file."""
    path = tmp_path / "meeting.wav"
    path.write_bytes(make_wav(2, rate=8000))
    return path


def test_transcription_json_goes_to_xcom(openai_emulator, speech):
    result = run_task(
        OpenAICreateTranscriptionOperator(task_id="transcribe", file=str(speech), language="en", temperature=0.2)
    ).value
    request = openai_emulator.requests[-1]
    assert request.path == "/v1/audio/transcriptions"
    assert request.form == {"model": ["whisper-1"], "language": ["en"], "temperature": ["0.2"]}
    assert request.files["file"][0]["filename"] == "meeting.wav"
    assert isinstance(result["text"], str) and result["text"]


def test_verbose_transcription_with_word_timestamps_to_a_file(openai_emulator, speech, tmp_path):
    summary = run_task(
        OpenAICreateTranscriptionOperator(
            task_id="transcribe", file=str(speech), response_format="verbose_json",
            timestamp_granularities=["word", "segment"], output_path=str(tmp_path),
        )
    ).value  # fmt: skip
    assert openai_emulator.requests[-1].form["timestamp_granularities[]"] == ["word", "segment"]
    written = json.loads((tmp_path / "transcribe.json").read_text())
    assert summary["path"] == str(tmp_path / "transcribe.json")
    assert summary["duration"] == pytest.approx(2.0, abs=0.01) == written["duration"]
    assert summary["characters"] == len(written["text"]) and written["words"]


@pytest.mark.parametrize(("response_format", "suffix"), [("text", ".txt"), ("srt", ".srt"), ("vtt", ".vtt")])
def test_text_formats(openai_emulator, speech, tmp_path, response_format, suffix):
    inline = run_task(
        OpenAICreateTranscriptionOperator(task_id="inline", file=str(speech), response_format=response_format)
    ).value
    written = run_task(
        OpenAICreateTranscriptionOperator(
            task_id="to_file", file=str(speech), response_format=response_format, output_path=str(tmp_path)
        )
    ).value
    assert written == {
        "path": str(tmp_path / f"to_file{suffix}"),
        "response_format": response_format,
        "characters": len(inline["text"]),
    }
    assert inline["response_format"] == response_format and inline["text"]
    assert (tmp_path / f"to_file{suffix}").read_text() == inline["text"]
    if response_format == "vtt":
        assert inline["text"].startswith("WEBVTT")


def test_translation_to_english(openai_emulator, speech):
    result = run_task(OpenAICreateTranslationOperator(task_id="translate", file=str(speech), prompt="A meeting")).value
    request = openai_emulator.requests[-1]
    assert request.path == "/v1/audio/translations" and request.form == {
        "model": ["whisper-1"],
        "prompt": ["A meeting"],
    }
    assert result["text"]


def test_long_audio_needs_an_output_path(openai_emulator, tmp_path):
    big = tmp_path / "long.mp3"
    with big.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    with refused(match="^output_path: needed for 11534336 bytes of audio"):
        run_task(OpenAICreateTranscriptionOperator(task_id="t", file=str(big)))
    assert openai_emulator.requests == []


@pytest.mark.parametrize(
    ("operator", "arguments", "named"),
    [
        (OpenAICreateTranscriptionOperator, {"file": "/no/such.wav"}, "file"),
        (OpenAICreateTranscriptionOperator, {"file": "NOTES"}, "file"),
        (OpenAICreateTranscriptionOperator, {"file": "SPEECH", "response_format": "pdf"}, "response_format"),
        (
            OpenAICreateTranscriptionOperator,
            {"file": "SPEECH", "timestamp_granularities": ["word"]},
            "timestamp_granularities",
        ),
        (OpenAICreateTranslationOperator, {"file": "SPEECH", "temperature": 3}, "temperature"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(
    openai_emulator, operator, arguments, named, speech, tmp_path
):
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    files = {"SPEECH": str(speech), "NOTES": str(notes)}
    arguments = {key: files.get(value, value) if isinstance(value, str) else value for key, value in arguments.items()}
    with refused(named):
        run_task(operator(task_id="bad", **arguments))
    assert openai_emulator.requests == []
