"""``/v1/responses`` in the emulator, over HTTP: answers, turns, formats, tools, streams, background runs.

Background responses move on the emulator clock; the timings here are long, so that the
wall clock moving during a test never crosses a boundary.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.testing import synth

QUEUED, IN_PROGRESS = 100, 100
MODEL = "gpt-4o-mini"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}


@pytest.fixture
def slow(openai_emulator):
    openai_emulator.set_response_timings(queued=QUEUED, in_progress=IN_PROGRESS)
    return openai_emulator


def create(http, **body):
    response = http.post("/responses", json={"model": MODEL, **body})
    assert response.status_code == 200, response.text
    return response.json()


def retrieve(http, response_id):
    response = http.get(f"/responses/{response_id}")
    assert response.status_code == 200, response.text
    return response.json()


def text_of(response: dict) -> str:
    return "".join(part["text"] for item in response["output"] for part in item.get("content", []))


def events_of(response) -> list[dict]:
    """The events of a Responses stream, each checked against its ``event:`` line."""
    events = []
    for block in response.text.strip().split("\n\n"):
        name, data = block.split("\n")
        event = json.loads(data.removeprefix("data: "))
        assert name == f"event: {event['type']}"
        events.append(event)
    return events


# -- answers -----------------------------------------------------------------------------------


def test_a_response_has_openais_shape_and_quotes_the_input(http):
    body = create(http, input="What is Airflow?", instructions="Be brief.")
    assert body["id"].startswith("resp_") and body["object"] == "response"
    assert body["status"] == "completed" and body["completed_at"] == body["created_at"]
    assert body["error"] is None and body["incomplete_details"] is None and "output_text" not in body
    assert (body["model"], body["instructions"], body["store"], body["background"]) == (MODEL, "Be brief.", True, False)
    assert (body["temperature"], body["top_p"], body["tool_choice"], body["tools"]) == (1.0, 1.0, "auto", [])
    assert body["text"] == {"format": {"type": "text"}, "verbosity": "medium"} and body["metadata"] == {}
    [message] = body["output"]
    assert message["id"].startswith("msg_") and (message["role"], message["status"]) == ("assistant", "completed")
    assert message["content"] == [
        {"type": "output_text", "text": synth.reply_for(MODEL, "What is Airflow?"), "annotations": [], "logprobs": []}
    ]
    usage = body["usage"]
    assert usage["input_tokens"] == synth.estimate_tokens("What is Airflow?") + synth.estimate_tokens("Be brief.") + 4
    assert usage["output_tokens"] == synth.estimate_tokens(text_of(body))
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}


def test_answers_are_deterministic_and_settings_are_repeated(http):
    settings = {"temperature": 0, "top_p": 0.5, "metadata": {"run": "r1"}, "user": "u", "service_tier": "flex"}
    first, second = (create(http, input="Same question", **settings) for _ in range(2))
    assert text_of(first) == text_of(second) and first["id"] != second["id"]
    assert (first["temperature"], first["top_p"], first["metadata"]) == (0, 0.5, {"run": "r1"})
    assert (first["user"], first["service_tier"]) == ("u", "flex")
    assert create(http, input="x")["service_tier"] == "default"


def test_the_last_user_message_is_answered_and_every_item_counted(http):
    items = [
        {"role": "developer", "content": "Answer in English."},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "First question"}]},
        {"role": "assistant", "content": "First answer"},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Second question"},
                {"type": "input_image", "image_url": "https://example.com/cat.png"},
                {"type": "input_file", "file_id": "file-abc"},
            ],
        },
    ]
    body = create(http, input=items)
    assert text_of(body) == synth.reply_for(MODEL, "Second question")
    words = ["Answer in English.", "First question", "First answer", "Second question"]
    assert body["usage"]["input_tokens"] == sum(map(synth.estimate_tokens, words)) + 4 * len(items)


def test_input_items_are_listed_in_their_full_shape(http):
    items = [
        {"role": "user", "content": [{"type": "input_image", "file_id": "file-abc", "detail": "low"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "A cat."}]},
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://example.com/a.png"}]},
    ]
    listed = http.get(f"/responses/{create(http, input=items)['id']}/input_items", params={"order": "asc"}).json()
    image, answer, url_image = listed["data"]
    assert image["content"] == [{"type": "input_image", "detail": "low", "file_id": "file-abc", "image_url": None}]
    assert answer["role"] == "assistant" and answer["content"][0]["annotations"] == []
    assert url_image["content"][0]["detail"] == "auto"
    assert all(item["id"].startswith("msg_") and item["status"] == "completed" for item in listed["data"])


def test_input_items_are_paged_newest_first_by_default(http):
    body = create(http, input=[{"role": "user", "content": f"message {index}"} for index in range(5)])
    path = f"/responses/{body['id']}/input_items"
    everything = http.get(path, params={"order": "asc"}).json()["data"]
    texts = [item["content"][0]["text"] for item in everything]
    assert texts == [f"message {index}" for index in range(5)]
    first = http.get(path, params={"limit": 2}).json()
    assert [item["content"][0]["text"] for item in first["data"]] == ["message 4", "message 3"]
    assert first["has_more"] and (first["first_id"], first["last_id"]) == (everything[4]["id"], everything[3]["id"])
    rest = http.get(path, params={"limit": 10, "after": first["last_id"]}).json()
    assert [item["id"] for item in rest["data"]] == [item["id"] for item in everything[2::-1]]
    assert not rest["has_more"]
    assert http.get(path, params={"limit": 0}).status_code == 400
    assert http.get(path, params={"order": "sideways"}).json()["error"]["param"] == "order"


# -- stored responses and turns ---------------------------------------------------------------


def test_an_unstored_response_cannot_be_retrieved_or_continued(http):
    body = create(http, input="Off the record", store=False)
    assert body["store"] is False and body["status"] == "completed"
    for path in (f"/responses/{body['id']}", f"/responses/{body['id']}/input_items"):
        missing = http.get(path)
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == f"Response with id '{body['id']}' not found."
    follow_up = http.post("/responses", json={"model": MODEL, "input": "And?", "previous_response_id": body["id"]})
    assert follow_up.status_code == 400
    assert follow_up.json()["error"] == {
        "message": f"Previous response with id '{body['id']}' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }


def test_a_previous_response_is_read_before_the_new_input(http):
    first = create(http, input="My name is Ada.")
    second = create(http, input="What is my name?", previous_response_id=first["id"])
    assert second["previous_response_id"] == first["id"]
    assert text_of(second) == synth.reply_for(MODEL, "What is my name?")
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"] + first["usage"]["output_tokens"]
    listed = http.get(f"/responses/{second['id']}/input_items").json()["data"]
    assert [item["content"][0]["text"] for item in listed] == ["What is my name?"]  # only this turn's input


def test_a_response_can_continue_from_previous_output_alone(http):
    first = create(http, input="Hello")
    assert create(http, previous_response_id=first["id"])["status"] == "completed"
    missing_input = http.post("/responses", json={"model": MODEL})
    assert missing_input.status_code == 400 and missing_input.json()["error"]["param"] == "input"


def test_a_conversation_gets_each_turns_input_and_output(http):
    conversation = http.post("/conversations", json={"items": [{"role": "user", "content": "Hi"}]}).json()
    first = create(http, input="Tell me more", conversation=conversation["id"])
    second = create(http, input="And then?", conversation={"id": conversation["id"]})
    assert first["conversation"] == second["conversation"] == {"id": conversation["id"]}
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"]
    items = http.get(f"/conversations/{conversation['id']}/items", params={"order": "asc"}).json()["data"]
    assert [item_text(item) for item in items] == ["Hi", "Tell me more", text_of(first), "And then?", text_of(second)]
    assert [item["id"] for item in items[1:3]] == [
        http.get(f"/responses/{first['id']}/input_items").json()["first_id"],
        first["output"][0]["id"],
    ]


def item_text(item: dict) -> str:
    return item["content"][0]["text"]


def test_an_unknown_conversation_is_a_404(http):
    response = http.post("/responses", json={"model": MODEL, "input": "x", "conversation": "conv_nope"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Conversation with id 'conv_nope' not found."


def test_a_deleted_response_is_gone(http):
    body = create(http, input="Soon gone")
    deleted = http.delete(f"/responses/{body['id']}")
    assert deleted.json() == {"id": body["id"], "object": "response", "deleted": True}
    assert http.get(f"/responses/{body['id']}").status_code == 404
    assert http.delete(f"/responses/{body['id']}").status_code == 404


# -- formats ------------------------------------------------------------------------------------


def test_json_object_answers_json_and_needs_the_word_json(http):
    body = create(http, input="Reply in JSON please", text={"format": {"type": "json_object"}})
    assert json.loads(text_of(body)) == {"reply": synth.reply_for(MODEL, "Reply in JSON please")}
    refused = http.post(
        "/responses", json={"model": MODEL, "input": "Reply", "text": {"format": {"type": "json_object"}}}
    )
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "input"
    with_instructions = create(http, input="Reply", instructions="Use json.", text={"format": {"type": "json_object"}})
    assert json.loads(text_of(with_instructions))


def test_json_schema_answers_a_value_of_the_schema(http):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}},
        "required": ["city", "rank"],
        "additionalProperties": False,
    }
    text_format = {"type": "json_schema", "name": "city_rank", "schema": schema, "strict": True}
    body = create(http, input="Best city?", text={"format": text_format, "verbosity": "low"})
    assert body["text"] == {"format": text_format, "verbosity": "low"}
    answer = json.loads(text_of(body))
    assert set(answer) == {"city", "rank"} and isinstance(answer["rank"], int)


@pytest.mark.parametrize(
    "schema, problem",
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, "'additionalProperties'"),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
            "Missing 'a'",
        ),
        (
            {
                "type": "object",
                "properties": {"inner": {"type": "object", "properties": {"b": {"type": "string"}}}},
                "required": ["inner"],
                "additionalProperties": False,
            },
            "context=('properties', 'inner')",
        ),
    ],
)
def test_a_strict_schema_must_be_closed_and_all_required(http, schema, problem):
    text_format = {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}
    response = http.post("/responses", json={"model": MODEL, "input": "x", "text": {"format": text_format}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("text.format.schema", "invalid_json_schema")
    assert error["message"].startswith("Invalid schema for response_format 'answer': In context=")
    assert problem in error["message"]
    assert create(http, input="x", text={"format": {**text_format, "strict": False}})["status"] == "completed"


def test_a_schema_without_any_value_is_a_400(http):
    impossible = {"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}
    text_format = {"type": "json_schema", "name": "nothing", "schema": impossible}
    answer = http.post("/responses", json={"model": MODEL, "input": "x", "text": {"format": text_format}})
    assert answer.status_code == 400
    assert (answer.json()["error"]["param"], answer.json()["error"]["code"]) == (
        "text.format.schema",
        "invalid_json_schema",
    )
    tools = [WEATHER, {"type": "function", "name": "nothing", "parameters": impossible}]
    call = http.post("/responses", json={"model": MODEL, "input": "call nothing", "tools": tools})
    assert call.status_code == 400
    error = call.json()["error"]
    assert (error["param"], error["code"]) == ("tools[1].parameters", "invalid_function_parameters")
    assert error["message"].startswith("Invalid schema for function 'nothing': ")


def test_a_strict_schema_nests_at_most_64_levels(http):
    schema = {"type": "string"}
    for _ in range(65):
        schema = {"type": "array", "items": schema}
    text_format = {"type": "json_schema", "name": "deep", "schema": schema, "strict": True}
    answer = http.post("/responses", json={"model": MODEL, "input": "x", "text": {"format": text_format}})
    assert answer.status_code == 400 and "deeper than 64 levels" in answer.json()["error"]["message"]


# -- tools -------------------------------------------------------------------------------------


def test_a_tool_named_in_the_message_is_called_with_fitting_arguments(http):
    body = create(http, input="Use get_weather for Paris", tools=[WEATHER])
    [call] = body["output"]
    assert call["type"] == "function_call" and call["id"].startswith("fc_") and call["call_id"].startswith("call_")
    assert (call["name"], call["status"]) == ("get_weather", "completed")
    arguments = json.loads(call["arguments"])
    assert set(arguments) == {"city", "unit"} and arguments["unit"] in ("celsius", "fahrenheit")
    assert body["usage"]["output_tokens"] == synth.estimate_tokens(call["arguments"])
    assert body["tools"] == [{**WEATHER, "strict": True}]
    assert create(http, input="Nothing to call", tools=[WEATHER])["output"][0]["type"] == "message"


def test_strict_is_on_by_default_only_when_the_schema_fits_it(http):
    loose = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {"q": {}}}}
    assert create(http, input="x", tools=[loose])["tools"][0]["strict"] is False
    refused = http.post("/responses", json={"model": MODEL, "input": "x", "tools": [{**loose, "strict": True}]})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["param"], error["code"]) == ("tools[0].parameters", "invalid_function_parameters")
    assert error["message"].startswith("Invalid schema for function 'lookup': In context=()")


@pytest.mark.parametrize(
    "tool_choice, calls",
    [
        ("required", True),
        ({"type": "function", "name": "get_weather"}, True),
        ({"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_weather"}]}, True),
        ({"type": "allowed_tools", "mode": "auto", "tools": []}, False),
        ("none", False),
        ("auto", False),
    ],
)
def test_tool_choice_forces_or_forbids_a_call(http, tool_choice, calls):
    body = create(http, input="Hello", tools=[WEATHER], tool_choice=tool_choice)
    assert (body["output"][0]["type"] == "function_call") is calls
    assert body["tool_choice"] == tool_choice


def test_a_tool_result_is_answered_in_words(http):
    call = create(http, input="Call get_weather", tools=[WEATHER])["output"][0]
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"temperature": 21}'}
    body = create(http, input=[call, result], tools=[WEATHER])
    assert body["output"][0]["type"] == "message"
    assert text_of(body) == synth.reply_for(MODEL, '{"temperature": 21}')
    listed = http.get(f"/responses/{body['id']}/input_items", params={"order": "asc"}).json()["data"]
    assert [item["type"] for item in listed] == ["function_call", "function_call_output"]
    assert listed[0]["id"] == call["id"] and listed[1]["status"] == "completed"


# -- stopping early and failing ------------------------------------------------------------


def test_max_output_tokens_cuts_the_answer(http):
    body = create(http, input="word " * 40, max_output_tokens=16)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["completed_at"] is None and body["output"][0]["status"] == "incomplete"
    assert len(text_of(body)) == 64 and body["usage"]["output_tokens"] == 16
    assert body["max_output_tokens"] == 16


def test_the_content_filter_trigger_stops_the_answer_halfway(http):
    prompt = "Tell me about [[content_filter]] things"
    body = create(http, input=prompt)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "content_filter"}
    full = synth.reply_for(MODEL, prompt)
    assert text_of(body) == full[: len(full) // 2]


def test_the_server_error_trigger_fails_the_model(http, slow):
    plain = http.post("/responses", json={"model": MODEL, "input": "[[server_error]]"})
    assert plain.status_code == 500 and plain.json()["error"]["type"] == "server_error"
    streamed = events_of(http.post("/responses", json={"model": MODEL, "input": "[[server_error]]", "stream": True}))
    assert [event["type"] for event in streamed] == ["response.created", "response.in_progress", "response.failed"]
    failed = streamed[-1]["response"]
    assert failed["status"] == "failed" and failed["error"]["code"] == "server_error" and failed["output"] == []
    background = create(http, input="[[server_error]]", background=True)
    slow.advance_clock(QUEUED + IN_PROGRESS)
    assert retrieve(http, background["id"])["error"] == failed["error"]


# -- streaming -------------------------------------------------------------------------------


def test_a_streamed_response_sends_openais_events_in_order(http):
    response = http.post("/responses", json={"model": MODEL, "input": "Stream this please", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream") and "[DONE]" not in response.text
    events = events_of(response)
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    types = [event["type"] for event in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0]["response"]["status"] == "in_progress" and events[0]["response"]["output"] == []
    final = events[-1]["response"]
    deltas = [event for event in events if event["type"] == "response.output_text.delta"]
    assert len(deltas) > 3 and all(event["logprobs"] == [] for event in deltas)
    assert "".join(event["delta"] for event in deltas) == text_of(final) == synth.reply_for(MODEL, "Stream this please")
    item_id = final["output"][0]["id"]
    assert {(e["item_id"], e["output_index"], e["content_index"]) for e in deltas} == {(item_id, 0, 0)}
    assert retrieve(http, final["id"]) == final


def test_a_streamed_tool_call_sends_its_arguments_in_pieces(http):
    body = {"model": MODEL, "input": "x", "tools": [WEATHER], "tool_choice": "required", "stream": True}
    events = events_of(http.post("/responses", json=body))
    added = next(event for event in events if event["type"] == "response.output_item.added")
    assert added["item"]["arguments"] == "" and added["item"]["status"] == "in_progress"
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    done = next(event for event in events if event["type"] == "response.function_call_arguments.done")
    assert "".join(deltas) == done["arguments"] == events[-1]["response"]["output"][0]["arguments"]
    assert done["name"] == "get_weather"


def test_a_cut_stream_ends_with_response_incomplete(http):
    body = {"model": MODEL, "input": "word " * 40, "max_output_tokens": 16, "stream": True}
    events = events_of(http.post("/responses", json=body))
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


# -- background ------------------------------------------------------------------------------


def test_a_background_response_runs_on_the_clock(http, slow):
    created = create(http, input="Take your time", background=True)
    assert created["status"] == "queued" and created["background"] is True
    assert created["output"] == [] and "usage" not in created and created["completed_at"] is None
    slow.advance_clock(QUEUED + 1)
    assert retrieve(http, created["id"])["status"] == "in_progress"
    slow.advance_clock(IN_PROGRESS)
    done = retrieve(http, created["id"])
    assert done["status"] == "completed" and text_of(done) == synth.reply_for(MODEL, "Take your time")
    assert done["completed_at"] == created["created_at"] + QUEUED + IN_PROGRESS
    assert done["usage"]["output_tokens"] > 0


def test_a_background_response_joins_its_conversation_when_it_finishes(http, slow):
    conversation = http.post("/conversations").json()
    create(http, input="Later", conversation=conversation["id"], background=True)
    items_path = f"/conversations/{conversation['id']}/items"
    assert http.get(items_path).json()["data"] == []
    slow.advance_clock(QUEUED + IN_PROGRESS)
    assert [item["role"] for item in http.get(items_path, params={"order": "asc"}).json()["data"]] == [
        "user",
        "assistant",
    ]


def test_cancelling_a_background_response(http, slow):
    created = create(http, input="Never mind", background=True)
    slow.advance_clock(QUEUED + 1)
    cancelled = http.post(f"/responses/{created['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["output"] == []
    assert http.post(f"/responses/{created['id']}/cancel").json() == cancelled  # again: the same answer
    slow.advance_clock(IN_PROGRESS)
    assert retrieve(http, created["id"])["status"] == "cancelled"


def test_only_a_running_background_response_can_be_cancelled(http, slow):
    plain = create(http, input="Done already")
    refused = http.post(f"/responses/{plain['id']}/cancel")
    assert refused.status_code == 400 and refused.json()["error"]["message"] == "Cannot cancel a synchronous response."
    finished = create(http, input="Quick", background=True)
    slow.advance_clock(QUEUED + IN_PROGRESS)
    late = http.post(f"/responses/{finished['id']}/cancel")
    assert late.status_code == 400 and late.json()["error"]["message"] == "Cannot cancel a completed response."
    assert http.post("/responses/resp_nope/cancel").status_code == 404


def test_timings_are_kept_from_creation(http, slow):
    created = create(http, input="x", background=True)
    slow.set_response_timings(queued=0, in_progress=0)
    assert create(http, input="y", background=True)["status"] == "queued"
    assert retrieve(http, created["id"])["status"] == "queued"


# -- bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, param, code",
    [
        ({"model": None}, "model", "missing_required_parameter"),
        ({"surprise": 1}, "surprise", "unknown_parameter"),
        ({"input": 42}, "input", "invalid_type"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role", "invalid_value"),
        ({"input": [{"role": "user"}]}, "input[0].content", "missing_required_parameter"),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input[0].type", "invalid_value"),
        (
            {"input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]},
            "input[0].content[0].type",
            "invalid_value",
        ),
        (
            {"input": [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]},
            "input[0].content[0].type",
            "invalid_value",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image"}]}]},
            "input[0].content[0].image_url",
            "missing_required_parameter",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "u", "detail": "max"}]}]},
            "input[0].content[0].detail",
            "invalid_value",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file"}]}]},
            "input[0].content[0].file_id",
            "missing_required_parameter",
        ),
        (
            {"input": [{"type": "function_call_output", "call_id": "c" * 65, "output": "x"}]},
            "input[0].call_id",
            "string_above_max_length",
        ),
        (
            {"input": [{"type": "function_call", "call_id": "c", "name": "f"}]},
            "input[0].arguments",
            "missing_required_parameter",
        ),
        ({"input": ["text"]}, "input[0]", "invalid_type"),
        ({"temperature": 2.5}, "temperature", "invalid_value"),
        ({"top_p": "high"}, "top_p", "invalid_type"),
        ({"max_output_tokens": 15}, "max_output_tokens", "integer_below_min_value"),
        ({"max_output_tokens": 16.5}, "max_output_tokens", "invalid_type"),
        ({"top_logprobs": 21}, "top_logprobs", "integer_above_max_value"),
        ({"store": "yes"}, "store", "invalid_type"),
        ({"metadata": {"k": 1}}, "metadata", None),
        ({"truncation": "sometimes"}, "truncation", "invalid_value"),
        ({"include": ["everything"]}, "include[0]", "invalid_value"),
        ({"reasoning": {"effort": "extreme"}}, "reasoning.effort", "invalid_value"),
        ({"safety_identifier": "s" * 65}, "safety_identifier", "string_above_max_length"),
        ({"text": {"format": {"type": "xml"}}}, "text.format.type", "invalid_value"),
        (
            {"text": {"format": {"type": "json_schema", "name": "a b", "schema": {}}}},
            "text.format.name",
            "invalid_value",
        ),
        (
            {"text": {"format": {"type": "json_schema", "name": "ok"}}},
            "text.format.schema",
            "missing_required_parameter",
        ),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type", "unsupported_value"),
        ({"tools": [{"type": "function", "name": "has space"}]}, "tools[0].name", "invalid_value"),
        ({"tools": [{"type": "function"}]}, "tools[0].name", "missing_required_parameter"),
        ({"tools": {"type": "function"}}, "tools", "invalid_type"),
        ({"tool_choice": "sometimes"}, "tool_choice", "invalid_value"),
        ({"tool_choice": "required"}, "tool_choice", None),
        ({"tool_choice": {"type": "function", "name": "missing"}}, "tool_choice", None),
        ({"tool_choice": {"type": "file_search"}}, "tool_choice", None),
        ({"stream_options": {"include_obfuscation": False}}, "stream_options", None),
        ({"background": True, "store": False}, "background", None),
        ({"background": True, "stream": True}, "stream", None),
        ({"previous_response_id": "resp_x", "conversation": "conv_x"}, "conversation", None),
        ({"conversation": 7}, "conversation", "invalid_type"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt", None),
    ],
)
def test_bad_requests_get_a_400_naming_the_param(http, change, param, code):
    body = {"model": MODEL, "input": "Hello", **change}
    response = http.post("/responses", json={name: value for name, value in body.items() if value is not None})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_an_unknown_model_is_model_not_found(http):
    response = http.post("/responses", json={"model": "gpt-nope", "input": "x"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"not json",
        b'{"model": "gpt-4o-mini", "input": [null]}',
        b'{"model": "gpt-4o-mini", "input": [{"role": "user", "content": [null]}]}',
        b'{"model": "gpt-4o-mini", "input": [{"role": "user", "content": [{"type": 5}]}]}',
        b'{"model": "gpt-4o-mini", "input": "x", "text": []}',
        b'{"model": "gpt-4o-mini", "input": "x", "text": {"format": "json"}}',
        b'{"model": "gpt-4o-mini", "input": "x", "tools": [null]}',
        b'{"model": "gpt-4o-mini", "input": "x", "tool_choice": 3}',
        b'{"model": "gpt-4o-mini", "input": "x", "tool_choice": {"type": "allowed_tools", "mode": "auto"}}',
        b'{"model": "gpt-4o-mini", "input": "x", "reasoning": "high"}',
        b'{"model": "gpt-4o-mini", "input": "x", "conversation": {"id": 5}}',
        b'{"model": ["gpt-4o-mini"], "input": "x"}',
    ],
)
def test_hostile_bodies_get_a_400_never_a_500(http, body):
    response = http.post("/responses", data=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text


def test_streaming_a_stored_response_again_is_refused(http):
    body = create(http, input="x")
    response = http.get(f"/responses/{body['id']}", params={"stream": "true"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "stream"


def test_a_batch_runs_each_line_through_responses(http, openai_emulator):
    lines = [
        {"custom_id": f"r{index}", "method": "POST", "url": "/v1/responses", "body": {"model": MODEL, "input": text}}
        for index, text in enumerate(["First question", "Second question"])
    ]
    uploaded = http.post(
        "/files", files={"file": ("in.jsonl", "\n".join(map(json.dumps, lines)).encode())}, data={"purpose": "batch"}
    ).json()
    batch_body = {"input_file_id": uploaded["id"], "endpoint": "/v1/responses", "completion_window": "24h"}
    batch = http.post("/batches", json=batch_body).json()
    openai_emulator.advance_clock(60)
    done = http.get(f"/batches/{batch['id']}").json()
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 2
    output = [json.loads(line) for line in http.get(f"/files/{done['output_file_id']}/content").text.splitlines()]
    answers = [line["response"]["body"] for line in output]
    assert [text_of(answer) for answer in answers] == [synth.reply_for(MODEL, line["body"]["input"]) for line in lines]
    assert done["usage"]["input_tokens"] == sum(answer["usage"]["input_tokens"] for answer in answers)
