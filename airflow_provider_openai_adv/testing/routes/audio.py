"""``/v1/audio/transcriptions`` and ``/v1/audio/translations``: deterministic text for audio.

The words come from a fixed English vocabulary, picked by a seed made of the file's name
and a hash of its bytes, about 2.5 words per second of audio, spread evenly over it. A
WAV file's duration is read from its header; other formats are estimated from their size.
"""

from __future__ import annotations

import math
import random
import re
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import (
    APIError,
    Form,
    Request,
    Response,
    invalid,
    json_response,
    text_response,
)
from airflow_provider_openai_adv.testing.routes.common import check_choice, check_range, form_number, upload_digest
from airflow_provider_openai_adv.testing.routing import Route

AUDIO_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
# The response formats of each model. The spec's prose allows only json for the gpt-4o
# models; OpenAI's API also answers text ("Use 'json' or 'text'"), so the emulator does.
TRANSCRIPTION_MODELS = {
    "whisper-1": RESPONSE_FORMATS,
    "gpt-4o-transcribe": ("json", "text"),
    "gpt-4o-mini-transcribe": ("json", "text"),
}
MAX_AUDIO_BYTES = 25 * 1024 * 1024
BYTES_PER_SECOND = 16_000  # 128 kbit/s, a common bitrate of compressed speech
WORDS_PER_SECOND = 2.5
AUDIO_TOKENS_PER_SECOND = 10
LANGUAGES = {
    "en": "english",
    "de": "german",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "ja": "japanese",
    "nl": "dutch",
    "pt": "portuguese",
    "zh": "chinese",
}
# Distinct everyday words: transcripts are word salad, but readable and English.
VOCABULARY = synth.words(
    "the pipeline runs every morning and loads fresh data into warehouse before team checks each "
    "report for errors while model reads new files from storage then writes a short summary that "
    "engineers review after lunch so nothing waits long"
)


@dataclass(frozen=True)
class Transcript:
    """Sentences of words over ``duration`` seconds, each word taking an equal share."""

    sentences: list[list[str]]
    duration: float

    @classmethod
    def make(cls, seed: int, duration: float) -> Transcript:
        rng = random.Random(seed)
        words = [rng.choice(VOCABULARY) for _ in range(max(1, round(duration * WORDS_PER_SECOND)))]
        sentences = []
        while words:
            cut = rng.randint(5, 12)
            sentences.append(words[:cut])
            words = words[cut:]
        return cls(sentences, duration)

    @property
    def step(self) -> float:
        return self.duration / sum(map(len, self.sentences))

    @staticmethod
    def sentence_text(words: list[str]) -> str:
        return " ".join([words[0].capitalize(), *words[1:]]) + "."

    @property
    def text(self) -> str:
        return " ".join(map(self.sentence_text, self.sentences))

    def cues(self) -> list[tuple[float, float, str]]:
        """Each sentence with its start and end, in seconds."""
        cues, first = [], 0
        for words in self.sentences:
            cues.append((first * self.step, (first + len(words)) * self.step, self.sentence_text(words)))
            first += len(words)
        return cues

    def words(self) -> list[dict[str, Any]]:
        words = [word for sentence in self.sentences for word in sentence]
        return [
            {"word": word, "start": round(i * self.step, 3), "end": round((i + 1) * self.step, 3)}
            for i, word in enumerate(words)
        ]

    def segments(self, temperature: float) -> list[dict[str, Any]]:
        return [
            {
                "id": index,
                "seek": int(start // 30) * 3000,  # Whisper's 30 s windows, in 10 ms frames
                "start": round(start, 3),
                "end": round(end, 3),
                "text": " " + text,
                "tokens": [synth.stable_int(word) % 50_000 for word in text.split()],
                "temperature": temperature,
                "avg_logprob": -0.2,
                "compression_ratio": 1.3,
                "no_speech_prob": 0.01,
            }
            for index, (start, end, text) in enumerate(self.cues())
        ]

    def subtitles(self, vtt: bool) -> str:
        """The transcript as SubRip (``srt``) or WebVTT (``vtt``) cues, one per sentence."""
        blocks = ["WEBVTT\n"] if vtt else []
        for number, (start, end, text) in enumerate(self.cues(), 1):
            timing = f"{_timestamp(start, vtt)} --> {_timestamp(end, vtt)}"
            blocks.append(f"{timing}\n{text}\n" if vtt else f"{number}\n{timing}\n{text}\n")
        return "\n".join(blocks)


def _timestamp(seconds: float, vtt: bool) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}{'.' if vtt else ','}{millis % 1000:03d}"


def create_transcription(request: Request) -> Response:
    form = request.require_form()
    model = _model(form, TRANSCRIPTION_MODELS)
    response_format = _response_format(form)
    if response_format not in TRANSCRIPTION_MODELS[model]:
        raise invalid(
            f"response_format '{response_format}' is not compatible with model '{model}'. Use 'json' or 'text'.",
            param="response_format",
            code="unsupported_value",
        )
    granularities = form.get_list("timestamp_granularities")
    for granularity in granularities:
        check_choice(granularity, "timestamp_granularities", ["word", "segment"])
    if granularities and response_format != "verbose_json":
        raise invalid(
            "timestamp_granularities is only supported with response_format 'verbose_json'.",
            param="timestamp_granularities",
        )
    language = form.get("language")
    if language is not None and not re.fullmatch("[a-z]{2}", language):
        raise invalid(
            f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
            param="language",
        )
    if form.get("stream", "false").lower() == "true" and model != "whisper-1":  # whisper-1 ignores it
        raise invalid("Streamed transcriptions are not emulated.", param="stream")
    temperature = _temperature(form)
    seed, duration = _audio(form)
    transcript = Transcript.make(seed, duration)
    if model == "whisper-1":
        usage: dict[str, Any] = {"type": "duration", "seconds": math.ceil(duration)}
    else:
        audio_tokens = max(1, round(duration * AUDIO_TOKENS_PER_SECOND))
        prompt_tokens = synth.estimate_tokens(form.get("prompt", ""))
        output_tokens = synth.estimate_tokens(transcript.text)
        usage = {
            "type": "tokens",
            "input_tokens": audio_tokens + prompt_tokens,
            "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            "output_tokens": output_tokens,
            "total_tokens": audio_tokens + prompt_tokens + output_tokens,
        }
    language_name = LANGUAGES.get(language or "en", language or "")
    return _answer(transcript, response_format, usage, language_name, temperature, granularities or ["segment"])


def create_translation(request: Request) -> Response:
    form = request.require_form()
    _model(form, ["whisper-1"])
    response_format = _response_format(form)
    temperature = _temperature(form)
    seed, duration = _audio(form)
    transcript = Transcript.make(synth.stable_int("english", seed), duration)
    return _answer(transcript, response_format, None, "english", temperature, ["segment"])


def _model(form: Form, allowed: Iterable[str]) -> str:
    model = form.get("model")
    if not model:
        raise invalid("Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
    check_choice(model, "model", allowed)
    return model


def _response_format(form: Form) -> str:
    response_format = form.get("response_format") or "json"
    check_choice(response_format, "response_format", RESPONSE_FORMATS)
    return response_format


def _temperature(form: Form) -> float:
    temperature = form_number(form, "temperature", float) or 0.0
    check_range({"temperature": temperature}, "temperature", 0, 1)
    return temperature


def _audio(form: Form) -> tuple[int, float]:
    """The uploaded audio's seed (its name and bytes) and duration in seconds; 400 when unusable."""
    upload = form.file("file")
    if upload is None:
        raise invalid("Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    extension = PurePath(upload.filename).suffix.lower().lstrip(".")
    if extension not in AUDIO_FORMATS:
        raise invalid(
            f"Invalid file format. Supported formats: {list(AUDIO_FORMATS)}", param="file", code="invalid_value"
        )
    if upload.size > MAX_AUDIO_BYTES:
        raise APIError(413, f"Maximum content size limit ({MAX_AUDIO_BYTES}) exceeded ({upload.size} bytes read)")
    corrupted = invalid("Audio file might be corrupted or unsupported", param="file", code="invalid_value")
    if not upload.size:
        raise corrupted
    if extension == "wav":
        try:
            with wave.open(str(upload.path)) as audio:
                duration = audio.getnframes() / audio.getframerate()
        except (wave.Error, EOFError, ZeroDivisionError):
            raise corrupted from None
    else:
        duration = upload.size / BYTES_PER_SECOND
    return synth.stable_int(upload.filename, upload_digest(upload)), round(duration, 3)


def _answer(
    transcript: Transcript,
    response_format: str,
    usage: dict[str, Any] | None,
    language: str,
    temperature: float,
    granularities: list[str],
) -> Response:
    if response_format == "text":
        return text_response(transcript.text + "\n")
    if response_format in ("srt", "vtt"):
        return text_response(transcript.subtitles(vtt=response_format == "vtt"))
    body: dict[str, Any] = {"text": transcript.text}
    if response_format == "verbose_json":
        body = {"language": language, "duration": transcript.duration, **body}
        if "word" in granularities:
            body["words"] = transcript.words()
        if "segment" in granularities:
            body["segments"] = transcript.segments(temperature)
    if usage is not None:
        body["usage"] = usage
    return json_response(body)


ROUTES = (
    Route("POST", "/audio/transcriptions", create_transcription),
    Route("POST", "/audio/translations", create_translation),
)
