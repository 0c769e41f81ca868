"""Text generation: chat completions, completions, and edits."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import RemovedActionOperator, StreamingOperator


class OpenAICreateChatCompletionOperator(StreamingOperator):
    """Generate a chat answer (``POST /chat/completions``); XCom holds the completion.

    Every parameter of the endpoint is an argument; those left ``None`` are not sent.
    ``model`` and ``messages`` (and every text inside) are templated. ``extra_body``
    passes parameters newer than this operator.

    ``response_format`` may be a Pydantic model class or a JSON schema: the answer is then
    validated against it, and XCom holds the validated value (a list of them for ``n`` > 1)
    instead of the completion; an answer that does not fit fails the task naming the field.
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
        response_format: Any = None,
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
        prompt_cache_options: dict[str, Any] | None = None,
        moderation: dict[str, Any] | None = None,
        web_search_options: dict[str, Any] | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def to_xcom(self, result: Any, context: Any) -> Any:
        choices = result.get("choices") if isinstance(result, dict) else None
        if not choices or not any("parsed" in choice.get("message", {}) for choice in choices):
            return result
        parsed = [choice["message"].get("parsed") for choice in choices]
        return parsed[0] if len(parsed) == 1 else parsed


class OpenAICreateCompletionOperator(StreamingOperator):
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
