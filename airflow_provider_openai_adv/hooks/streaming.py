"""Turn a stream of chat-completion chunks back into one completion.

A streamed answer arrives as deltas; DAG authors want what a non-streamed call
returns: choices with whole messages, the finish reasons, and the usage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

OnDelta = Callable[[int, str], None]


def assemble_chat_completion(chunks: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """Consume ``chunks``; call ``on_delta(choice_index, text)`` for each content delta."""
    completion: dict[str, Any] = {"object": "chat.completion", "choices": []}
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for key in ("id", "created", "model", "system_fingerprint", "service_tier"):
            if chunk.get(key) is not None:
                completion[key] = chunk[key]
        if chunk.get("usage"):
            completion["usage"] = chunk["usage"]
        for delta_choice in chunk.get("choices") or []:
            index = delta_choice.get("index", 0)
            choice = choices.setdefault(
                index,
                {
                    "index": index,
                    "message": {"role": "assistant", "content": None},
                    "finish_reason": None,
                    "logprobs": None,
                },
            )
            _apply_delta(choice["message"], delta_choice.get("delta") or {}, index, on_delta)
            if delta_choice.get("finish_reason"):
                choice["finish_reason"] = delta_choice["finish_reason"]
    completion["choices"] = [choices[index] for index in sorted(choices)]
    return completion


def _apply_delta(message: dict[str, Any], delta: dict[str, Any], index: int, on_delta: OnDelta | None) -> None:
    if delta.get("role"):
        message["role"] = delta["role"]
    text = delta.get("content")
    if text:
        message["content"] = (message["content"] or "") + text
        if on_delta is not None:
            on_delta(index, text)
    if delta.get("refusal"):
        message["refusal"] = (message.get("refusal") or "") + delta["refusal"]
    for call_delta in delta.get("tool_calls") or []:
        calls = message.setdefault("tool_calls", [])
        position = call_delta.get("index", len(calls))
        while len(calls) <= position:
            calls.append({"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
        call = calls[position]
        if call_delta.get("id"):
            call["id"] = call_delta["id"]
        function = call_delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""
