"""Turn a stream of (chat) completion chunks back into one completion, and a stream of
response events into the response.

A streamed answer arrives as deltas; DAG authors want what a non-streamed call
returns: choices with whole messages, the finish reasons, and the usage.

The chunks come from a server and are read as such: a chunk, choice, delta or tool call
that is not the object it should be raises :class:`StreamError`, naming what was wrong,
instead of a ``TypeError`` from deep inside the assembly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from airflow_provider_openai_adv.exceptions import StreamError

OnDelta = Callable[[int, str], None]

CHUNK_FIELDS = ("id", "created", "model", "system_fingerprint", "service_tier")
MAX_CHOICES = 128  # the API's own cap on n


def assemble_chat_completion(chunks: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """Consume ``chunks``; call ``on_delta(choice_index, text)`` for each content delta."""

    def new_choice(index: int) -> dict[str, Any]:
        message = {"role": "assistant", "content": None}
        return {"index": index, "message": message, "finish_reason": None, "logprobs": None}

    def merge(choice: dict[str, Any], piece: dict[str, Any]) -> None:
        _apply_delta(choice["message"], _object(piece.get("delta"), "delta"), choice["index"], on_delta)

    return _assemble(chunks, "chat.completion", new_choice, merge)


def assemble_completion(chunks: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """The same for ``/completions`` chunks, whose choices carry ``text`` pieces."""

    def new_choice(index: int) -> dict[str, Any]:
        return {"index": index, "text": "", "logprobs": None, "finish_reason": None}

    def merge(choice: dict[str, Any], piece: dict[str, Any]) -> None:
        text = _text(piece.get("text"), "text")
        if text:
            choice["text"] += text
            if on_delta is not None:
                on_delta(choice["index"], text)

    return _assemble(chunks, "text_completion", new_choice, merge)


RESPONSE_ENDS = ("response.completed", "response.incomplete", "response.failed")
MAX_OUTPUT_ITEMS = 10_000  # output items one streamed response may number


def assemble_response(events: Iterable[dict[str, Any]], on_delta: OnDelta | None = None) -> dict[str, Any]:
    """The response a stream of ``/responses`` events ends with; ``on_delta(output_index,
    text)`` sees each piece of text as it arrives. A stream that ends without its final
    event (``response.completed``, ``.incomplete`` or ``.failed``) raises ``StreamError``."""
    for event in events:
        event = _object(event, "event")
        kind = event.get("type")
        if kind == "response.output_text.delta" and on_delta is not None:
            text = _text(event.get("delta"), "text delta")
            if text:
                on_delta(_index(event.get("output_index", 0), "output index", MAX_OUTPUT_ITEMS), text)
        elif kind in RESPONSE_ENDS:
            response = _object(event.get("response"), "response")
            if not response:
                raise StreamError(f"the stream's {kind} event carries no response")
            return response
    raise StreamError("the stream ended before the response did (no response.completed event)")


def _assemble(
    chunks: Iterable[dict[str, Any]],
    kind: str,
    new_choice: Callable[[int], dict[str, Any]],
    merge: Callable[[dict[str, Any], dict[str, Any]], None],
) -> dict[str, Any]:
    completion: dict[str, Any] = {"object": kind}
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        chunk = _object(chunk, "chunk")
        completion.update({key: chunk[key] for key in CHUNK_FIELDS if chunk.get(key) is not None})
        if isinstance(chunk.get("usage"), dict):
            completion["usage"] = chunk["usage"]
        for piece in _list(chunk.get("choices"), "choices"):
            piece = _object(piece, "choice")
            index = _index(piece.get("index", 0), "choice index")
            if index not in choices and len(choices) >= MAX_CHOICES:
                raise StreamError(f"the stream sent more than {MAX_CHOICES} choices")
            choice = choices.setdefault(index, new_choice(index))
            merge(choice, piece)
            if piece.get("finish_reason"):
                choice["finish_reason"] = piece["finish_reason"]
    completion["choices"] = [choices[index] for index in sorted(choices)]
    return completion


def _apply_delta(message: dict[str, Any], delta: dict[str, Any], index: int, on_delta: OnDelta | None) -> None:
    if delta.get("role"):
        message["role"] = delta["role"]
    text = _text(delta.get("content"), "content")
    if text:
        message["content"] = (message["content"] or "") + text
        if on_delta is not None:
            on_delta(index, text)
    refusal = _text(delta.get("refusal"), "refusal")
    if refusal:
        message["refusal"] = (message.get("refusal") or "") + refusal
    for call_delta in _list(delta.get("tool_calls"), "tool_calls"):
        _apply_tool_call(message.setdefault("tool_calls", []), _object(call_delta, "tool call"))


def _apply_tool_call(calls: list[dict[str, Any]], call_delta: dict[str, Any]) -> None:
    position = _index(call_delta.get("index", len(calls)), "tool call index")
    if position > len(calls):  # calls arrive in order; a gap is not a stream OpenAI sends
        raise StreamError(f"the stream sent tool call {position} before call {len(calls)}")
    if position == len(calls):
        calls.append({"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
    call = calls[position]
    if call_delta.get("id"):
        call["id"] = call_delta["id"]
    function = _object(call_delta.get("function"), "function")
    call["function"]["name"] += _text(function.get("name"), "function name")
    call["function"]["arguments"] += _text(function.get("arguments"), "function arguments")


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StreamError(f"the stream sent a {what} that is not an object: {_shape(value)}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StreamError(f"the stream sent {what} that are not a list: {_shape(value)}")
    return value


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StreamError(f"the stream sent a {what} that is not text: {_shape(value)}")
    return value


def _index(value: Any, what: str, limit: int = MAX_CHOICES) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise StreamError(f"the stream sent a {what} that is not a small whole number: {_shape(value)}")
    return value


def _shape(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "…"
