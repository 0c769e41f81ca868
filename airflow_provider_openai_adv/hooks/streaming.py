"""Turn a stream of (chat) completion chunks back into one completion.

A streamed answer arrives as deltas; DAG authors want what a non-streamed call
returns: choices with whole messages, the finish reasons, and the usage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

OnDelta = Callable[[int, str], None]


CHUNK_FIELDS = ("id", "created", "model", "system_fingerprint", "service_tier")


def assemble_chat_completion(chunks: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """Consume ``chunks``; call ``on_delta(choice_index, text)`` for each content delta."""

    def new_choice(index: int) -> dict[str, Any]:
        message = {"role": "assistant", "content": None}
        return {"index": index, "message": message, "finish_reason": None, "logprobs": None}

    def merge(choice: dict[str, Any], piece: dict[str, Any]) -> None:
        _apply_delta(choice["message"], piece.get("delta") or {}, choice["index"], on_delta)

    return _assemble(chunks, "chat.completion", new_choice, merge)


def assemble_completion(chunks: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """The same for ``/completions`` chunks, whose choices carry ``text`` pieces."""

    def new_choice(index: int) -> dict[str, Any]:
        return {"index": index, "text": "", "logprobs": None, "finish_reason": None}

    def merge(choice: dict[str, Any], piece: dict[str, Any]) -> None:
        if piece.get("text"):
            choice["text"] += piece["text"]
            if on_delta is not None:
                on_delta(choice["index"], piece["text"])

    return _assemble(chunks, "text_completion", new_choice, merge)


def _assemble(
    chunks: Iterable[dict[str, Any]],
    kind: str,
    new_choice: Callable[[int], dict[str, Any]],
    merge: Callable[[dict[str, Any], dict[str, Any]], None],
) -> dict[str, Any]:
    completion: dict[str, Any] = {"object": kind}
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        completion.update({key: chunk[key] for key in CHUNK_FIELDS if chunk.get(key) is not None})
        if chunk.get("usage"):
            completion["usage"] = chunk["usage"]
        for piece in chunk.get("choices") or []:
            choice = choices.setdefault(piece.get("index", 0), new_choice(piece.get("index", 0)))
            merge(choice, piece)
            if piece.get("finish_reason"):
                choice["finish_reason"] = piece["finish_reason"]
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
