"""Text to speech: ``POST /audio/speech``, the audio written to ``output_path``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

DEFAULT_FORMAT = "mp3"  # the API's own default


class OpenAICreateSpeechOperator(OpenAIAdvOutputOperator):
    """Read ``input`` aloud (``POST /audio/speech``) into
    ``<output_path>/<task_id>[-<map_index>].<response_format>``, streamed, whole or not at
    all; XCom holds ``{"path", "response_format", "characters"}``.

    :param input: the text, at most 4,096 characters (templated).
    :param voice: a built-in voice (``alloy``, ``coral``, ``marin``…) or ``{"id": ...}`` of a custom one.
    :param instructions: how to speak (not for ``tts-1`` / ``tts-1-hd``).
    :param response_format: ``mp3`` (default), ``opus``, ``aac``, ``flac``, ``wav`` or ``pcm``.
    :param output_path: the folder to write to, local or object storage (required).
    """

    hook_method = OpenAIAdvHook.create_speech
    templated = ("input", "model", "voice", "instructions")

    def __init__(
        self,
        *,
        input: str,  # noqa: A002 - the API's name
        voice: str | dict[str, str],
        model: str = "gpt-4o-mini-tts",
        instructions: str | None = None,
        response_format: str | None = None,
        speed: float | None = None,
        stream_format: str | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> Any:
        self.require_output_path("for the audio")
        response_format = self.response_format or DEFAULT_FORMAT
        destination = self.output_file(context, f".{response_format}")
        path = self.call_api({**self.api_arguments(), "output_path": destination})
        return {"path": path, "response_format": response_format, "characters": len(self.input)}
