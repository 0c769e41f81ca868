"""The emulator's Responses, Conversations and speech exchanges fit OpenAI's current specification.

Each endpoint is driven through its variants (plain, tools, structured output, cut, turns,
conversations, every background status), then every exchange in the journal is validated
with ``openapi-core``. Streams are not kept by the journal, so each streamed event is
validated on its own: against ``ResponseStreamEvent`` and against its type's own schema
(``ResponseTextDeltaEvent``...), which the ``anyOf`` alone would not pin down.

Where the spec cannot speak, the check is narrower, and says so:

* error answers: these paths declare only 200 (and 429, and 404 for cancel and delete),
  so an error body is checked against ``ErrorResponse``;
* messages with content parts: such a message fits both branches of ``InputItem``'s
  ``oneOf`` (``EasyInputMessage`` and ``Item``'s ``InputMessage``), so the spec refuses
  every one, whatever it holds. A request with one is checked with its input items taken
  out, and each item then on its own (such a message against ``EasyInputMessage``);
* speech: the spec declares ``application/octet-stream`` for the audio, and OpenAI answers
  ``audio/mpeg``, ``audio/wav``...; only the request is checked (``tests/testing/test_speech_route.py``
  checks the bytes), and the SSE events against ``CreateSpeechResponseStreamEvent``.

Last, the limits and lists the emulator enforces are read out of the spec.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from openapi_core.exceptions import OpenAPIError

from airflow_provider_openai_adv.testing.routes import audio, conversations, response_requests
from tests.contract.openapi import validate_answer, validate_exchange, validate_schema

QUEUED, IN_PROGRESS = 100, 100
MODEL = "gpt-4o-mini"
TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
SCHEMA_FORMAT = {
    "type": "json_schema",
    "name": "city",
    "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "rank": {"type": "integer"}},
        "required": ["name", "rank"],
        "additionalProperties": False,
    },
    "strict": True,
}
EVENT_SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent",
    "response.output_text.done": "ResponseTextDoneEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
    "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.incomplete": "ResponseIncompleteEvent",
    "response.failed": "ResponseFailedEvent",
    "speech.audio.delta": "SpeechAudioDeltaEvent",
    "speech.audio.done": "SpeechAudioDoneEvent",
}
ITEMS = [
    {"role": "developer", "content": "Answer briefly."},
    {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is in this picture?"},
            {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"},
            {"type": "input_file", "file_id": "file-abc"},
        ],
    },
    {"role": "assistant", "content": "A cat."},
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
    {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
]


def create(http, **body) -> dict:
    return http.post("/responses", json={"model": MODEL, **body}).json()


def drive_responses(http, emulator) -> None:
    """Responses in every status and shape, and each route that reads them."""
    emulator.set_response_timings(queued=QUEUED, in_progress=IN_PROGRESS)
    plain = create(http, input="Hello", instructions="Be brief.", metadata={"run": "r1"}, temperature=0.2)
    create(http, input=ITEMS, tools=[TOOL], include=["message.output_text.logprobs"], store=False)
    create(http, input="Use get_weather", tools=[TOOL], tool_choice={"type": "function", "name": "get_weather"})
    create(http, input="Best city?", text={"format": SCHEMA_FORMAT, "verbosity": "low"}, reasoning={"effort": "low"})
    create(http, input="Answer in json", text={"format": {"type": "json_object"}}, service_tier="flex")
    create(http, input="word " * 40, max_output_tokens=16)
    create(http, input="[[content_filter]]", previous_response_id=plain["id"])
    conversation = http.post("/conversations", json={"metadata": {"topic": "t"}}).json()
    create(http, input="In a conversation", conversation={"id": conversation["id"]}, truncation="auto")
    running = [create(http, input=text, background=True) for text in ("one", "two", "[[server_error]]")]
    http.post(f"/responses/{running[0]['id']}/cancel")
    for step in (0, QUEUED + 1, IN_PROGRESS):
        emulator.advance_clock(step)
        for response in running:
            http.get(f"/responses/{response['id']}")
    http.get(f"/responses/{plain['id']}/input_items")
    page = http.get(f"/responses/{create(http, input=ITEMS)['id']}/input_items", params={"limit": 2, "order": "asc"})
    http.get(page.url.split("?")[0], params={"after": page.json()["last_id"]})
    http.post(f"/responses/{plain['id']}/cancel")  # not a background response: 400
    http.delete(f"/responses/{plain['id']}")
    http.get(f"/responses/{plain['id']}")  # 404
    http.post("/responses", json={"model": MODEL, "input": "x", "max_output_tokens": 1})  # 400


def drive_conversations(http) -> None:
    conversation = http.post("/conversations", json={"metadata": {"a": "1"}, "items": ITEMS}).json()
    path = f"/conversations/{conversation['id']}"
    http.get(path)
    http.post(path, json={"metadata": {"a": "2"}})
    create(http, input="Next", conversation=conversation["id"])
    added = http.post(f"{path}/items", json={"items": [{"role": "user", "content": "More"}]}).json()
    http.get(f"{path}/items", params={"limit": 3, "order": "asc"})
    http.get(f"{path}/items")
    http.get(f"{path}/items/{added['first_id']}")
    http.delete(f"{path}/items/{added['first_id']}")
    http.get(f"{path}/items/{added['first_id']}")  # 404
    http.delete(path)
    http.get(path)  # 404


def test_response_and_conversation_exchanges_fit_the_current_spec(
    openai_emulator, http, current_spec, current_document
):
    drive_responses(http, openai_emulator)
    drive_conversations(http)
    exchanges = [entry for entry in openai_emulator.requests if entry.path.startswith(("/v1/responses", "/v1/conv"))]
    answers = [entry.response_json() for entry in exchanges if entry.status == 200]
    statuses = {answer.get("status") for answer in answers if answer.get("object") == "response"}
    assert statuses == {
        "completed",
        "incomplete",
        "queued",
        "in_progress",
        "cancelled",
        "failed",
        None,
    }  # None: deleted
    objects = {answer.get("object") for answer in answers}
    assert objects == {"response", "list", "conversation", "conversation.deleted", None}  # None: an item
    assert len(exchanges) > 40 and sum(entry.status != 200 for entry in exchanges) == 5
    assert sum(map(has_content_parts, exchanges)) == 3
    (refused,) = [entry for entry in exchanges if entry.status == 400 and entry.path == "/v1/responses"]
    with pytest.raises(OpenAPIError):  # the spec refuses it too
        validate_request(current_spec, current_document, refused)
    for entry in exchanges:
        if entry is not refused:
            validate_request(current_spec, current_document, entry)
        if entry.status == 200:
            validate_answer(current_spec, entry)
        else:
            validate_schema(current_document, "ErrorResponse", entry.response_json())


def input_of(entry) -> list:
    body = entry.json() if entry.method == "POST" and entry.body else {}
    items = body.get("input", body.get("items"))
    return items if isinstance(items, list) else []


def has_content_parts(entry) -> bool:
    return any(
        item.get("type", "message") == "message" and isinstance(item["content"], list) for item in input_of(entry)
    )


def validate_request(api, document, entry) -> None:
    """The request; one with a message of content parts without its items, then each item on its own."""
    if not has_content_parts(entry):
        validate_exchange(api, dataclasses.replace(entry, response_body=None))
        return
    body = entry.json()
    key = "input" if "input" in body else "items"
    validate_exchange(api, dataclasses.replace(entry, body=json.dumps({**body, key: []}).encode(), response_body=None))
    for item in body[key]:
        parts = item.get("type", "message") == "message" and isinstance(item["content"], list)
        validate_schema(document, "EasyInputMessage" if parts else "InputItem", item)


def events(response) -> list[dict]:
    return [json.loads(line[len("data: ") :]) for line in response.text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize(
    "body",
    [
        {"input": "Stream this"},
        {"input": "x", "tools": [TOOL], "tool_choice": "required"},
        {"input": "word " * 40, "max_output_tokens": 16},
        {"input": "[[server_error]]"},
        {"input": "A city", "text": {"format": SCHEMA_FORMAT}},
    ],
)
def test_streamed_response_events_fit_their_schemas(openai_emulator, http, current_spec, current_document, body):
    streamed = events(http.post("/responses", json={"model": MODEL, "stream": True, **body}))
    assert len(streamed) >= 3
    for event in streamed:
        validate_schema(current_document, "ResponseStreamEvent", event)
        validate_schema(current_document, EVENT_SCHEMAS[event["type"]], event)
    validate_exchange(current_spec, openai_emulator.requests[-1])  # the request; the journal keeps no stream


def test_speech_requests_and_events_fit_the_current_spec(openai_emulator, http, current_spec, current_document):
    speech = {"model": "tts-1", "input": "Hello there", "voice": "alloy"}
    for change in ({}, {"response_format": "wav", "speed": 1.5}, {"voice": "onyx", "response_format": "pcm"}):
        assert http.post("/audio/speech", json={**speech, **change}).status_code == 200
    sse = {**speech, "model": "gpt-4o-mini-tts", "voice": {"id": "voice_1234"}, "instructions": "Calm."}
    streamed = events(http.post("/audio/speech", json={**sse, "stream_format": "sse"}))
    assert [event["type"] for event in streamed][-1] == "speech.audio.done"
    for event in streamed:
        validate_schema(current_document, "CreateSpeechResponseStreamEvent", event)
        validate_schema(current_document, EVENT_SCHEMAS[event["type"]], event)
    for entry in openai_emulator.requests:
        validate_exchange(current_spec, dataclasses.replace(entry, response_body=None))


def test_a_wrong_answer_is_caught_by_the_contract_check(openai_emulator, http, current_spec, current_document):
    """The check can fail: a response without its required ``output``, an event without its sequence number."""
    from jsonschema.exceptions import ValidationError

    create(http, input="Hello")
    entry = openai_emulator.requests[-1]
    validate_exchange(current_spec, entry)
    answer = {key: value for key, value in entry.response_json().items() if key != "output"}
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, dataclasses.replace(entry, response_body=json.dumps(answer).encode()))
    delta = next(e for e in events(http.post("/responses", json={"model": MODEL, "input": "x", "stream": True})))
    with pytest.raises(ValidationError):
        validate_schema(current_document, "ResponseCreatedEvent", {**delta, "sequence_number": None})


# -- the limits and lists, as the spec states them ---------------------------------------------


def properties(document: dict, name: str) -> dict:
    """A schema's properties, its ``allOf`` parts merged."""
    schema = document["components"]["schemas"][name]
    merged: dict = {}
    for part in schema.get("allOf", [schema]):
        merged |= properties(document, part["$ref"].split("/")[-1]) if "$ref" in part else part.get("properties", {})
    return merged


def enum(schema: dict) -> list:
    """The values a schema (or the string branch of its ``anyOf``) lists."""
    for branch in [schema, *schema.get("anyOf", [])]:
        if "enum" in branch:
            return [value for value in branch["enum"] if value is not None]
    raise AssertionError(f"no enum in {schema}")


def test_the_responses_limits_are_the_specs(current_document):
    schemas = current_document["components"]["schemas"]
    create_response = properties(current_document, "CreateResponse")
    assert set(response_requests.KNOWN) == set(create_response)
    assert create_response["max_output_tokens"]["anyOf"][0]["minimum"] == response_requests.MIN_OUTPUT_TOKENS
    assert create_response["safety_identifier"]["anyOf"][0]["maxLength"] == response_requests.MAX_SAFETY_IDENTIFIER
    assert enum(create_response["truncation"]) == list(response_requests.TRUNCATIONS)
    assert enum(schemas["ServiceTierResponses"]) == list(response_requests.SERVICE_TIERS)
    assert enum(schemas["IncludeEnum"]) == list(response_requests.INCLUDABLE)
    assert enum(schemas["ReasoningEffort"]) == list(response_requests.REASONING_EFFORTS)
    assert enum(schemas["ToolChoiceOptions"]) == list(response_requests.TOOL_CHOICE_MODES)
    assert enum(schemas["ImageDetail"]) == list(conversations.IMAGE_DETAILS)
    assert schemas["CreateConversationBody"]["properties"]["items"]["anyOf"][0]["maxItems"] == conversations.MAX_ITEMS
    call_id = schemas["FunctionCallOutputItemParam"]["properties"]["call_id"]["anyOf"][0]
    assert call_id["maxLength"] == conversations.MAX_CALL_ID


def test_the_speech_limits_are_the_specs(current_document):
    speech = current_document["components"]["schemas"]["CreateSpeechRequest"]["properties"]
    assert set(audio.SPEECH_PARAMETERS) == set(speech)
    assert enum(speech["model"]) == list(audio.SPEECH_MODELS)
    assert speech["input"]["maxLength"] == speech["instructions"]["maxLength"] == audio.MAX_SPEECH_CHARACTERS
    assert enum(speech["response_format"]) == list(audio.SPEECH_CONTENT_TYPES)
    assert (speech["speed"]["minimum"], speech["speed"]["maximum"]) == (0.25, 4)
    for voice in audio.VOICES:
        assert f"`{voice}`" in speech["voice"]["description"]
