"""``/v1/conversations``: conversations and their items; and the items' checks, which responses share.

An item arrives as the spec's ``InputItem`` — a message (text, or content parts
``input_text`` / ``input_image`` / ``input_file``; an assistant's ``output_text`` /
``refusal``), a ``function_call``, or a ``function_call_output`` — and is kept as it is
listed (``ConversationItem``, ``ItemResource``): with an ``id``, a ``status`` and its parts
in full (an image's ``detail``, an output text's ``annotations`` and ``logprobs``). Other
item types (``item_reference``, reasoning, built-in tool calls) are not emulated: a 400
lists the types that are.

The store is ``testing/conversations.py``; responses add to conversations when they
finish, so the item routes first bring background responses up to the clock.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.conversations import Conversation, ConversationStore, new_item_id
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response
from airflow_provider_openai_adv.testing.responses import ResponseStore
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_length,
    check_metadata,
    list_body,
    optional,
    paginate,
    reject_unknown,
    require,
)
from airflow_provider_openai_adv.testing.routing import Route

MAX_ITEMS = 20  # CreateConversationBody.items and the items create body: "maxItems: 20"
MAX_CALL_ID = 64  # FunctionCallOutputItemParam.call_id: "maxLength: 64"
MESSAGE_ROLES = ("user", "assistant", "system", "developer")
INPUT_PARTS = ("input_text", "input_image", "input_file")
OUTPUT_PARTS = ("output_text", "refusal")  # what an assistant message may hold
IMAGE_DETAILS = ("low", "high", "auto", "original")
FILE_SOURCES = ("file_id", "file_data", "file_url")
ORDERS = ("asc", "desc")


# -- items: checked, then kept in their listed shape -----------------------------------------


def check_items(value: Any, name: str) -> list[dict[str, Any]]:
    """A list of input items as they are kept and listed; OpenAI's 400 naming the first bad field."""
    if not isinstance(value, list):
        raise invalid(f"Invalid type for '{name}': expected an array of items.", param=name, code="invalid_type")
    return [check_item(item, f"{name}[{index}]") for index, item in enumerate(value)]


def check_item(item: Any, path: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid(f"Invalid type for '{path}': expected an object.", param=path, code="invalid_type")
    kind = item.get("type", "message")  # an easy input message may leave its type out
    check_choice(kind, f"{path}.type", ITEM_SHAPES)
    return ITEM_SHAPES[kind](item, path)


def output_text(text: str) -> dict[str, Any]:
    """An ``output_text`` content part: the model's text, without annotations or log probabilities."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def item_text(item: dict[str, Any]) -> str:
    """The words of an item: what the model reads of it, and what its tokens are counted from."""
    if item["type"] == "function_call":
        return item["arguments"]
    parts = item["content"] if item["type"] == "message" else item["output"]
    if isinstance(parts, str):
        return parts
    return " ".join(filter(None, (part.get("text") or part.get("refusal") for part in parts)))


def _message(item: dict[str, Any], path: str) -> dict[str, Any]:
    role = require(item, "role", path=f"{path}.role")
    check_choice(role, f"{path}.role", MESSAGE_ROLES)
    content = require(item, "content", (str, list), path=f"{path}.content")
    assistant = role == "assistant"
    if isinstance(content, str):
        parts = [output_text(content) if assistant else {"type": "input_text", "text": content}]
    else:
        allowed = OUTPUT_PARTS if assistant else INPUT_PARTS
        parts = [_part(part, f"{path}.content[{index}]", allowed) for index, part in enumerate(content)]
    return {"id": _given_id(item, "msg"), "type": "message", "status": "completed", "role": role, "content": parts}


def _function_call(item: dict[str, Any], path: str) -> dict[str, Any]:
    fields = {name: require(item, name, path=f"{path}.{name}") for name in ("call_id", "name", "arguments")}
    return {"id": _given_id(item, "fc"), "type": "function_call", "status": "completed", **fields}


def _function_call_output(item: dict[str, Any], path: str) -> dict[str, Any]:
    call_id = require(item, "call_id", path=f"{path}.call_id")
    check_length(call_id, f"{path}.call_id", MAX_CALL_ID)
    output = require(item, "output", (str, list), path=f"{path}.output")
    if isinstance(output, list):
        output = [_part(part, f"{path}.output[{index}]", INPUT_PARTS) for index, part in enumerate(output)]
    return {
        "id": _given_id(item, "fco"),
        "type": "function_call_output",
        "status": "completed",
        "call_id": call_id,
        "output": output,
    }


ITEM_SHAPES = {"message": _message, "function_call": _function_call, "function_call_output": _function_call_output}


def _given_id(item: dict[str, Any], prefix: str) -> str:
    """The item's own id (an output item passed back as input keeps it), else a new one."""
    given = item.get("id")
    return given if isinstance(given, str) and given else new_item_id(prefix)


def _part(part: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise invalid(f"Invalid type for '{path}': expected an object.", param=path, code="invalid_type")
    kind = require(part, "type", path=f"{path}.type")
    check_choice(kind, f"{path}.type", allowed)
    return PART_SHAPES[kind](part, path)


def _input_text(part: dict[str, Any], path: str) -> dict[str, Any]:
    return {"type": "input_text", "text": require(part, "text", path=f"{path}.text")}


def _input_image(part: dict[str, Any], path: str) -> dict[str, Any]:
    image_url = optional(part, "image_url", path=f"{path}.image_url")
    file_id = optional(part, "file_id", path=f"{path}.file_id")
    if image_url is None and file_id is None:
        raise invalid(
            f"Missing required parameter: '{path}.image_url' (or '{path}.file_id').",
            param=f"{path}.image_url",
            code="missing_required_parameter",
        )
    detail = part.get("detail") or "auto"
    check_choice(detail, f"{path}.detail", IMAGE_DETAILS)
    return {"type": "input_image", "detail": detail, "file_id": file_id, "image_url": image_url}


def _input_file(part: dict[str, Any], path: str) -> dict[str, Any]:
    given = {name: optional(part, name, path=f"{path}.{name}") for name in (*FILE_SOURCES, "filename")}
    if not any(given[name] for name in FILE_SOURCES):
        raise invalid(
            f"Missing required parameter: one of '{path}.file_id', '{path}.file_data' or '{path}.file_url'.",
            param=f"{path}.file_id",
            code="missing_required_parameter",
        )
    return {"type": "input_file", **{name: value for name, value in given.items() if value is not None}}


def _output_text_part(part: dict[str, Any], path: str) -> dict[str, Any]:
    return output_text(require(part, "text", path=f"{path}.text"))


def _refusal(part: dict[str, Any], path: str) -> dict[str, Any]:
    return {"type": "refusal", "refusal": require(part, "refusal", path=f"{path}.refusal")}


PART_SHAPES = {
    "input_text": _input_text,
    "input_image": _input_image,
    "input_file": _input_file,
    "output_text": _output_text_part,
    "refusal": _refusal,
}


def listed_items(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of ``items`` (oldest first): ``order`` (``desc`` by default), ``after``, ``limit`` (1–100, 20)."""
    order = request.query.get("order", "desc")
    check_choice(order, "order", ORDERS)
    ordered = items if order == "asc" else items[::-1]
    return paginate(request, ordered, default_limit=20, max_limit=100)


# -- routes ---------------------------------------------------------------------------------


def _store(request: Request) -> ConversationStore:
    return request.state.store(ConversationStore)


def _conversation(request: Request) -> Conversation:
    """The conversation the path names, with the items of the background responses the clock has finished."""
    request.state.store(ResponseStore).refresh_pending()
    return _store(request).existing(request.path_params["conversation_id"])


def _new_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body's ``items``: at most 20, each checked."""
    if isinstance(body["items"], list):
        check_length(body["items"], "items", MAX_ITEMS)
    return check_items(body["items"], "items")


def create_conversation(request: Request) -> Response:
    body = request.json() if request.body else {}
    reject_unknown(body, ("metadata", "items"))
    metadata = check_metadata(body.get("metadata"))
    items = _new_items(body) if body.get("items") is not None else []
    return json_response(_store(request).create(metadata, items).body())


def retrieve_conversation(request: Request) -> Response:
    return json_response(_conversation(request).body())


def update_conversation(request: Request) -> Response:
    """Replace the conversation's metadata (the only thing that can change)."""
    body = request.json()
    reject_unknown(body, ("metadata",))
    metadata = check_metadata(require(body, "metadata", dict))
    conversation = _conversation(request)
    conversation.metadata = metadata
    return json_response(conversation.body())


def delete_conversation(request: Request) -> Response:
    conversation = _conversation(request)
    _store(request).delete(conversation.id)
    return json_response({"id": conversation.id, "object": "conversation.deleted", "deleted": True})


def create_items(request: Request) -> Response:
    """Add up to 20 items at the end; the list of the items added."""
    body = request.json()
    reject_unknown(body, ("items",))
    require(body, "items", list)
    items = _new_items(body)
    conversation = _conversation(request)
    _store(request).append(conversation.id, items)
    return json_response(list_body(items))


def list_items(request: Request) -> Response:
    return json_response(listed_items(request, _conversation(request).items))


def retrieve_item(request: Request) -> Response:
    return json_response(_conversation(request).item(request.path_params["item_id"]))


def delete_item(request: Request) -> Response:
    """Remove one item; the conversation."""
    conversation = _conversation(request)
    _store(request).remove_item(conversation, request.path_params["item_id"])
    return json_response(conversation.body())


ROUTES = (
    Route("POST", "/conversations", create_conversation),
    Route("GET", "/conversations/{conversation_id}", retrieve_conversation),
    Route("POST", "/conversations/{conversation_id}", update_conversation),
    Route("DELETE", "/conversations/{conversation_id}", delete_conversation),
    Route("POST", "/conversations/{conversation_id}/items", create_items),
    Route("GET", "/conversations/{conversation_id}/items", list_items),
    Route("GET", "/conversations/{conversation_id}/items/{item_id}", retrieve_item),
    Route("DELETE", "/conversations/{conversation_id}/items/{item_id}", delete_item),
)
