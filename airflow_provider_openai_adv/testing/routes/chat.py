"""``/v1/chat/completions``: plain and streaming, with ``n``, limits, JSON modes, tools and logprobs.

Answers are deterministic: the model quotes the last user message back. With
``response_format`` json_object it answers valid JSON; with json_schema, a value that
validates against the schema (``schema_values.value_for_schema``: nested objects,
``$ref``, ``anyOf``, enums, formats, patterns...). With a forced tool choice, or a tool
whose name the user message mentions, it calls that tool with arguments that validate
against its parameters. A strict schema that breaks strict mode's rules, or one no value
can be made for, is OpenAI's 400 ``Invalid schema``. ``logprobs`` are made up but stable,
per word-sized token (as streamed). Only chat models are served (``models.model_kind``):
another kind is OpenAI's 404.
"""

from __future__ import annotations

import json
import math
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import (
    answer_for,
    check_choice,
    check_range,
    formatted_answer,
    function_to_call,
    model_of_kind,
    optional,
    require,
    sse_response,
    strict_schema_problem,
    usage,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.schema_values import SchemaValueError, value_for_schema
from airflow_provider_openai_adv.testing.state import new_id

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FINGERPRINT = "fp_emulator"


def not_a_chat_model(model: str, kind: str) -> APIError:
    """OpenAI's 404 for a model chat does not serve: a Responses-only one, or not a chat model at all."""
    if kind == "responses":
        return not_found("This model is only supported in v1/responses and not in v1/chat/completions.", "model")
    return not_found(
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
        "model",
    )


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


def _check_logprobs(body: dict[str, Any]) -> None:
    optional(body, "logprobs", bool)
    optional(body, "top_logprobs", int)
    check_range(body, "top_logprobs", 0, 20)
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise invalid("'logprobs' must be set to true when 'top_logprobs' is used.", param="top_logprobs")


def _response_format(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The response format's type, and its ``json_schema`` object (empty for the other types)."""
    response_format = body.get("response_format") or {}
    kind = response_format.get("type", "text") if isinstance(response_format, dict) else "text"
    check_choice(kind, "response_format.type", ["text", "json_object", "json_schema"])
    if kind != "json_schema":
        return kind, {}
    return kind, require(response_format, "json_schema", dict, path="response_format.json_schema")


def _check_strict_schemas(body: dict[str, Any]) -> None:
    """Strict mode's rules (``common.strict_schema_problem``) for a strict response format and strict tools."""
    _, json_schema = _response_format(body)
    problem = strict_schema_problem(json_schema.get("schema")) if json_schema.get("strict") else None
    if problem:
        raise _invalid_format(json_schema, problem)
    for index, tool in enumerate(body.get("tools") or []):
        function = _function(tool)
        problem = strict_schema_problem(function.get("parameters")) if function.get("strict") else None
        if problem:
            raise _invalid_parameters(function, index, problem)


def _invalid_format(json_schema: dict[str, Any], reason: str) -> APIError:
    return invalid(
        f"Invalid schema for response_format '{json_schema.get('name', '')}': {reason}",
        param="response_format",
        code="invalid_json_schema",
    )


def _invalid_parameters(function: dict[str, Any], index: int, reason: str) -> APIError:
    return invalid(
        f"Invalid schema for function '{function.get('name', '')}': {reason}",
        param=f"tools[{index}].function.parameters",
        code="invalid_function_parameters",
    )


def _content(body: dict[str, Any], reply: str) -> str:
    kind, json_schema = _response_format(body)
    try:
        return formatted_answer(kind, json_schema.get("schema"), reply)
    except SchemaValueError as error:
        raise _invalid_format(json_schema, f"{error}.") from None


def _function_to_call(body: dict[str, Any], prompt: str) -> dict[str, Any] | None:
    functions = [_function(tool) for tool in _function_tools(body)]
    choice = body.get("tool_choice", "auto")
    if not functions or choice == "none":
        return None
    forced = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    return function_to_call(functions, prompt, required=choice == "required", name=forced)


def _function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]


def _function(tool: Any) -> dict[str, Any]:
    """A tool's ``function`` object (empty when it has none, so that its checks find nothing to use)."""
    function = tool.get("function") if isinstance(tool, dict) else None
    return function if isinstance(function, dict) else {}


def _arguments(body: dict[str, Any], function: dict[str, Any], prompt: str) -> str:
    """The call's arguments: a value for the function's parameters, or OpenAI's 400 for a schema with none."""
    try:
        return json.dumps(value_for_schema(function.get("parameters") or {"type": "object"}, prompt))
    except SchemaValueError as error:
        index = next(i for i, tool in enumerate(body["tools"]) if _function(tool) is function)
        raise _invalid_parameters(function, index, f"{error}.") from None


def _choice_message(
    body: dict[str, Any], model: str, prompt: str, reply: str, seed_index: int
) -> tuple[dict[str, Any], str, int]:
    """The assistant message of one choice, its finish reason and its token count."""
    function = _function_to_call(body, prompt)
    if function is not None:
        arguments = _arguments(body, function, prompt)
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


# -- log probabilities ------------------------------------------------------------------------


def token_logprob(token: str) -> float:
    """A made-up, stable log probability for ``token``: between -1 and -0.001, so the likeliest at its place."""
    return -(1 + synth.stable_int(token) % 1000) / 1000


def likeliest_tokens(token: str, count: int) -> list[tuple[str, float]]:
    """The ``count`` likeliest tokens at ``token``'s place, ``token`` first; the others share the
    probability it leaves, halving at each rank, so that all add up to less than 1."""
    logprob = token_logprob(token)
    left = -math.expm1(logprob)  # 1 - p
    others = [(f" alt{rank}", round(math.log(left / 2**rank), 4)) for rank in range(1, count)]
    return [(token, logprob), *others][:count]


def token_logprobs(text: str, top: int) -> list[dict[str, Any]]:
    """Chat's ``logprobs.content`` for ``text``: each word-sized token (as streamed) with its ``top`` likeliest."""
    return [
        {
            **_scored(token, token_logprob(token)),
            "top_logprobs": [_scored(*pair) for pair in likeliest_tokens(token, top)],
        }
        for token in split_for_stream(text)
    ]


def _scored(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8", "surrogatepass"))}


def _choice_logprobs(body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any] | None:
    if not body.get("logprobs"):
        return None
    content = message.get("content")
    tokens = None if content is None else token_logprobs(content, body.get("top_logprobs") or 0)
    return {"content": tokens, "refusal": None}


def create_chat_completion(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    messages = _check_messages(require(body, "messages", list))
    check_sampling(body)
    _check_logprobs(body)
    _check_strict_schemas(body)
    model_of_kind(request, model, ("chat",), not_a_chat_model)
    prompt = next((message_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    reply = answer_for(request, model, prompt)
    prompt_tokens = sum(synth.estimate_tokens(message_text(m.get("content"))) + 4 for m in messages)
    choices = []
    completion_tokens = 0
    for index in range(body.get("n") or 1):
        message, finish_reason, tokens = _choice_message(body, model, prompt, reply, index)
        completion_tokens += tokens
        logprobs = _choice_logprobs(body, message)
        choices.append({"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish_reason})
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
        for piece, logprobs in _pieces(message.get("content") or "", choice["logprobs"]):
            yield chunk([{"index": index, "delta": {"content": piece}, "logprobs": logprobs, "finish_reason": None}])
        yield chunk([{"index": index, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}])
    if include_usage:
        yield chunk([], usage=completion["usage"])


def _pieces(content: str, logprobs: dict[str, Any] | None) -> list[tuple[str, dict[str, Any] | None]]:
    """The content's deltas, each with its token's ``logprobs`` when they were asked for."""
    pieces = split_for_stream(content)
    if logprobs is None:
        return [(piece, None) for piece in pieces]
    return [
        (piece, {"content": [entry], "refusal": None}) for piece, entry in zip(pieces, logprobs["content"], strict=True)
    ]


def split_for_stream(text: str) -> list[str]:
    """Words with their leading space, as token-ish deltas."""
    pieces = []
    for position, word in enumerate(text.split(" ")):
        pieces.append(word if position == 0 else " " + word)
    return [piece for piece in pieces if piece]


ROUTES = (Route("POST", "/chat/completions", create_chat_completion),)
