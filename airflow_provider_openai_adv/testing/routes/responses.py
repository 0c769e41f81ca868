"""``/v1/responses``: create (plain, streamed or in the background), retrieve, cancel, delete, input items.

The emulated model reads the input items after the earlier turns (the previous
response's, or the conversation's) and answers as chat completions do: a deterministic
reply quoting the last user message (or the last tool result), in the ``text.format``
asked for, or a call of a function tool — the one ``tool_choice`` forces, the first when
a call is required, or one whose name the user's message mentions. ``max_output_tokens``
cuts the text (``incomplete``); a last user message containing ``[[content_filter]]``
stops it halfway (``incomplete``, reason ``content_filter``), and one containing
``[[server_error]]`` makes the model fail (``failed``; a 500 when neither streamed nor
in the background). Only function tools are emulated; other tool types get a 400.

The request's checks are ``routes/response_requests.py``; the store and the background
state machine ``testing/responses.py``; the items' checks and shapes ``routes/conversations.py``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.conversations import new_item_id
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.responses import ResponseStore, StoredResponse, unfinished
from airflow_provider_openai_adv.testing.routes.chat import split_for_stream
from airflow_provider_openai_adv.testing.routes.common import (
    answer_for,
    formatted_answer,
    function_to_call,
    sse_response,
)
from airflow_provider_openai_adv.testing.routes.conversations import (
    item_text,
    listed_items,
    output_text,
)
from airflow_provider_openai_adv.testing.routes.response_requests import Asked, asked_for
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.schema_values import SchemaValueError, value_for_schema

SERVED_TIERS = {None: "default", "auto": "default", "fast": "priority"}  # the tier an answer reports
CONTENT_FILTER_TRIGGER = "[[content_filter]]"
SERVER_ERROR_TRIGGER = "[[server_error]]"
MODEL_FAILURE = {"code": "server_error", "message": "The model failed to generate a response."}
FINAL_EVENTS = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}


@dataclass
class Outcome:
    """What the model did: the final status, output items and usage."""

    status: str  # completed | incomplete | failed
    output: list[dict[str, Any]]
    usage: dict[str, Any] | None
    error: dict[str, str] | None = None
    incomplete_reason: str | None = None


# -- the emulated model ----------------------------------------------------------------------


def generate(request: Request, asked: Asked) -> Outcome:
    prompt, from_user = _prompt(asked.context)
    if SERVER_ERROR_TRIGGER in prompt:
        return Outcome("failed", [], None, error=MODEL_FAILURE)
    input_tokens = _input_tokens(asked)
    plan = asked.plan
    function = function_to_call(plan.callable, prompt if from_user else None, required=plan.required, name=plan.forced)
    if function is not None:
        call = _function_call(asked, function, prompt)
        return Outcome("completed", [call], response_usage(input_tokens, synth.estimate_tokens(call["arguments"])))
    text, reason = _answer_text(request, asked, prompt)
    message = {
        "id": new_item_id("msg"),
        "type": "message",
        "status": "incomplete" if reason else "completed",
        "role": "assistant",
        "content": [output_text(text)],
    }
    usage = response_usage(input_tokens, synth.estimate_tokens(text))
    return Outcome(message["status"], [message], usage, incomplete_reason=reason)


def _prompt(context: list[dict[str, Any]]) -> tuple[str, bool]:
    """What the model answers: the last user message or tool result; and whether it is the user's."""
    for item in reversed(context):
        if item["type"] == "function_call_output":
            return item_text(item), False
        if item["type"] == "message" and item["role"] == "user":
            return item_text(item), True
    return "", False


def _input_tokens(asked: Asked) -> int:
    texts = [asked.instructions or "", *map(item_text, asked.context)]
    return sum(map(synth.estimate_tokens, texts)) + 4 * len(asked.context)


def _function_call(asked: Asked, function: dict[str, Any], prompt: str) -> dict[str, Any]:
    """A call of ``function``; OpenAI's 400 when no arguments can fit its parameters' schema."""
    try:
        arguments = json.dumps(value_for_schema(function["parameters"] or {"type": "object"}, prompt))
    except SchemaValueError as error:
        index = next(index for index, tool in enumerate(asked.tools) if tool is function)
        raise invalid(
            f"Invalid schema for function '{function['name']}': {error}.",
            param=f"tools[{index}].parameters",
            code="invalid_function_parameters",
        ) from None
    return {
        "id": new_item_id("fc"),
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": new_item_id("call"),
        "name": function["name"],
    }


def _answer_text(request: Request, asked: Asked, prompt: str) -> tuple[str, str | None]:
    """The reply in the format asked for, and why it stops early (``None``: it does not)."""
    text_format = asked.text["format"]
    try:
        text = formatted_answer(
            text_format["type"], text_format.get("schema"), answer_for(request, asked.model, prompt)
        )
    except SchemaValueError as error:
        raise invalid(
            f"Invalid schema for response_format '{text_format['name']}': {error}.",
            param="text.format.schema",
            code="invalid_json_schema",
        ) from None
    if CONTENT_FILTER_TRIGGER in prompt:
        return text[: len(text) // 2], "content_filter"
    text, cut = synth.truncate_to_tokens(text, asked.max_output_tokens)
    return text, "max_output_tokens" if cut else None


def response_usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


# -- the Response object and its events ----------------------------------------------------------


def _response_object(body: dict[str, Any], asked: Asked, outcome: Outcome, created_at: int) -> dict[str, Any]:
    """The final Response object (``completed_at`` is set when the store finishes it)."""
    reason = outcome.incomplete_reason
    return {
        "id": new_item_id("resp"),
        "object": "response",
        "created_at": created_at,
        "status": outcome.status,
        "background": asked.background,
        "completed_at": None,
        "error": outcome.error,
        "incomplete_details": {"reason": reason} if reason else None,
        **_settings(body, asked),
        "output": outcome.output,
        **({"usage": outcome.usage} if outcome.usage else {}),
    }


def _settings(body: dict[str, Any], asked: Asked) -> dict[str, Any]:
    """The request's settings as the Response repeats them, defaults filled in.

    ``user`` is left out when not given: the spec's ``Response`` does not let it be null.
    """
    reasoning = body.get("reasoning") or {}
    user = {"user": body["user"]} if body.get("user") is not None else {}
    return {
        "instructions": asked.instructions,
        "max_output_tokens": asked.max_output_tokens,
        "max_tool_calls": body.get("max_tool_calls"),
        "model": asked.model,
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": SERVED_TIERS.get(body.get("service_tier"), body.get("service_tier")),
        "store": asked.store,
        "temperature": _given(body, "temperature", 1.0),
        "text": asked.text,
        "tool_choice": _given(body, "tool_choice", "auto"),
        "tools": asked.tools,
        "top_logprobs": _given(body, "top_logprobs", 0),
        "top_p": _given(body, "top_p", 1.0),
        "truncation": _given(body, "truncation", "disabled"),
        **user,
        "metadata": body.get("metadata") or {},
        "conversation": {"id": asked.conversation_id} if asked.conversation_id else None,
    }


def _given(body: dict[str, Any], name: str, default: Any) -> Any:
    return default if body.get(name) is None else body[name]


def stream_events(final: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a response streamed as it is generated, each with its ``sequence_number``."""
    started = unfinished(final, "in_progress")
    events = [{"type": "response.created", "response": started}, {"type": "response.in_progress", "response": started}]
    for index, item in enumerate(final["output"]):
        events += ITEM_EVENTS[item["type"]](item, index)
    events.append({"type": FINAL_EVENTS[final["status"]], "response": final})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def _message_events(item: dict[str, Any], index: int) -> Iterator[dict[str, Any]]:
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    added = {**item, "status": "in_progress", "content": []}
    yield {"type": "response.output_item.added", "output_index": index, "item": added}
    yield {"type": "response.content_part.added", **where, "part": {**part, "text": ""}}
    for piece in split_for_stream(part["text"]):
        yield {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
    yield {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}
    yield {"type": "response.content_part.done", **where, "part": part}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _function_call_events(item: dict[str, Any], index: int) -> Iterator[dict[str, Any]]:
    where = {"item_id": item["id"], "output_index": index}
    added = {**item, "status": "in_progress", "arguments": ""}
    yield {"type": "response.output_item.added", "output_index": index, "item": added}
    for piece in split_for_stream(item["arguments"]):
        yield {"type": "response.function_call_arguments.delta", **where, "delta": piece}
    done = {"name": item["name"], "arguments": item["arguments"]}
    yield {"type": "response.function_call_arguments.done", **where, **done}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


ITEM_EVENTS = {"message": _message_events, "function_call": _function_call_events}


# -- routes -----------------------------------------------------------------------------------


def _store(request: Request) -> ResponseStore:
    return request.state.store(ResponseStore)


def _stored(request: Request) -> StoredResponse:
    response_id = request.path_params["response_id"]
    record = _store(request).get(response_id)
    if record is None:
        raise not_found(f"Response with id '{response_id}' not found.")
    return record


def create_response(request: Request) -> Response:
    body = request.json()
    asked = asked_for(request, body)
    outcome = generate(request, asked)
    if outcome.status == "failed" and not (asked.stream or asked.background):
        raise APIError(
            500, "The server had an error while processing your request. Sorry about that!", error_type="server_error"
        )
    final = _response_object(body, asked, outcome, request.state.now())
    record = _store(request).add(
        final, input_items=asked.input_items, context=asked.context, background=asked.background, stored=asked.store
    )
    if asked.stream:
        return sse_response(stream_events(record.final), done=False, named=True)
    return json_response(record.body())


def retrieve_response(request: Request) -> Response:
    if request.query.get("stream", "").lower() == "true":
        raise invalid("Streaming a stored response again is not emulated: retrieve it without 'stream'.", "stream")
    return json_response(_stored(request).body())


def delete_response(request: Request) -> Response:
    record = _stored(request)
    _store(request).delete(record.id)
    return json_response({"id": record.id, "object": "response", "deleted": True})


def cancel_response(request: Request) -> Response:
    """A background response that has not finished is cancelled (again: the same answer); others cannot be."""
    record = _stored(request)
    if not record.background:
        raise invalid("Cannot cancel a synchronous response.")
    if not _store(request).cancel(record):
        raise invalid(f"Cannot cancel a {record.status} response.")
    return json_response(record.body())


def list_input_items(request: Request) -> Response:
    return json_response(listed_items(request, _stored(request).input_items))


ROUTES = (
    Route("POST", "/responses", create_response),
    Route("GET", "/responses/{response_id}", retrieve_response),
    Route("DELETE", "/responses/{response_id}", delete_response),
    Route("POST", "/responses/{response_id}/cancel", cancel_response),
    Route("GET", "/responses/{response_id}/input_items", list_input_items),
)
