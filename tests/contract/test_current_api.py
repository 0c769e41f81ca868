"""Every request our client sends, and every answer the emulator gives, fits OpenAI's spec.

The hook's actions run against the emulator, and chat requests with logprobs, a JSON
schema or a strict tool go to it over plain HTTP; then each exchange in the emulator's
journal is validated against ``openapi-current.yaml``. Streamed chunks are validated
one by one against the stream-chunk schema.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from tests.contract.openapi import validate_exchange, validate_schema
from tests.fine_tuning import training_jsonl

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is Airflow?"},
]


def run_every_action(tmp_path) -> None:
    hook = OpenAIAdvHook()
    hook.get_models()
    hook.retrieve_model("gpt-4o-mini")
    hook.create_chat_completion(model="gpt-4o-mini", messages=MESSAGES, temperature=0.5, n=2, max_completion_tokens=50)
    hook.create_chat_completion(model="gpt-4o-mini", messages=MESSAGES, response_format={"type": "json_object"})
    hook.create_chat_completion(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    hook.create_embeddings(input=["one", "two"], model="text-embedding-3-small", dimensions=32)
    source = tmp_path / "train.jsonl"
    source.write_bytes(training_jsonl())
    uploaded = hook.upload_file(source, purpose="fine-tune")
    hook.list_files(purpose="fine-tune")
    hook.list_files(limit=1)
    hook.retrieve_file(uploaded["id"])
    hook.delete_file(uploaded["id"])


def test_requests_and_answers_fit_the_current_spec(openai_emulator, current_spec, tmp_path):
    run_every_action(tmp_path)
    exchanges = openai_emulator.requests
    assert len(exchanges) == 11
    for entry in exchanges:
        validate_exchange(current_spec, entry)


def test_streamed_chunks_fit_the_chunk_schema(openai_emulator, current_document):
    chunks = list(OpenAIAdvHook().stream_chat_completion(model="gpt-4o-mini", messages=MESSAGES, n=2))
    assert len(chunks) > 4
    for chunk in chunks:
        validate_schema(current_document, "CreateChatCompletionStreamResponse", chunk)


def test_error_answers_fit_the_error_schema(openai_emulator, current_document):
    from airflow_provider_openai_adv.exceptions import APIStatusError

    with pytest.raises(APIStatusError) as caught:
        OpenAIAdvHook().retrieve_model("no-such-model")
    validate_schema(current_document, "ErrorResponse", caught.value.body)


def test_a_wrong_request_is_caught_by_the_contract_check(openai_emulator, current_spec):
    """The check can fail: a request the spec forbids is reported."""
    from openapi_core.exceptions import OpenAPIError

    from airflow_provider_openai_adv.exceptions import BadRequestError

    client = OpenAIAdvHook().client  # the hook itself would refuse this before sending
    with pytest.raises(BadRequestError):  # the emulator refuses it too
        client.post("embeddings", {"input": "x", "model": "text-embedding-3-small", "encoding_format": "hex"})
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, openai_emulator.requests[-1])


# -- chat: logprobs, structured outputs, tool calls ---------------------------------------------

ORDER = {
    "type": "object",
    "properties": {
        "reference": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
        "placed": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["open", "shipped"]},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["reference", "placed", "status", "lines", "note"],
    "additionalProperties": False,
    "$defs": {
        "Line": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
            "required": ["sku", "quantity"],
            "additionalProperties": False,
        }
    },
}
CHAT_VARIANTS = [
    {"logprobs": True, "top_logprobs": 20, "n": 2},
    {"logprobs": True},
    {
        "response_format": {"type": "json_schema", "json_schema": {"name": "order", "strict": True, "schema": ORDER}},
        "logprobs": True,
        "top_logprobs": 1,
    },
    {
        "tools": [{"type": "function", "function": {"name": "file_order", "strict": True, "parameters": ORDER}}],
        "tool_choice": "required",
        "logprobs": True,
    },
]


def test_chat_logprobs_structured_outputs_and_tool_calls_fit_the_current_spec(openai_emulator, current_spec, http):
    for variant in CHAT_VARIANTS:
        assert http.post("/chat/completions", json={"model": "gpt-4o-mini", "messages": MESSAGES, **variant}).ok
    answers = [entry.response_json() for entry in openai_emulator.requests]
    assert answers[0]["choices"][1]["logprobs"]["content"][0]["top_logprobs"][19]["logprob"] < 0
    assert answers[3]["choices"][0]["message"]["tool_calls"] and answers[3]["choices"][0]["logprobs"]["content"] is None
    for entry in openai_emulator.requests:
        validate_exchange(current_spec, entry)


def test_streamed_logprobs_fit_the_chunk_schema(http, current_document):
    body = {"model": "gpt-4o-mini", "messages": MESSAGES, "logprobs": True, "top_logprobs": 2, "stream": True}
    lines = http.post("/chat/completions", json=body).text.splitlines()
    chunks = [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: {")]
    assert sum(bool(chunk["choices"][0]["logprobs"]) for chunk in chunks) > 3
    for chunk in chunks:
        validate_schema(current_document, "CreateChatCompletionStreamResponse", chunk)


def test_a_token_logprob_without_its_bytes_is_caught_by_the_contract_check(current_document):
    """The check can fail: OpenAI's token entries always carry ``bytes`` (null or a list)."""
    from jsonschema.exceptions import ValidationError

    with pytest.raises(ValidationError, match="'bytes' is a required property"):
        validate_schema(
            current_document, "ChatCompletionTokenLogprob", {"token": "Hi", "logprob": -0.1, "top_logprobs": []}
        )
