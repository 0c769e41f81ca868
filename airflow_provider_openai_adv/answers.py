"""Reading the text endpoints' answers: a response's text, and structured output checked.

The hook attaches what the ``openai`` SDK's users know: a response's ``output_text`` (all
its ``output_text`` parts, joined) and, when a schema was asked for, ``output_parsed`` on
a response and ``parsed`` on each chat message — each the validated value, never text
that merely looks right. The answers come from a server and are read as such: a part that
is not what it should be is skipped, never trusted into a crash. Pure Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.structured import StructuredOutputError

if TYPE_CHECKING:
    from airflow_provider_openai_adv.structured import OutputSchema


def _parts(response: dict[str, Any], kind: str) -> list[str]:
    """The ``kind`` parts (``output_text`` or ``refusal``) of a response's messages, in order."""
    found = []
    output = response.get("output")
    for item in output if isinstance(output, list) else []:
        content = item.get("content") if isinstance(item, dict) and item.get("type") == "message" else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == kind:
                text = part.get("text" if kind == "output_text" else "refusal")
                found.append(text if isinstance(text, str) else "")
    return found


def with_output_text(response: Any) -> dict[str, Any]:
    """``response`` with ``output_text``: the text of its messages, joined."""
    return {**_object(response, "a response"), "output_text": "".join(_parts(response, "output_text"))}


def _object(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise InvalidResponseError(f"expected {what} (a JSON object), got {type(answer).__name__}")
    return answer


def parse_response(response: dict[str, Any], schema: OutputSchema) -> dict[str, Any]:
    """``response`` with ``output_parsed``, the validated value of its text, once it has
    completed (a queued or in-progress background response has no text yet)."""
    if response.get("status") != "completed":
        return response
    refusals = [text for text in _parts(response, "refusal") if text]
    if refusals:
        raise StructuredOutputError(f"{schema.name}: the model refused: {refusals[0]}")
    text = "".join(_parts(response, "output_text"))
    if not text:
        raise StructuredOutputError(f"{schema.name}: the response has no text to parse{_calls(response)}")
    return {**response, "output_parsed": schema.parse(text)}


def _calls(response: dict[str, Any]) -> str:
    output = response.get("output") if isinstance(response.get("output"), list) else []
    names = [item.get("name") for item in output if isinstance(item, dict) and item.get("type") == "function_call"]
    return f"; it called tools instead: {', '.join(map(str, names))}" if names else ""


def parse_chat(completion: dict[str, Any], schema: OutputSchema) -> dict[str, Any]:
    """``completion`` with each choice's message holding ``parsed``, its validated value."""
    listed = _object(completion, "a chat completion").get("choices")
    if not isinstance(listed, list):
        raise InvalidResponseError(f"the chat completion's choices are not a list: {type(listed).__name__}")
    choices = []
    for choice in listed:
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            raise StructuredOutputError(f"{schema.name}: the completion has a choice without a message")
        message = choice["message"]
        if message.get("refusal"):
            raise StructuredOutputError(f"{schema.name}: the model refused: {message['refusal']}")
        if choice.get("finish_reason") == "length":
            raise StructuredOutputError(f"{schema.name}: the answer was cut off at the token limit (max_tokens)")
        if message.get("tool_calls") and not message.get("content"):
            choices.append(choice)  # it called tools: their arguments are the answer, returned as they are
            continue
        choices.append({**choice, "message": {**message, "parsed": schema.parse(message.get("content"))}})
    return {**completion, "choices": choices}
