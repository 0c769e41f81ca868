"""``gpt-4o-transcribe-diarize``'s ``diarized_json`` answer over real HTTP: who spoke each sentence."""

from __future__ import annotations

from tests.contract.conftest import CURRENT, spec_or_skip
from tests.contract.openapi import spec_document, validate_schema
from tests.media import make_wav

DIARIZE = {"model": "gpt-4o-transcribe-diarize", "response_format": "diarized_json"}


def diarize(post, seconds: float = 12, **data):
    files = {"file": ("call.wav", make_wav(seconds), "audio/wav")}
    return post("/audio/transcriptions", files=files, data={**DIARIZE, **data})


def test_a_diarized_transcript_fits_the_spec_and_gives_the_sentences_to_two_speakers_in_turn(post):
    answer = diarize(post).json()
    spec_or_skip(CURRENT)
    validate_schema(spec_document(CURRENT), "CreateTranscriptionResponseDiarizedJson", answer)
    segments = answer["segments"]
    assert [segment["id"] for segment in segments] == [f"seg_{n:03d}" for n in range(1, len(segments) + 1)]
    assert [segment["speaker"] for segment in segments] == [("A", "B")[index % 2] for index in range(len(segments))]
    assert [segment["end"] for segment in segments[:-1]] == [segment["start"] for segment in segments[1:]]
    assert (segments[0]["start"], segments[-1]["end"], answer["duration"]) == (0, 12, 12)
    assert " ".join(segment["text"] for segment in segments) == answer["text"]


def test_named_speakers_label_the_segments(post):
    references = ["data:audio/wav;base64,AAAA", "data:audio/wav;base64,BBBB"]
    answer = diarize(post, **{"known_speaker_names[]": ["agent", "customer"], "known_speaker_references[]": references})
    assert [segment["speaker"] for segment in answer.json()["segments"][:3]] == ["agent", "customer", "agent"]


def test_audio_past_thirty_seconds_needs_a_chunking_strategy(post):
    refused = diarize(post, seconds=31)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "chunking_strategy"
    assert diarize(post, seconds=31, chunking_strategy="auto").status_code == 200
    assert diarize(post, seconds=31, **{"chunking_strategy[type]": "server_vad"}).status_code == 200
    assert diarize(post, seconds=30).status_code == 200


def test_only_the_diarizing_model_answers_diarized_json(post):
    refused = diarize(post, model="gpt-4o-transcribe").json()["error"]
    assert refused["message"] == (
        "response_format 'diarized_json' is not compatible with model 'gpt-4o-transcribe'. Use 'json' or 'text'."
    )
    assert (refused["param"], refused["code"]) == ("response_format", "unsupported_value")
    files = {"file": ("call.wav", make_wav(2), "audio/wav")}
    translated = post(
        "/audio/translations", files=files, data={"model": "whisper-1", "response_format": "diarized_json"}
    )
    assert translated.status_code == 400 and translated.json()["error"]["param"] == "response_format"
