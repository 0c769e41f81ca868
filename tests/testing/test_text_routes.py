"""The emulator's text endpoints over HTTP: completions, edits, moderations and engines."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.testing import synth


def sse_events(response) -> list:
    """The ``data:`` payloads of an event stream, ``[DONE]`` kept as the string."""
    payloads = [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]
    return [payload if payload == "[DONE]" else json.loads(payload) for payload in payloads]


COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test", "max_tokens": 100}


# -- completions ------------------------------------------------------------------------


def test_a_completion_has_openais_shape_and_quotes_the_prompt(http):
    body = http.post("/completions", json=COMPLETION).json()
    assert body["object"] == "text_completion" and body["id"].startswith("cmpl-")
    assert body["model"] == "gpt-3.5-turbo-instruct" and isinstance(body["created"], int)
    [choice] = body["choices"]
    assert choice == {
        "text": " " + synth.reply_for("gpt-3.5-turbo-instruct", "Say this is a test"),
        "index": 0,
        "logprobs": None,
        "finish_reason": "stop",
    }
    usage = body["usage"]
    assert usage["prompt_tokens"] == synth.estimate_tokens("Say this is a test")
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > usage["prompt_tokens"]


def test_completions_are_deterministic(http):
    first, second = (http.post("/completions", json={**COMPLETION, "logprobs": 3}).json() for _ in range(2))
    assert first["choices"] == second["choices"] and first["usage"] == second["usage"]
    assert first["id"] != second["id"]


def test_max_tokens_defaults_to_16_and_cuts_with_finish_reason_length(http):
    long_prompt = {"model": "davinci-002", "prompt": "word " * 50}
    default = http.post("/completions", json=long_prompt).json()
    assert default["choices"][0]["finish_reason"] == "length"
    assert default["usage"]["completion_tokens"] == 16
    short = http.post("/completions", json={**long_prompt, "max_tokens": 3}).json()
    assert short["choices"][0]["finish_reason"] == "length" and len(short["choices"][0]["text"]) == 12


def test_max_tokens_zero_with_echo_returns_only_the_prompt(http):
    body = http.post("/completions", json={**COMPLETION, "max_tokens": 0, "echo": True, "logprobs": 0}).json()
    choice = body["choices"][0]
    assert choice["text"] == "Say this is a test" and choice["finish_reason"] == "length"
    assert "".join(choice["logprobs"]["tokens"]) == "Say this is a test"
    assert body["usage"]["completion_tokens"] == 0


def test_n_choices_per_prompt_are_indexed_prompt_by_prompt(http):
    body = http.post("/completions", json={**COMPLETION, "prompt": ["first", "second"], "n": 3}).json()
    choices = body["choices"]
    assert [choice["index"] for choice in choices] == list(range(6))
    assert all("first" in choice["text"] for choice in choices[:3])
    assert all("second" in choice["text"] for choice in choices[3:])


def test_token_prompts_are_accepted(http):
    single = http.post("/completions", json={**COMPLETION, "prompt": [1212, 318, 257]}).json()
    assert len(single["choices"]) == 1 and single["usage"]["prompt_tokens"] == 3
    several = http.post("/completions", json={**COMPLETION, "prompt": [[1212, 318], [257]]}).json()
    assert len(several["choices"]) == 2 and several["usage"]["prompt_tokens"] == 3


def test_echo_prefixes_the_prompt(http):
    plain = http.post("/completions", json=COMPLETION).json()["choices"][0]["text"]
    echoed = http.post("/completions", json={**COMPLETION, "echo": True}).json()["choices"][0]["text"]
    assert echoed == COMPLETION["prompt"] + plain


def test_suffix_shapes_the_answer_but_is_not_returned(http):
    plain = http.post("/completions", json=COMPLETION).json()["choices"][0]["text"]
    text = http.post("/completions", json={**COMPLETION, "suffix": "THE END"}).json()["choices"][0]["text"]
    assert text.startswith(plain) and text.endswith("[to go before: THE END]")


def test_stop_cuts_before_the_first_stop_sequence(http):
    body = http.post("/completions", json={**COMPLETION, "stop": ["this", "reply"]}).json()
    choice = body["choices"][0]
    assert choice["text"] == " Emulated " and choice["finish_reason"] == "stop"


def test_logprobs_cover_every_token(http):
    choice = http.post("/completions", json={**COMPLETION, "logprobs": 2}).json()["choices"][0]
    logprobs = choice["logprobs"]
    assert "".join(logprobs["tokens"]) == choice["text"]
    assert len(logprobs["token_logprobs"]) == len(logprobs["top_logprobs"]) == len(logprobs["text_offset"])
    assert all(len(top) == 2 and max(top.values()) <= 0 for top in logprobs["top_logprobs"])
    offsets = zip(logprobs["text_offset"], logprobs["tokens"], strict=True)
    assert all(choice["text"][offset:].startswith(token) for offset, token in offsets)


def test_a_streamed_completion_adds_up_to_the_plain_one_and_ends_with_done(http):
    plain = http.post("/completions", json={**COMPLETION, "n": 2}).json()
    response = http.post("/completions", json={**COMPLETION, "n": 2, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(chunk["object"] == "text_completion" and "usage" not in chunk for chunk in chunks)
    for index in range(2):
        mine = [chunk["choices"][0] for chunk in chunks if chunk["choices"][0]["index"] == index]
        assert "".join(choice["text"] for choice in mine) == plain["choices"][index]["text"]
        assert [choice["finish_reason"] for choice in mine][-1] == "stop"
        assert all(choice["finish_reason"] is None for choice in mine[:-1])


def test_a_stream_reports_usage_last_when_asked(http):
    plain = http.post("/completions", json=COMPLETION).json()
    body = {**COMPLETION, "stream": True, "stream_options": {"include_usage": True}}
    events = sse_events(http.post("/completions", json=body))
    assert events[-1] == "[DONE]"
    assert events[-2]["choices"] == [] and events[-2]["usage"] == plain["usage"]


def test_a_chat_model_gets_openais_404(http):
    response = http.post("/completions", json={**COMPLETION, "model": "gpt-4o-mini"})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "message": "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }


def test_an_unknown_completion_model_is_model_not_found(http):
    response = http.post("/completions", json={**COMPLETION, "model": "text-davinci-999"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"model": None}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": []}, "prompt"),
        ({"prompt": ["text", [1, 2]]}, "prompt"),
        ({"prompt": {"text": "x"}}, "prompt"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"n": 0}, "n"),
        ({"n": 1.5}, "n"),
        ({"n": 3, "best_of": 2}, "best_of"),
        ({"best_of": 2, "stream": True}, "best_of"),
        ({"logprobs": 6}, "logprobs"),
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": -0.1}, "top_p"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"echo": "yes"}, "echo"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": ["a", 1]}, "stop"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"model": "whisper-1"}, "model"),
    ],
)
def test_bad_completion_requests_get_a_400_naming_the_param(http, change, param):
    body = {name: value for name, value in {**COMPLETION, **change}.items() if value is not None}
    response = http.post("/completions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


# -- edits ------------------------------------------------------------------------------

EDIT = {"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix the spelling."}


def test_an_edit_is_derived_from_input_and_instruction(http):
    body = http.post("/edits", json={**EDIT, "n": 2}).json()
    assert body["object"] == "edit" and isinstance(body["created"], int)
    expected = "What day of the wek is it?\n[edited per instruction: Fix the spelling.]"
    assert body["choices"] == [{"text": expected, "index": 0}, {"text": expected, "index": 1}]
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    assert http.post("/edits", json={**EDIT, "n": 2}).json()["choices"] == body["choices"]


def test_an_edit_without_input_starts_from_empty_text(http):
    body = {"model": "code-davinci-edit-001", "instruction": "Write a haiku."}
    choice = http.post("/edits", json=body).json()["choices"][0]
    assert choice["text"] == "[edited per instruction: Write a haiku.]"


def test_edit_models_are_not_listed_as_models(http):
    ids = {model["id"] for model in http.get("/models").json()["data"]}
    assert "text-davinci-edit-001" not in ids


@pytest.mark.parametrize(
    ("change", "param", "status"),
    [
        ({"instruction": None}, "instruction", 400),
        ({"model": None}, "model", 400),
        ({"input": 42}, "input", 400),
        ({"n": 21}, "n", 400),
        ({"temperature": -1}, "temperature", 400),
        ({"top_p": 2}, "top_p", 400),
        ({"model": "gpt-4o"}, "model", 400),
        ({"model": "no-such-edit-model"}, "model", 404),
    ],
)
def test_bad_edit_requests_name_the_param(http, change, param, status):
    body = {name: value for name, value in {**EDIT, **change}.items() if value is not None}
    response = http.post("/edits", json=body)
    assert response.status_code == status and response.json()["error"]["param"] == param


# -- moderations ------------------------------------------------------------------------


def test_moderation_flags_a_violent_text_and_not_a_harmless_one(http):
    body = http.post("/moderations", json={"input": ["I want to kill them.", "I love sunny days."]}).json()
    assert body["id"].startswith("modr-") and body["model"] == "omni-moderation-latest"
    violent, harmless = body["results"]
    assert violent["flagged"] and violent["categories"]["violence"]
    assert violent["category_scores"]["violence"] > 0.9 > violent["category_scores"]["sexual"]
    assert not harmless["flagged"] and not any(harmless["categories"].values())
    assert max(harmless["category_scores"].values()) < 0.01
    assert (
        set(harmless["categories"]) == set(harmless["category_scores"]) == set(harmless["category_applied_input_types"])
    )
    assert harmless["category_applied_input_types"]["violence"] == ["text"]


def test_moderation_is_deterministic(http):
    results = [http.post("/moderations", json={"input": "a graphic attack"}).json()["results"] for _ in range(2)]
    assert results[0] == results[1]


def test_a_subcategory_flags_its_parent(http):
    result = http.post("/moderations", json={"input": "there was blood everywhere"}).json()["results"][0]
    assert result["categories"]["violence/graphic"] and result["categories"]["violence"]


def test_text_and_image_parts_are_one_input(http):
    parts = [
        {"type": "text", "text": "a nice picture"},
        {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
    ]
    [result] = http.post("/moderations", json={"input": parts}).json()["results"]
    assert result["categories"]["violence/graphic"] and result["flagged"]
    applied = result["category_applied_input_types"]
    assert applied["violence"] == ["text", "image"] and applied["hate"] == ["text"]


def test_text_moderation_models_do_not_judge_illicit_content(http):
    body = {"input": "how to counterfeit money", "model": "text-moderation-stable"}
    result = http.post("/moderations", json=body).json()["results"][0]
    assert result["categories"]["illicit"] is None and not result["flagged"]
    omni = http.post("/moderations", json={**body, "model": "omni-moderation-latest"}).json()["results"][0]
    assert omni["categories"]["illicit"] is True


@pytest.mark.parametrize(
    ("body", "param", "status"),
    [
        ({}, "input", 400),
        ({"input": 5}, "input", 400),
        ({"input": []}, "input", 400),
        ({"input": ["text", {"type": "text", "text": "x"}]}, "input[0]", 400),
        ({"input": [{"type": "image_url", "image_url": "https://x"}]}, "input[0]", 400),
        (
            {"input": [{"type": "image_url", "image_url": {"url": "https://x"}}], "model": "text-moderation-latest"},
            "input",
            400,
        ),
        ({"input": "x", "model": "gpt-4o"}, "model", 400),
        ({"input": "x", "model": "moderation-9000"}, "model", 404),
    ],
)
def test_bad_moderation_requests_name_the_param(http, body, param, status):
    response = http.post("/moderations", json=body)
    assert response.status_code == status and response.json()["error"]["param"] == param


# -- engines ----------------------------------------------------------------------------


def test_engines_are_the_models(http):
    models = http.get("/models").json()["data"]
    body = http.get("/engines").json()
    assert body["object"] == "list"
    assert [engine["id"] for engine in body["data"]] == [model["id"] for model in models]
    davinci = next(engine for engine in body["data"] if engine["id"] == "davinci-002")
    assert davinci == {
        "id": "davinci-002",
        "object": "engine",
        "created": 1_700_000_000,
        "owner": "system",
        "ready": True,
    }
    assert http.get("/engines/davinci-002").json() == davinci


def test_an_unknown_engine_is_a_404(http):
    response = http.get("/engines/davinci-codex")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Engine not found"
