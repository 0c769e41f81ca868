"""The text endpoints fit OpenAI's specifications.

``/v1/completions`` and ``/v1/moderations`` are checked against today's specification;
``/v1/edits`` and ``/v1/engines`` (gone from it) against the 2023 one. Every exchange
in the emulator's journal is validated, requests included; streamed chunks are
validated one by one against the completion schema, which the stream shares.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.contract.openapi import validate_exchange, validate_schema

PROMPT = "Say this is a test"


@pytest.fixture
def post(openai_emulator):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {openai_emulator.api_key}"

    def send(path: str, body: dict) -> requests.Response:
        return session.post(openai_emulator.base_url + path, json=body)

    yield send
    session.close()


def test_completions_fit_the_current_spec(openai_emulator, current_spec, post):
    model = "gpt-3.5-turbo-instruct"
    variants = [
        {"prompt": PROMPT},
        {"prompt": [PROMPT, "Another one"], "n": 2, "best_of": 3, "max_tokens": 5, "temperature": 0},
        {"prompt": [1212, 318, 257], "echo": True, "logprobs": 3, "stop": "\n", "suffix": "END."},
        {"prompt": [[1212, 318], [257]], "max_tokens": 0, "echo": True, "logprobs": 0, "seed": 7},
        {
            "prompt": PROMPT,
            "stop": ["reply", "test"],
            "top_p": 0.5,
            "presence_penalty": 1,
            "logit_bias": {"50256": -100},
        },
        {"prompt": PROMPT, "stream": True, "stream_options": {"include_usage": True}},
    ]
    for variant in variants:
        assert post("/completions", {"model": model, **variant}).status_code == 200
    assert len(openai_emulator.requests) == len(variants)
    for entry in openai_emulator.requests:
        validate_exchange(current_spec, entry)


def test_streamed_completion_chunks_fit_the_completion_schema(post, current_document):
    """Each chunk is a ``CreateCompletionResponse`` ("the streamed and non-streamed
    response objects share the same shape"), except one thing the document contradicts
    itself on: its own streaming example, like the real API, sends ``finish_reason: null``
    until a choice ends, while the schema's enum has no null. Only that enum gets a null.
    """
    schema = current_document["components"]["schemas"]["CreateCompletionResponse"]
    choice = schema["properties"]["choices"]["items"]
    finish_reason = choice["properties"]["finish_reason"]
    chunk_choice = {
        **choice,
        "properties": {
            **choice["properties"],
            "finish_reason": {**finish_reason, "type": ["string", "null"], "enum": [*finish_reason["enum"], None]},
        },
    }
    chunk_schema = {
        **schema,
        "properties": {**schema["properties"], "choices": {"type": "array", "items": chunk_choice}},
    }
    document = {
        **current_document,
        "components": {
            **current_document["components"],
            "schemas": {**current_document["components"]["schemas"], "CompletionChunk": chunk_schema},
        },
    }
    body = {"model": "davinci-002", "prompt": PROMPT, "n": 2, "logprobs": 2, "echo": True, "stream": True}
    response = post("/completions", {**body, "stream_options": {"include_usage": True}})
    payloads = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]" and len(payloads) > 4
    for payload in payloads[:-1]:
        validate_schema(document, "CompletionChunk", json.loads(payload))


def test_moderations_fit_the_current_spec(openai_emulator, current_spec, post):
    variants = [
        {"input": "I want to kill them."},
        {"input": ["I love sunny days.", "there was blood everywhere"], "model": "omni-moderation-2024-09-26"},
        {
            "input": [
                {"type": "text", "text": "a nice picture"},
                {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
            ],
            "model": "omni-moderation-latest",
        },
        {"input": "how to counterfeit money", "model": "text-moderation-stable"},
    ]
    for variant in variants:
        assert post("/moderations", variant).status_code == 200
    assert len(openai_emulator.requests) == len(variants)
    for entry in openai_emulator.requests:
        validate_exchange(current_spec, entry)


def test_edits_fit_the_2023_spec(openai_emulator, legacy_spec, post):
    variants = [
        {"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix the spelling."},
        {"model": "code-davinci-edit-001", "instruction": "Write a function.", "n": 3, "temperature": 0.2},
        {"model": "text-davinci-edit-001", "input": None, "instruction": "Start fresh.", "top_p": 0.9},
    ]
    for variant in variants:
        assert post("/edits", variant).status_code == 200
    assert len(openai_emulator.requests) == len(variants)
    for entry in openai_emulator.requests:
        validate_exchange(legacy_spec, entry)


def test_engines_fit_the_2023_spec(openai_emulator, legacy_spec):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {openai_emulator.api_key}"
    assert session.get(openai_emulator.base_url + "/engines").status_code == 200
    assert session.get(openai_emulator.base_url + "/engines/babbage-002").status_code == 200
    assert len(openai_emulator.requests) == 2
    for entry in openai_emulator.requests:
        validate_exchange(legacy_spec, entry)


def test_exchanges_breaking_the_spec_are_caught(openai_emulator, current_spec, legacy_spec, post):
    """The checks can fail: requests the specs forbid, and an answer missing a required field."""
    from openapi_core.exceptions import OpenAPIError

    assert post("/edits", {"model": "text-davinci-edit-001", "input": "x"}).status_code == 400  # no instruction
    with pytest.raises(OpenAPIError):
        validate_exchange(legacy_spec, openai_emulator.requests[-1])

    assert post("/completions", {"model": "davinci-002", "prompt": PROMPT, "logprobs": 6}).status_code == 400
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, openai_emulator.requests[-1])

    assert post("/completions", {"model": "davinci-002", "prompt": PROMPT}).status_code == 200
    entry = openai_emulator.requests[-1]
    answer = json.loads(entry.response_body)
    del answer["choices"][0]["finish_reason"]
    entry.response_body = json.dumps(answer).encode()
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, entry)
