"""Audio: speech to text (transcription) and speech to English text (translation)."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator

INLINE_AUDIO_BYTES = 10 * 1024 * 1024  # roughly ten minutes of compressed speech
TEXT_FORMATS = {"text": ".txt", "srt": ".srt", "vtt": ".vtt"}


class _AudioOperator(OpenAIAdvOutputOperator):
    """Transcripts of short audio go to XCom (text formats as ``{"text": ...}``); with
    ``output_path`` — required for audio files over 10 MB — the transcript is written to
    ``<output_path>/<task_id>[-<map_index>].<json|txt|srt|vtt>`` and XCom holds the path
    with the language, duration and usage when the answer has them."""

    def call_api(self, arguments: dict[str, Any]) -> Any:
        from airflow_provider_openai_adv.hooks.storage import describe_source

        _, size, _ = describe_source(arguments.get("file"), argument="file")
        if size > INLINE_AUDIO_BYTES:
            self.require_output_path(f"for {size} bytes of audio, whose transcript may be too long for XCom")
        return super().call_api(arguments)

    def to_xcom(self, result: Any, context: Any) -> Any:
        response_format = self.response_format or "json"
        if not self.output_path:
            return result if isinstance(result, dict) else {"text": result, "response_format": response_format}
        from airflow_provider_openai_adv.hooks.storage import write_bytes

        if isinstance(result, dict):
            path = write_bytes(self.output_file(context, ".json"), json.dumps(result).encode())
            text = result.get("text") if isinstance(result.get("text"), str) else ""
        else:
            path = write_bytes(self.output_file(context, TEXT_FORMATS.get(response_format, ".txt")), result.encode())
            text = result
        summary = {"path": path, "response_format": response_format, "characters": len(text)}
        if isinstance(result, dict):
            summary.update({key: result[key] for key in ("language", "duration", "usage") if key in result})
        return summary


class OpenAICreateTranscriptionOperator(_AudioOperator):
    """Transcribe speech in its own language (``POST /audio/transcriptions``).

    :param file: flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm, at most 25 MB; a
        local path or an object-storage URI (templated).
    :param response_format: ``json`` (default), ``text``, ``srt``, ``verbose_json``, ``vtt``.
    """

    hook_method = OpenAIAdvHook.create_transcription
    templated = ("file", "model", "language", "prompt")

    def __init__(
        self,
        *,
        file: str,
        model: str = "whisper-1",
        language: str | None = None,
        prompt: str | None = None,
        response_format: str | None = None,
        temperature: float | None = None,
        timestamp_granularities: list[str] | None = None,
        include: list[str] | None = None,
        chunking_strategy: str | dict[str, Any] | None = None,
        languages: list[str] | None = None,
        keywords: list[str] | None = None,
        known_speaker_names: list[str] | None = None,
        known_speaker_references: list[str] | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAICreateTranslationOperator(_AudioOperator):
    """Translate speech into English text (``POST /audio/translations``).

    OpenAI's translation endpoint takes audio in any supported language and returns
    English text; it does not translate text, and English is its only target.
    """

    hook_method = OpenAIAdvHook.create_translation
    templated = ("file", "model", "prompt")

    def __init__(
        self,
        *,
        file: str,
        model: str = "whisper-1",
        prompt: str | None = None,
        response_format: str | None = None,
        temperature: float | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
