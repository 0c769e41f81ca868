"""The emulator's audio endpoints over real HTTP: transcriptions and translations."""

from __future__ import annotations

import re

import pytest

from tests.media import make_wav

WAV = make_wav(2.5)


def transcribe(post, audio=WAV, name="talk.wav", **data):
    response = post("/audio/transcriptions", files={"file": (name, audio)}, data={"model": "whisper-1", **data})
    assert response.status_code == 200, response.text
    return response


def test_json_is_the_default(post):
    answer = transcribe(post).json()
    assert answer["text"].endswith(".") and len(answer["text"].split()) >= 5
    assert answer["usage"] == {"type": "duration", "seconds": 3}  # 2.5 s, billed by the started second


def test_the_transcript_is_deterministic_and_depends_on_the_file(post):
    text = transcribe(post).json()["text"]
    assert transcribe(post).json()["text"] == text
    assert transcribe(post, name="other.wav").json()["text"] != text
    assert transcribe(post, audio=make_wav(2.5, rate=8000)).json()["text"] != text


def test_verbose_json_reads_a_wavs_duration(post):
    answer = transcribe(post, response_format="verbose_json").json()
    assert (answer["language"], answer["duration"]) == ("english", 2.5)
    segments = answer["segments"]
    assert segments[0]["start"] == 0 and segments[-1]["end"] == 2.5
    assert " ".join(segment["text"].strip() for segment in segments) == answer["text"]
    assert "words" not in answer and answer["usage"] == {"type": "duration", "seconds": 3}


def test_other_formats_estimate_the_duration_from_the_size(post):
    answer = transcribe(post, audio=bytes(48_000), name="talk.mp3", response_format="verbose_json").json()
    assert answer["duration"] == 3.0  # 48 kB at 128 kbit/s


@pytest.mark.parametrize("field", ["timestamp_granularities[]", "timestamp_granularities"])
def test_timestamp_granularities(post, field):
    words_only = transcribe(post, response_format="verbose_json", **{field: ["word"]}).json()
    assert "segments" not in words_only
    words = words_only["words"]
    assert [word["word"] for word in words] == re.findall(r"\w+", words_only["text"].lower())
    assert words[0]["start"] == 0 and words[-1]["end"] == 2.5
    assert all(a["end"] == b["start"] for a, b in zip(words, words[1:], strict=False))
    both = transcribe(post, response_format="verbose_json", **{field: ["word", "segment"]}).json()
    assert both["words"] == words and both["segments"]


def test_text_is_a_plain_body(post):
    response = transcribe(post, response_format="text")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == transcribe(post).json()["text"] + "\n"


def test_srt_subtitles(post):
    body = transcribe(post, audio=make_wav(9), response_format="srt").text
    blocks = body.strip("\n").split("\n\n")
    assert len(blocks) >= 2
    for number, block in enumerate(blocks, 1):
        index, timing, text = block.split("\n")
        assert index == str(number) and text
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", timing)
    assert blocks[0].split("\n")[1].startswith("00:00:00,000 --> ")
    assert blocks[-1].split("\n")[1].endswith(" --> 00:00:09,000")


def test_vtt_subtitles(post):
    body = transcribe(post, audio=make_wav(9), response_format="vtt").text
    assert body.startswith("WEBVTT\n\n")
    cues = body.removeprefix("WEBVTT\n\n").strip("\n").split("\n\n")
    for cue in cues:
        timing, text = cue.split("\n")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing) and text
    assert cues[-1].startswith("00:00:0") and " --> 00:00:09.000" in cues[-1]


def test_language_names_the_verbose_language(post):
    assert transcribe(post, response_format="verbose_json", language="fr").json()["language"] == "french"


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
def test_gpt_4o_models_answer_json_with_token_usage_or_text(post, model):
    answer = transcribe(post, model=model, prompt="Acme pipeline").json()
    usage = answer["usage"]
    assert usage["type"] == "tokens" and usage["input_token_details"] == {"text_tokens": 4, "audio_tokens": 25}
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert transcribe(post, model=model, response_format="text").text == answer["text"] + "\n"


BAD_TRANSCRIPTIONS = [
    ({"file": ("notes.txt", b"hello")}, {}, "file"),
    ({"file": ("talk", WAV)}, {}, "file"),
    ({"file": ("talk.wav", b"not a wav at all")}, {}, "file"),
    ({"file": ("talk.mp3", b"")}, {}, "file"),
    ({"prompt": (None, "x")}, {}, "file"),
    ({"file": ("talk.wav", WAV)}, {"model": None}, "model"),
    ({"file": ("talk.wav", WAV)}, {"model": "whisper-2"}, "model"),
    ({"file": ("talk.wav", WAV)}, {"response_format": "xml"}, "response_format"),
    ({"file": ("talk.wav", WAV)}, {"model": "gpt-4o-transcribe", "response_format": "srt"}, "response_format"),
    ({"file": ("talk.wav", WAV)}, {"model": "gpt-4o-transcribe", "response_format": "verbose_json"}, "response_format"),
    ({"file": ("talk.wav", WAV)}, {"temperature": "1.5"}, "temperature"),
    ({"file": ("talk.wav", WAV)}, {"temperature": "hot"}, "temperature"),
    ({"file": ("talk.wav", WAV)}, {"language": "english"}, "language"),
    ({"file": ("talk.wav", WAV)}, {"timestamp_granularities[]": ["word"]}, "timestamp_granularities"),
    (
        {"file": ("talk.wav", WAV)},
        {"response_format": "verbose_json", "timestamp_granularities[]": ["sentence"]},
        "timestamp_granularities",
    ),
]


@pytest.mark.parametrize(("files", "data", "param"), BAD_TRANSCRIPTIONS)
def test_bad_transcriptions_get_a_400_naming_the_param(post, files, data, param):
    response = post("/audio/transcriptions", files=files, data={"model": "whisper-1", **data})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


def test_files_over_25_mb_are_refused_like_openai(post):
    big = {"file": ("long.mp3", bytes(25 * 1024 * 1024 + 1))}
    response = post("/audio/transcriptions", files=big, data={"model": "whisper-1"})
    assert response.status_code == 413


# -- translations -----------------------------------------------------------------------


def translate(post, **data):
    response = post("/audio/translations", files={"file": ("talk.wav", WAV)}, data={"model": "whisper-1", **data})
    assert response.status_code == 200, response.text
    return response


def test_a_translation_is_english_text(post):
    answer = translate(post).json()
    assert set(answer) == {"text"} and answer["text"] == translate(post).json()["text"]
    assert answer["text"] != transcribe(post).json()["text"]
    verbose = translate(post, response_format="verbose_json", temperature="0.3").json()
    assert (verbose["language"], verbose["duration"], verbose["text"]) == ("english", 2.5, answer["text"])
    assert {segment["temperature"] for segment in verbose["segments"]} == {0.3}
    assert translate(post, response_format="text").text == answer["text"] + "\n"
    assert translate(post, response_format="srt").text.startswith("1\n00:00:00,000 --> ")
    assert translate(post, response_format="vtt").text.startswith("WEBVTT\n\n00:00:00.000 --> ")


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [
        ({"file": ("talk.wav", WAV)}, {"model": "gpt-4o-transcribe"}, "model"),
        ({"file": ("talk.aiff", WAV)}, {}, "file"),
        ({"file": ("talk.wav", WAV)}, {"response_format": "diarized_json"}, "response_format"),
        ({"file": ("talk.wav", WAV)}, {"temperature": "-0.1"}, "temperature"),
    ],
)
def test_bad_translations_get_a_400_naming_the_param(post, files, data, param):
    response = post("/audio/translations", files=files, data={"model": "whisper-1", **data})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
