"""``/v1/audio/transcriptions`` and ``/v1/audio/translations``: deterministic text for audio;
``/v1/audio/speech``: deterministic audio for text.

The words come from a fixed English vocabulary, picked by a seed made of the file's name
and a hash of its bytes, about 2.5 words per second of audio, spread evenly over it. A
WAV file's duration is read from its header; other formats are estimated from their size.

Speech lasts about a second per 15 characters of input (divided by ``speed``): ``wav`` is
a real WAV and ``pcm`` raw samples (24 kHz, 16-bit, mono: a quiet tone whose pitch the
request picks), ``mp3`` and ``aac`` a run of silent frames with valid headers, ``opus``
and ``flac`` their format's magic bytes then silence, each about the size the format
takes for that duration. ``stream_format: sse`` sends the same bytes base64-encoded in
``speech.audio.delta`` events, then ``speech.audio.done`` with the usage.
"""

from __future__ import annotations

import base64
import io
import math
import random
import re
import struct
import wave
from collections.abc import Iterable, Sequence
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
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_length,
    check_range,
    form_number,
    model_or_404,
    optional,
    reject_unknown,
    require,
    sse_response,
    upload_digest,
)
from airflow_provider_openai_adv.testing.routing import Route

AUDIO_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")  # whisper-1's, and translations'
DIARIZED = "diarized_json"
# The response formats of each model. The spec's prose allows only json for the gpt-4o
# models; OpenAI's API also answers text ("Use 'json' or 'text'"), so the emulator does.
TRANSCRIPTION_MODELS = {
    "whisper-1": RESPONSE_FORMATS,
    "gpt-transcribe": ("json", "text"),
    "gpt-4o-transcribe": ("json", "text"),
    "gpt-4o-mini-transcribe": ("json", "text"),
    "gpt-4o-mini-transcribe-2025-12-15": ("json", "text"),
    "gpt-4o-transcribe-diarize": ("json", "text", DIARIZED),
}
DIARIZE_UNCHUNKED_SECONDS = 30  # longer audio needs a chunking_strategy for the diarizing model
SPEAKERS = ("A", "B")  # the labels of a diarized transcript's alternating speakers, when none are named
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

    def speaker_segments(self, speakers: Sequence[str]) -> list[dict[str, Any]]:
        """Each sentence as a ``diarized_json`` segment, the ``speakers`` taking turns."""
        return [
            {
                "type": "transcript.text.segment",
                "id": f"seg_{index + 1:03d}",
                "start": round(start, 3),
                "end": round(end, 3),
                "text": text,
                "speaker": speakers[index % len(speakers)],
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
    response_format = _response_format(form, (*RESPONSE_FORMATS, DIARIZED))
    if response_format not in TRANSCRIPTION_MODELS[model]:
        formats = " or ".join(f"'{name}'" for name in TRANSCRIPTION_MODELS[model])
        raise invalid(
            f"response_format '{response_format}' is not compatible with model '{model}'. Use {formats}.",
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
    if model == "gpt-4o-transcribe-diarize":
        _check_chunking(form, duration)
    transcript = Transcript.make(seed, duration)
    usage = _transcription_usage(model, form.get("prompt", ""), transcript)
    if response_format == DIARIZED:
        speakers = form.get_list("known_speaker_names") or SPEAKERS
        segments = transcript.speaker_segments(speakers)
        body = {"task": "transcribe", "duration": duration, "text": transcript.text, "segments": segments}
        return json_response({**body, "usage": usage})
    language_name = LANGUAGES.get(language or "en", language or "")
    return _answer(transcript, response_format, usage, language_name, temperature, granularities or ["segment"])


def _transcription_usage(model: str, prompt: str, transcript: Transcript) -> dict[str, Any]:
    """whisper-1 bills the audio's seconds; the GPT models their input (audio and prompt) and output tokens."""
    if model == "whisper-1":
        return {"type": "duration", "seconds": math.ceil(transcript.duration)}
    audio_tokens = max(1, round(transcript.duration * AUDIO_TOKENS_PER_SECOND))
    prompt_tokens = synth.estimate_tokens(prompt)
    output_tokens = synth.estimate_tokens(transcript.text)
    return {
        "type": "tokens",
        "input_tokens": audio_tokens + prompt_tokens,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + prompt_tokens + output_tokens,
    }


def _check_chunking(form: Form, duration: float) -> None:
    """The diarizing model needs a ``chunking_strategy`` (``auto`` or a ``server_vad`` object) past 30 seconds."""
    chunked = form.get("chunking_strategy") or form.get("chunking_strategy[type]")
    if duration > DIARIZE_UNCHUNKED_SECONDS and not chunked:
        raise invalid(
            f"chunking_strategy is required for gpt-4o-transcribe-diarize when the audio is longer than "
            f"{DIARIZE_UNCHUNKED_SECONDS} seconds.",
            param="chunking_strategy",
        )


def create_translation(request: Request) -> Response:
    form = request.require_form()
    _model(form, ["whisper-1"])
    response_format = _response_format(form, RESPONSE_FORMATS)
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


def _response_format(form: Form, formats: Iterable[str]) -> str:
    response_format = form.get("response_format") or "json"
    check_choice(response_format, "response_format", formats)
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


# -- speech ------------------------------------------------------------------------------------

SPEECH_PARAMETERS = ("model", "input", "instructions", "voice", "response_format", "speed", "stream_format")
SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")
CLASSIC_SPEECH_MODELS = ("tts-1", "tts-1-hd")  # neither takes instructions nor streams events
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")  # tts-1's
VOICES = (*CLASSIC_VOICES, "ballad", "verse", "marin", "cedar")
SPEECH_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
MAX_SPEECH_CHARACTERS = 4096  # input and instructions: "maxLength: 4096"
CHARACTERS_PER_SECOND = 15  # speech at speed 1
SPEECH_RATE = 24_000  # samples per second of OpenAI's speech (16-bit mono)
MP3_FRAME = b"\xff\xfb\x90\xc0"  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz, mono, no CRC
MP3_FRAME_BYTES, MP3_FRAMES_PER_SECOND = 417, 44_100 / 1152
AAC_FRAME_BYTES, AAC_FRAMES_PER_SECOND = 512, SPEECH_RATE / 1024  # ADTS, AAC LC, 24 kHz mono: 96 kbit/s
SSE_CHUNK_BYTES = 16_384


def create_speech(request: Request) -> Response:
    body = request.json()
    reject_unknown(body, SPEECH_PARAMETERS)
    model = require(body, "model")
    text = require(body, "input")
    check_length(text, "input", MAX_SPEECH_CHARACTERS)
    model_or_404(request, model)
    check_choice(model, "model", SPEECH_MODELS)
    classic = model in CLASSIC_SPEECH_MODELS
    voice = _voice(body, classic)
    instructions = _speech_instructions(body, classic)
    response_format = optional(body, "response_format") or "mp3"
    check_choice(response_format, "response_format", SPEECH_CONTENT_TYPES)
    check_range(body, "speed", 0.25, 4)
    stream_format = _stream_format(body, classic)
    seconds = max(0.5, len(text) / CHARACTERS_PER_SECOND / (body.get("speed") or 1))
    audio = SPEECH_ENCODERS[response_format](seconds, synth.stable_int(model, voice, text, instructions))
    if stream_format == "sse":
        input_tokens = synth.estimate_tokens(text) + synth.estimate_tokens(instructions)
        return sse_response(_speech_events(audio, input_tokens, seconds), done=False)
    return Response(audio, content_type=SPEECH_CONTENT_TYPES[response_format])


def _voice(body: dict[str, Any], classic: bool) -> str:
    """A built-in voice (tts-1 and tts-1-hd have fewer), or a custom voice's id (``{"id": "voice_…"}``)."""
    voice = require(body, "voice", (str, dict))
    if isinstance(voice, str):
        check_choice(voice, "voice", CLASSIC_VOICES if classic else VOICES)
        return voice
    if set(voice) != {"id"} or not isinstance(voice["id"], str):
        raise invalid("Invalid 'voice': expected a voice name or an object with only a string 'id'.", param="voice")
    return voice["id"]


def _speech_instructions(body: dict[str, Any], classic: bool) -> str:
    instructions = optional(body, "instructions") or ""
    check_length(instructions, "instructions", MAX_SPEECH_CHARACTERS)
    if instructions and classic:
        raise invalid(
            "Instructions are not supported for tts-1 and tts-1-hd.", param="instructions", code="unsupported_value"
        )
    return instructions


def _stream_format(body: dict[str, Any], classic: bool) -> str:
    stream_format = optional(body, "stream_format") or "audio"
    check_choice(stream_format, "stream_format", ["sse", "audio"])
    if stream_format == "sse" and classic:
        message = "stream_format 'sse' is not supported for tts-1 and tts-1-hd."
        raise invalid(message, param="stream_format", code="unsupported_value")
    return stream_format


def _speech_events(audio: bytes, input_tokens: int, seconds: float):
    for start in range(0, len(audio), SSE_CHUNK_BYTES):
        chunk = base64.b64encode(audio[start : start + SSE_CHUNK_BYTES]).decode("ascii")
        yield {"type": "speech.audio.delta", "audio": chunk}
    output_tokens = max(1, round(seconds * AUDIO_TOKENS_PER_SECOND))
    usage = {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}
    yield {"type": "speech.audio.done", "usage": usage}


def _pcm(seconds: float, seed: int) -> bytes:
    """A quiet tone of 200 to 600 Hz (the seed picks it): whole periods, repeated."""
    period = 40 + seed % 81  # samples per period
    wave_period = struct.pack(f"<{period}h", *(round(3000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
    samples = round(seconds * SPEECH_RATE)
    return (wave_period * (samples // period + 1))[: 2 * samples]


def _wav(seconds: float, seed: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SPEECH_RATE)
        audio.writeframes(_pcm(seconds, seed))
    return buffer.getvalue()


def _mp3(seconds: float, seed: int) -> bytes:
    frame = MP3_FRAME + bytes(MP3_FRAME_BYTES - len(MP3_FRAME))
    return frame * max(1, round(seconds * MP3_FRAMES_PER_SECOND))


def _aac(seconds: float, seed: int) -> bytes:
    """ADTS frames: the 7-byte header (AAC LC, 24 kHz, mono, this frame's length), then silence."""
    length = AAC_FRAME_BYTES
    header = bytes([0xFF, 0xF1, 0x58, 0x40 | length >> 11, (length >> 3) & 0xFF, (length & 7) << 5 | 0x1F, 0xFC])
    return (header + bytes(length - len(header))) * max(1, round(seconds * AAC_FRAMES_PER_SECOND))


def _magic_then_silence(magic: bytes, bytes_per_second: int):
    def encode(seconds: float, seed: int) -> bytes:
        return magic + bytes(round(seconds * bytes_per_second))

    return encode


SPEECH_ENCODERS = {
    "mp3": _mp3,
    "opus": _magic_then_silence(b"OggS", 8_000),  # 64 kbit/s
    "aac": _aac,
    "flac": _magic_then_silence(b"fLaC", 32_000),  # about two thirds of the PCM
    "wav": _wav,
    "pcm": _pcm,
}


ROUTES = (
    Route("POST", "/audio/transcriptions", create_transcription),
    Route("POST", "/audio/translations", create_translation),
    Route("POST", "/audio/speech", create_speech),
)
