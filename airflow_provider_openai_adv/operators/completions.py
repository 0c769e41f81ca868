"""Text generation: chat completions, completions, and edits."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import DeltaLog, OpenAIAdvBaseOperator, RemovedActionOperator


class _StreamingOperator(OpenAIAdvBaseOperator):
    """With ``stream=True`` the text is written to the task log as it arrives, and the
    assembled answer (message and usage) goes to XCom as if it had not been streamed."""

    def call_api(self, arguments: dict[str, Any]) -> Any:
        if not arguments.get("stream"):
            return super().call_api(arguments)
        delta_log = DeltaLog(self.log)
        try:
            return super().call_api({**arguments, "on_delta": delta_log})
        finally:
            delta_log.flush()


class OpenAICreateChatCompletionOperator(_StreamingOperator):
    """Generate a chat answer (``POST /chat/completions``); XCom holds the completion.

    Every parameter of the endpoint is an argument; those left ``None`` are not sent.
    ``model`` and ``messages`` (and every text inside) are templated. ``extra_body``
    passes parameters newer than this operator.
    """

    hook_method = OpenAIAdvHook.create_chat_completion
    templated = ("model", "messages", "user", "metadata", "prompt_cache_key", "safety_identifier")

    def __init__(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        n: int | None = None,
        stream: bool | None = None,
        stream_options: dict[str, Any] | None = None,
        stop: str | list[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        logit_bias: dict[str, int] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: str | None = None,
        verbosity: str | None = None,
        modalities: list[str] | None = None,
        audio: dict[str, Any] | None = None,
        prediction: dict[str, Any] | None = None,
        service_tier: str | None = None,
        store: bool | None = None,
        metadata: dict[str, str] | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        prompt_cache_key: str | None = None,
        web_search_options: dict[str, Any] | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAICreateCompletionOperator(_StreamingOperator):
    """Complete a prompt with an instruct model (``POST /completions``); XCom holds the completion.

    ``prompt`` may be text, a list of texts, or token arrays (templated).
    """

    hook_method = OpenAIAdvHook.create_completion
    templated = ("model", "prompt", "suffix", "user")

    def __init__(
        self,
        *,
        model: str,
        prompt: str | list[Any],
        suffix: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        n: int | None = None,
        stream: bool | None = None,
        stream_options: dict[str, Any] | None = None,
        logprobs: int | None = None,
        echo: bool | None = None,
        stop: str | list[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        best_of: int | None = None,
        logit_bias: dict[str, int] | None = None,
        seed: int | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAICreateEditOperator(RemovedActionOperator):
    """Edit ``input`` as ``instruction`` says; XCom holds an ``edit`` object.

    OpenAI removed ``/edits``: by default the edit is made with a chat completion
    (``gpt-4o-mini`` unless ``model`` names a chat model) and returned in the edit
    shape. ``legacy=True`` sends it to ``POST /edits`` for servers that still have it.
    """

    hook_method = OpenAIAdvHook.create_edit
    templated = ("model", "instruction", "input")

    def __init__(
        self,
        *,
        instruction: str,
        input: str = "",  # noqa: A002 - the API's name
        model: str | None = None,
        n: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        legacy: bool | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
