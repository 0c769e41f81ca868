"""``/v1/conversations`` in the emulator, over HTTP: conversations, their items, and 404s as OpenAI words them."""

from __future__ import annotations

import pytest


def user(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def create(http, **body) -> dict:
    response = http.post("/conversations", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def texts(listed: dict) -> list[str]:
    return [item["content"][0]["text"] for item in listed["data"]]


def test_a_conversation_has_openais_shape(http):
    conversation = create(http, metadata={"topic": "demo"}, items=[user("Hello"), {"role": "user", "content": "Hi"}])
    assert conversation["id"].startswith("conv_") and conversation["object"] == "conversation"
    assert conversation["metadata"] == {"topic": "demo"} and isinstance(conversation["created_at"], int)
    assert http.get(f"/conversations/{conversation['id']}").json() == conversation
    items = http.get(f"/conversations/{conversation['id']}/items", params={"order": "asc"}).json()
    assert texts(items) == ["Hello", "Hi"]
    assert all(item["status"] == "completed" and item["id"].startswith("msg_") for item in items["data"])


def test_a_conversation_needs_no_body(http):
    response = http.post("/conversations")
    assert response.status_code == 200 and response.json()["metadata"] == {}


def test_metadata_is_replaced_by_an_update(http):
    conversation = create(http, metadata={"a": "1"})
    updated = http.post(f"/conversations/{conversation['id']}", json={"metadata": {"b": "2"}}).json()
    assert updated == {**conversation, "metadata": {"b": "2"}}
    assert http.get(f"/conversations/{conversation['id']}").json()["metadata"] == {"b": "2"}
    missing = http.post(f"/conversations/{conversation['id']}", json={})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "metadata"


def test_a_deleted_conversation_is_gone(http):
    conversation = create(http)
    deleted = http.delete(f"/conversations/{conversation['id']}").json()
    assert deleted == {"id": conversation["id"], "object": "conversation.deleted", "deleted": True}
    for method, path, body in (
        ("GET", "", None),
        ("POST", "", {"metadata": {}}),
        ("DELETE", "", None),
        ("GET", "/items", None),
        ("POST", "/items", {"items": [user("late")]}),
    ):
        response = http.request(method, f"/conversations/{conversation['id']}{path}", json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["message"] == f"Conversation with id '{conversation['id']}' not found."


def test_items_are_added_listed_retrieved_and_deleted(http):
    conversation = create(http, items=[user("first")])
    path = f"/conversations/{conversation['id']}/items"
    added = http.post(path, json={"items": [user("second"), user("third")]}).json()
    assert added["object"] == "list" and texts(added) == ["second", "third"] and added["has_more"] is False
    assert (added["first_id"], added["last_id"]) == (added["data"][0]["id"], added["data"][1]["id"])
    assert texts(http.get(path).json()) == ["third", "second", "first"]  # newest first by default
    second = added["data"][0]
    assert http.get(f"{path}/{second['id']}").json() == second
    assert http.delete(f"{path}/{second['id']}").json() == conversation
    assert texts(http.get(path, params={"order": "asc"}).json()) == ["first", "third"]
    missing = http.get(f"{path}/{second['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"Item with id '{second['id']}' not found."


def test_items_are_paged(http):
    conversation = create(http, items=[user(f"item {index}") for index in range(5)])
    path = f"/conversations/{conversation['id']}/items"
    first = http.get(path, params={"limit": 2, "order": "asc"}).json()
    assert texts(first) == ["item 0", "item 1"] and first["has_more"]
    rest = http.get(path, params={"limit": 5, "order": "asc", "after": first["last_id"]}).json()
    assert texts(rest) == ["item 2", "item 3", "item 4"] and not rest["has_more"]
    assert http.get(path, params={"limit": 101}).status_code == 400
    assert http.get(path, params={"after": "msg_nope"}).status_code == 404


def test_every_item_kind_keeps_its_shape(http):
    items = [
        {"role": "assistant", "content": "Earlier answer"},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": [{"type": "input_text", "text": "found"}]},
    ]
    conversation = create(http, items=items)
    listed = http.get(f"/conversations/{conversation['id']}/items", params={"order": "asc"}).json()["data"]
    answer, call, output = listed
    assert answer["content"] == [{"type": "output_text", "text": "Earlier answer", "annotations": [], "logprobs": []}]
    assert (call["type"], call["name"], call["status"]) == ("function_call", "lookup", "completed")
    assert call["id"].startswith("fc_") and output["output"] == [{"type": "input_text", "text": "found"}]


@pytest.mark.parametrize(
    "body, param, code",
    [
        ({"items": [user("x")] * 21}, "items", "array_above_max_length"),
        ({"items": "hello"}, "items", "invalid_type"),
        (
            {"items": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "items[0].content[0].type",
            "invalid_value",
        ),
        ({"metadata": {"k": "v" * 513}}, "metadata", None),
        ({"extra": True}, "extra", "unknown_parameter"),
    ],
)
def test_bad_conversations_get_a_400_naming_the_param(http, body, param, code):
    response = http.post("/conversations", json=body)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


@pytest.mark.parametrize(
    "body, param",
    [
        ({}, "items"),
        ({"items": [user("x")] * 21}, "items"),
        ({"items": [{"role": "user", "content": 1}]}, "items[0].content"),
    ],
)
def test_bad_item_additions_get_a_400(http, body, param):
    conversation = create(http)
    response = http.post(f"/conversations/{conversation['id']}/items", json=body)
    assert response.status_code == 400 and response.json()["error"]["param"] == param
    assert http.get(f"/conversations/{conversation['id']}/items").json()["data"] == []


@pytest.mark.parametrize("body", [b"[1]", b"nope", b'{"items": [[]]}', b'{"metadata": []}'])
def test_hostile_bodies_get_a_400_never_a_500(http, body):
    response = http.post("/conversations", data=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
