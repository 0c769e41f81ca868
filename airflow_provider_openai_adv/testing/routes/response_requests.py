"""The checks of ``POST /v1/responses``: a request body made into what the model is :class:`Asked`.

Each bad argument is OpenAI's 400 naming the ``param`` (``input[2].content[0].type``,
``tools[0].parameters``...); unknown parameters are refused as the spec lists
``CreateResponse``'s. Only function tools are emulated: other tool types are a 400 saying
so. Chat models and the Responses-only ones are served (``models.model_kind``); another
kind of model is OpenAI's 400. The input items are checked and shaped by
``routes/conversations.py``; what the model answers is ``routes/responses.py``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_adv.testing.conversations import ConversationStore
from airflow_provider_openai_adv.testing.http import APIError, Request, invalid
from airflow_provider_openai_adv.testing.responses import ResponseStore
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_length,
    check_metadata,
    check_range,
    model_of_kind,
    optional,
    reject_unknown,
    require,
    strict_schema_problem,
)
from airflow_provider_openai_adv.testing.routes.conversations import check_item, check_items, item_text

KNOWN = (  # CreateResponse's properties
    "background",
    "context_management",
    "conversation",
    "include",
    "input",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "model",
    "moderation",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_options",
    "prompt_cache_retention",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
)
MIN_OUTPUT_TOKENS = 16  # max_output_tokens: "minimum: 16"
MAX_SAFETY_IDENTIFIER = 64  # safety_identifier: "maxLength: 64"
MAX_NAME = 64  # a function's name, a json_schema format's name
NAME = re.compile(r"[a-zA-Z0-9_-]+")
TOOL_CHOICE_MODES = ("none", "auto", "required")
ALLOWED_TOOLS_MODES = ("auto", "required")
TEXT_FORMATS = ("text", "json_object", "json_schema")
VERBOSITIES = ("low", "medium", "high")
TRUNCATIONS = ("auto", "disabled")
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast", "ultrafast")
CACHE_RETENTIONS = ("in_memory", "24h")
INCLUDABLE = (  # IncludeEnum
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
REASONING_SUMMARIES = ("auto", "concise", "detailed")


@dataclass(frozen=True)
class ToolPlan:
    """The function tools the model may call (``tool_choice`` narrows them), and whether it must."""

    callable: list[dict[str, Any]]
    required: bool = False
    forced: str | None = None


@dataclass
class Asked:
    """A checked ``POST /responses``: what the model reads, and how it may answer."""

    model: str
    earlier: list[dict[str, Any]]  # the previous response's turn, or the conversation's items
    input_items: list[dict[str, Any]]
    conversation_id: str | None
    instructions: str | None
    text: dict[str, Any]  # {"format": ..., "verbosity": ...}, as the Response repeats it
    tools: list[dict[str, Any]]  # the function tools, as the Response lists them
    plan: ToolPlan
    max_output_tokens: int | None
    stream: bool
    background: bool
    store: bool

    @property
    def context(self) -> list[dict[str, Any]]:
        return [*self.earlier, *self.input_items]


# -- checking the request ------------------------------------------------------------------


def not_a_responses_model(model: str, kind: str) -> APIError:
    return invalid(f"The requested model '{model}' is not supported with the Responses API.", param="model")


def asked_for(request: Request, body: dict[str, Any]) -> Asked:
    """The checked request; OpenAI's 400 (or 404 for an unknown model or conversation) otherwise."""
    reject_unknown(body, KNOWN)
    model = require(body, "model")
    _check_types(body)
    _check_values(body)
    _check_combinations(body)
    model_of_kind(request, model, ("chat", "responses"), not_a_responses_model)
    tools = _tools(body.get("tools"))
    earlier, conversation_id = _earlier(request, body)
    asked = Asked(
        model=model,
        earlier=earlier,
        input_items=_input_items(body),
        conversation_id=conversation_id,
        instructions=body.get("instructions"),
        text=_text(body.get("text")),
        tools=tools,
        plan=_tool_plan(body.get("tool_choice"), tools),
        max_output_tokens=body.get("max_output_tokens"),
        stream=bool(body.get("stream")),
        background=bool(body.get("background")),
        store=body.get("store") is not False,
    )
    _check_json_mode(asked)
    return asked


def _check_types(body: dict[str, Any]) -> None:
    for name in ("instructions", "previous_response_id", "user", "prompt_cache_key", "safety_identifier"):
        optional(body, name)
    for name in ("store", "background", "stream", "parallel_tool_calls"):
        optional(body, name, bool)
    for name in ("reasoning", "stream_options", "moderation", "prompt_cache_options"):
        optional(body, name, dict)
    for name in ("include", "context_management"):
        optional(body, name, list)


def _check_values(body: dict[str, Any]) -> None:
    check_range(body, "temperature", 0, 2)
    check_range(body, "top_p", 0, 1)
    _check_integer(body, "top_logprobs", 0, 20)
    _check_integer(body, "max_output_tokens", MIN_OUTPUT_TOKENS)
    _check_integer(body, "max_tool_calls", 0)
    check_metadata(body.get("metadata"))
    check_choice(body.get("truncation"), "truncation", TRUNCATIONS)
    check_choice(body.get("service_tier"), "service_tier", SERVICE_TIERS)
    check_choice(body.get("prompt_cache_retention"), "prompt_cache_retention", CACHE_RETENTIONS)
    for index, value in enumerate(body.get("include") or []):
        check_choice(value, f"include[{index}]", INCLUDABLE)
    reasoning = body.get("reasoning") or {}
    check_choice(reasoning.get("effort"), "reasoning.effort", REASONING_EFFORTS)
    check_choice(reasoning.get("summary"), "reasoning.summary", REASONING_SUMMARIES)
    check_length(body.get("safety_identifier") or "", "safety_identifier", MAX_SAFETY_IDENTIFIER)


def _check_combinations(body: dict[str, Any]) -> None:
    if body.get("prompt") is not None:
        raise invalid("Reusable prompts are not emulated: send 'input' and 'instructions' instead.", param="prompt")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
    if body.get("background") and body.get("store") is False:
        raise invalid("Background responses must be stored: 'background' requires 'store' to be true.", "background")
    if body.get("background") and body.get("stream"):
        raise invalid(
            "Streaming a background response is not emulated: create it without 'stream', then retrieve it.",
            param="stream",
        )
    if body.get("previous_response_id") is not None and body.get("conversation") is not None:
        raise invalid(
            "Mutually exclusive parameters: ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            param="conversation",
        )


def _check_integer(body: dict[str, Any], name: str, low: int, high: int | None = None) -> None:
    value = optional(body, name, int)
    if value is not None and value < low:
        raise invalid(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if value is not None and high is not None and value > high:
        raise invalid(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
            param=name,
            code="integer_above_max_value",
        )


def _name(holder: dict[str, Any], path: str) -> str:
    """A function's or a JSON schema format's ``name``: letters, digits, ``_`` and ``-``, at most 64."""
    name = require(holder, "name", path=f"{path}.name")
    check_length(name, f"{path}.name", MAX_NAME)
    if not NAME.fullmatch(name):
        raise invalid(
            f"Invalid '{path}.name': string does not match pattern. "
            "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
            param=f"{path}.name",
            code="invalid_value",
        )
    return name


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("Invalid type for 'tools': expected an array.", param="tools", code="invalid_type")
    return [_function_tool(tool, f"tools[{index}]") for index, tool in enumerate(value)]


def _function_tool(tool: Any, path: str) -> dict[str, Any]:
    """A function tool as the Response lists it; strict unless it says otherwise and its schema allows.

    Left out, ``strict`` is on when the parameters' schema fits strict mode (as OpenAI
    makes it); asked for with a schema that does not fit, it is OpenAI's 400.
    """
    if not isinstance(tool, dict):
        raise invalid(f"Invalid type for '{path}': expected an object.", param=path, code="invalid_type")
    kind = require(tool, "type", path=f"{path}.type")
    if kind != "function":
        raise invalid(
            f"Tools of type '{kind}' are not emulated: the emulator's model calls function tools only.",
            param=f"{path}.type",
            code="unsupported_value",
        )
    name = _name(tool, path)
    parameters = optional(tool, "parameters", dict, path=f"{path}.parameters")
    strict = optional(tool, "strict", bool, path=f"{path}.strict")
    problem = strict_schema_problem(parameters) if parameters else None
    if strict and problem:
        raise invalid(
            f"Invalid schema for function '{name}': {problem}",
            param=f"{path}.parameters",
            code="invalid_function_parameters",
        )
    return {
        "type": "function",
        "name": name,
        "description": optional(tool, "description", path=f"{path}.description"),
        "parameters": parameters,
        "strict": problem is None if strict is None else strict,
    }


def _tool_plan(choice: Any, tools: list[dict[str, Any]]) -> ToolPlan:
    if choice is None or choice == "auto":
        return ToolPlan(tools)
    if isinstance(choice, str):
        check_choice(choice, "tool_choice", TOOL_CHOICE_MODES)
        if choice == "none":
            return ToolPlan([])
        if not tools:
            raise invalid("Tool choice 'required' must be specified with 'tools' parameter.", param="tool_choice")
        return ToolPlan(tools, required=True)
    if not isinstance(choice, dict):
        raise invalid("Invalid type for 'tool_choice'.", param="tool_choice", code="invalid_type")
    kind = require(choice, "type", path="tool_choice.type")
    if kind == "allowed_tools":
        return _allowed_tools(choice, tools)
    name = require(choice, "name", path="tool_choice.name") if kind == "function" else None
    if name is None or name not in {tool["name"] for tool in tools}:
        raise invalid(f"Tool choice '{name or kind}' not found in 'tools' parameter.", param="tool_choice")
    return ToolPlan(tools, forced=name)


def _allowed_tools(choice: dict[str, Any], tools: list[dict[str, Any]]) -> ToolPlan:
    mode = require(choice, "mode", path="tool_choice.mode")
    check_choice(mode, "tool_choice.mode", ALLOWED_TOOLS_MODES)
    listed = require(choice, "tools", list, path="tool_choice.tools")
    names = [entry.get("name") for entry in listed if isinstance(entry, dict) and entry.get("type") == "function"]
    return ToolPlan([tool for tool in tools if tool["name"] in names], required=mode == "required")


def _text(value: Any) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise invalid("Invalid type for 'text': expected an object.", param="text", code="invalid_type")
    verbosity = value.get("verbosity") or "medium"
    check_choice(verbosity, "text.verbosity", VERBOSITIES)
    return {"format": _text_format(value.get("format")), "verbosity": verbosity}


def _text_format(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "text"}
    if not isinstance(value, dict):
        raise invalid("Invalid type for 'text.format': expected an object.", param="text.format", code="invalid_type")
    kind = require(value, "type", path="text.format.type")
    check_choice(kind, "text.format.type", TEXT_FORMATS)
    if kind != "json_schema":
        return {"type": kind}
    name = _name(value, "text.format")
    schema = require(value, "schema", dict, path="text.format.schema")
    strict = optional(value, "strict", bool, path="text.format.strict")
    problem = strict_schema_problem(schema) if strict else None
    if problem:
        raise invalid(
            f"Invalid schema for response_format '{name}': {problem}",
            param="text.format.schema",
            code="invalid_json_schema",
        )
    description = optional(value, "description", path="text.format.description")
    described = {"description": description} if description is not None else {}
    return {"type": "json_schema", "name": name, "schema": schema, "strict": bool(strict), **described}


def _check_json_mode(asked: Asked) -> None:
    """JSON mode needs the word "json" somewhere in what the model reads, as OpenAI insists."""
    if asked.text["format"]["type"] != "json_object":
        return
    words = " ".join([asked.instructions or "", *map(item_text, asked.context)])
    if "json" not in words.lower():
        raise invalid(
            "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
            "'json_object'.",
            param="input",
        )


def _input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    value = body.get("input")
    if value is None:
        if body.get("previous_response_id") is None and body.get("conversation") is None:
            raise invalid("Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
        return []
    if isinstance(value, str):
        return [check_item({"role": "user", "content": value}, "input")]
    return check_items(value, "input")


def _earlier(request: Request, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The items of the earlier turns, and the conversation the response belongs to (if any)."""
    responses = request.state.store(ResponseStore)
    previous_id = body.get("previous_response_id")
    if previous_id is not None:
        previous = responses.get(previous_id)
        if previous is None:
            raise invalid(
                f"Previous response with id '{previous_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        return previous.turn(), None
    conversation_id = _conversation_id(body.get("conversation"))
    if conversation_id is None:
        return [], None
    responses.refresh_pending()
    conversation = request.state.store(ConversationStore).existing(conversation_id, param="conversation")
    return list(conversation.items), conversation_id


def _conversation_id(value: Any) -> str | None:
    """``conversation``: an id, or an object with one."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return require(value, "id", path="conversation.id")
    raise invalid("Invalid type for 'conversation'.", param="conversation", code="invalid_type")
