"""``/v1/chat/completions``: plain and streaming, with ``n``, limits, JSON modes and tools.

Answers are deterministic: the model quotes the last user message back. With
``response_format`` json_object / json_schema it answers valid JSON (for a schema, an
object with every required property); with a forced tool choice, or a tool whose name
the user message mentions, it calls that tool with arguments that fit its schema.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response
from airflow_provider_openai_adv.testing.routes.common import (
    answer_for,
    check_choice,
    check_range,
    model_or_404,
    require,
    sse_response,
    usage,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.schema_values import value_for_schema
from airflow_provider_openai_adv.testing.state import new_id

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FINGERPRINT = "fp_emulator"


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty array.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"Invalid type for 'messages[{index}]': expected an object.", param=f"messages[{index}]")
        check_choice(message.get("role"), f"messages[{index}].role", ROLES)
        if "role" not in message:
            raise invalid(f"Missing required parameter: 'messages[{index}].role'.", param=f"messages[{index}].role")
        content = message.get("content")
        if content is None and not (message["role"] == "assistant" and message.get("tool_calls")):
            raise invalid(
                f"Missing required parameter: 'messages[{index}].content'.", param=f"messages[{index}].content"
            )
    return messages


def check_sampling(body: dict[str, Any]) -> None:
    """Ranges shared by chat and completions."""
    check_range(body, "temperature", 0, 2)
    check_range(body, "top_p", 0, 1)
    check_range(body, "presence_penalty", -2, 2)
    check_range(body, "frequency_penalty", -2, 2)
    check_range(body, "n", 1, 128)
    for name in ("max_tokens", "max_completion_tokens"):
        check_range(body, name, 1, 1_000_000)
    stop = body.get("stop")
    if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list) and len(stop) <= 4)):
        raise invalid("'stop' must be a string or an array of at most 4 strings.", param="stop")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )


def _content(body: dict[str, Any], reply: str) -> str:
    response_format = body.get("response_format") or {}
    kind = response_format.get("type", "text") if isinstance(response_format, dict) else "text"
    check_choice(kind, "response_format.type", ["text", "json_object", "json_schema"])
    if kind == "json_object":
        return json.dumps({"reply": reply})
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        return json.dumps(value_for_schema(schema, reply))
    return reply


def _tool_to_call(body: dict[str, Any], prompt: str) -> dict[str, Any] | None:
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return next((tool["function"] for tool in tools if tool["function"].get("name") == wanted), None)
    if choice == "required":
        return tools[0]["function"]
    return next((tool["function"] for tool in tools if tool["function"].get("name", "\0") in prompt), None)


def _choice_message(
    body: dict[str, Any], model: str, prompt: str, reply: str, seed_index: int
) -> tuple[dict[str, Any], str, int]:
    """The assistant message of one choice, its finish reason and its token count."""
    function = _tool_to_call(body, prompt)
    if function is not None:
        arguments = json.dumps(value_for_schema(function.get("parameters") or {"type": "object"}, prompt))
        call = {
            "id": f"call_{synth.stable_int(model, prompt, seed_index) % 10**12:012d}",
            "type": "function",
            "function": {"name": function.get("name", ""), "arguments": arguments},
        }
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
        return message, "tool_calls", synth.estimate_tokens(arguments)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    text, cut = synth.truncate_to_tokens(_content(body, reply), limit)
    stops = body.get("stop")
    for stop in [stops] if isinstance(stops, str) else stops or []:
        if stop and stop in text:
            text, cut = text[: text.index(stop)], False
    message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    return message, "length" if cut else "stop", synth.estimate_tokens(text)


def create_chat_completion(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    messages = _check_messages(require(body, "messages", list))
    check_sampling(body)
    model_or_404(request, model)
    prompt = next((message_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    reply = answer_for(request, model, prompt)
    prompt_tokens = sum(synth.estimate_tokens(message_text(m.get("content"))) + 4 for m in messages)
    choices = []
    completion_tokens = 0
    for index in range(body.get("n") or 1):
        message, finish_reason, tokens = _choice_message(body, model, prompt, reply, index)
        completion_tokens += tokens
        choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": finish_reason})
    completion = {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": request.state.now(),
        "model": model,
        "choices": choices,
        "usage": usage(prompt_tokens, completion_tokens),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return sse_response(stream_chunks(completion, include_usage))
    return json_response(completion)


def stream_chunks(completion: dict[str, Any], include_usage: bool):
    """The completion as OpenAI streams it: role, content deltas, finish reason, usage."""
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "system_fingerprint": FINGERPRINT,
    }

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {**base, "choices": choices, **extra}

    for choice in completion["choices"]:
        index, message = choice["index"], choice["message"]
        yield chunk(
            [{"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]
        )
        if message.get("tool_calls"):
            calls = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
            yield chunk([{"index": index, "delta": {"tool_calls": calls}, "logprobs": None, "finish_reason": None}])
        for piece in split_for_stream(message.get("content") or ""):
            yield chunk([{"index": index, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}])
        yield chunk([{"index": index, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}])
    if include_usage:
        yield chunk([], usage=completion["usage"])


def split_for_stream(text: str) -> list[str]:
    """Words with their leading space, as token-ish deltas."""
    pieces = []
    for position, word in enumerate(text.split(" ")):
        pieces.append(word if position == 0 else " " + word)
    return [piece for piece in pieces if piece]


ROUTES = (Route("POST", "/chat/completions", create_chat_completion),)
