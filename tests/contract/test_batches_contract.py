"""The emulator's batch exchanges fit OpenAI's current specification, in every batch status.

Batches for each endpoint the emulator runs are created and read as the clock takes
them through ``validating``, ``in_progress``, ``finalizing``, ``completed``, ``failed``,
``expired``, ``cancelling`` and ``cancelled``; lists are paged; then every exchange is
validated. The spec declares only the 200 answer for ``/batches``, so error answers are
checked against ``ErrorResponse``.

The lines of the output and error files are checked too. The current spec no longer has
their schema; ``BATCH_REQUEST_OUTPUT`` is the ``BatchRequestOutput`` its earlier
revisions had (with every property required, as the emulator writes them all), and each
line's ``response.body`` must fit the answer schema of the batch's endpoint.

Last, the limits: each one the emulator enforces is read out of the spec's words.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from airflow_provider_openai_adv.testing import batches
from airflow_provider_openai_adv.testing.routes import common
from airflow_provider_openai_adv.testing.routes.batches import ENDPOINTS
from tests.contract.openapi import validate_exchange, validate_schema

VALIDATING, PER_REQUEST, FINALIZING, CANCELLING = 100, 10, 100, 100
BATCH_REQUEST_OUTPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "custom_id", "response", "error"],
    "properties": {
        "id": {"type": "string"},
        "custom_id": {"type": "string"},
        "response": {
            "type": ["object", "null"],
            "required": ["status_code", "request_id", "body"],
            "properties": {
                "status_code": {"type": "integer"},
                "request_id": {"type": "string"},
                "body": {"type": "object"},
            },
        },
        "error": {
            "type": ["object", "null"],
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
ANSWERS = {
    "/v1/chat/completions": "CreateChatCompletionResponse",
    "/v1/embeddings": "CreateEmbeddingResponse",
    "/v1/completions": "CreateCompletionResponse",
    "/v1/moderations": "CreateModerationResponse",
}
BODIES = {
    "/v1/chat/completions": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]},
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": ["one", "two"]},
    "/v1/completions": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"},
    "/v1/moderations": {"input": "I want to hurt them."},
}


def lines(endpoint: str, count: int, prefix: str = "r") -> list[dict]:
    body = BODIES[endpoint]
    return [{"custom_id": f"{prefix}{i}", "method": "POST", "url": endpoint, "body": body} for i in range(count)]


def create(http, items, endpoint="/v1/chat/completions", **extra) -> str:
    text = "\n".join(item if isinstance(item, str) else json.dumps(item) for item in items)
    uploaded = http.post("/files", files={"file": ("in.jsonl", text.encode())}, data={"purpose": "batch"}).json()
    body = {"input_file_id": uploaded["id"], "endpoint": endpoint, "completion_window": "24h", **extra}
    response = http.post("/batches", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def run_batches(http, emulator) -> list[str]:
    """Batches in every status, read at each step; the ids of those that ended with files."""
    emulator.set_batch_timings(validating=VALIDATING, per_request=3600, finalizing=FINALIZING, cancelling=CANCELLING)
    expiring = create(http, lines("/v1/chat/completions", 30, "late"))
    emulator.set_batch_timings(per_request=PER_REQUEST)
    chat_lines = [*lines("/v1/chat/completions", 2), {**lines("/v1/chat/completions", 1, "bad")[0], "body": {}}]
    finished = [
        create(
            http,
            chat_lines,
            metadata={"task_id": "dag.task", "try": "1"},
            output_expires_after={"anchor": "created_at", "seconds": 3600},
        ),
        *(create(http, lines(endpoint, 2), endpoint) for endpoint in ANSWERS if endpoint != "/v1/chat/completions"),
    ]
    failing = create(http, ["not json", {"custom_id": "x"}])
    cancelled_running = create(http, lines("/v1/chat/completions", 10))
    cancelled_validating = create(http, lines("/v1/chat/completions", 2))
    every = [expiring, *finished, failing, cancelled_running, cancelled_validating]
    http.post(f"/batches/{cancelled_validating}/cancel")
    for step in (0, VALIDATING + PER_REQUEST / 2, 2 * PER_REQUEST, 3 * PER_REQUEST, CANCELLING, 24 * 3600):
        emulator.advance_clock(step)
        for batch_id in every:
            http.get(f"/batches/{batch_id}")
        http.get("/batches", params={"limit": 3})
        if step == 2 * PER_REQUEST:
            http.post(f"/batches/{cancelled_running}/cancel")
    page = http.get("/batches", params={"limit": 2}).json()
    http.get("/batches", params={"after": page["last_id"], "limit": 100})
    http.post(f"/batches/{finished[0]}/cancel")  # ended: 400
    http.get("/batches/batch_nope")  # 404
    http.post("/batches", json={"input_file_id": "file-nope", "endpoint": "/v1/videos", "completion_window": "24h"})
    return [*finished, expiring, cancelled_running]


def batch_exchanges(emulator):
    return [entry for entry in emulator.requests if entry.path.startswith("/v1/batches")]


def test_batch_exchanges_fit_the_current_spec(openai_emulator, http, current_spec, current_document):
    run_batches(http, openai_emulator)
    exchanges = batch_exchanges(openai_emulator)
    answers = [entry.response_json() for entry in exchanges if entry.status == 200]
    statuses = {answer["status"] for answer in answers if answer.get("object") == "batch"}
    assert statuses == {
        "validating",
        "in_progress",
        "finalizing",
        "completed",
        "failed",
        "expired",
        "cancelling",
        "cancelled",
    }
    assert len(exchanges) > 60 and sum(entry.status != 200 for entry in exchanges) == 3
    for entry in exchanges:
        if entry.status == 200:
            validate_exchange(current_spec, entry)
        else:
            validate_schema(current_document, "ErrorResponse", entry.response_json())


def test_output_and_error_file_lines_fit_the_line_and_answer_schemas(openai_emulator, http, current_document):
    from jsonschema import Draft202012Validator

    line_schema = Draft202012Validator(BATCH_REQUEST_OUTPUT)
    checked = set()
    for batch_id in run_batches(http, openai_emulator):
        batch = http.get(f"/batches/{batch_id}").json()
        for kind in ("output_file_id", "error_file_id"):
            if kind not in batch:
                continue
            for text in http.get(f"/files/{batch[kind]}/content").text.splitlines():
                line = json.loads(text)
                line_schema.validate(line)
                response = line["response"]
                if response is None:
                    checked.add(line["error"]["code"])
                    continue
                schema = ANSWERS[batch["endpoint"]] if response["status_code"] == 200 else "ErrorResponse"
                validate_schema(current_document, schema, response["body"])
                checked.add(schema)
    assert checked == {*ANSWERS.values(), "ErrorResponse", "batch_expired", "batch_cancelled"}


def test_a_null_where_the_spec_wants_a_value_is_caught(openai_emulator, http, current_spec):
    """The check can fail: an unset ``in_progress_at`` must be left out, not sent as null."""
    from openapi_core.exceptions import OpenAPIError

    http.get(f"/batches/{create(http, lines('/v1/chat/completions', 1))}")
    entry = openai_emulator.requests[-1]
    validate_exchange(current_spec, entry)
    wrong = dataclasses.replace(
        entry, response_body=json.dumps({**entry.response_json(), "in_progress_at": None}).encode()
    )
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, wrong)


# -- the limits, as the spec words them -------------------------------------------------------


def words(text: str) -> str:
    return " ".join(text.split())


def number(pattern: str, text: str) -> int:
    (found,) = re.findall(pattern, words(text))
    return int(found.replace(",", ""))


def test_the_batch_limits_are_the_specs(current_document):
    schemas = current_document["components"]["schemas"]
    create_request = schemas["CreateBatchRequest"]["properties"]
    input_file = create_request["input_file_id"]["description"]
    assert number(r"up to ([\d,]+) requests", input_file) == batches.MAX_REQUESTS
    assert number(r"up to (\d+) MB in size", input_file) << 20 == batches.MAX_INPUT_BYTES
    endpoint = create_request["endpoint"]
    assert number(r"maximum of ([\d,]+) embedding inputs", endpoint["description"]) == batches.MAX_EMBEDDING_INPUTS
    assert tuple(endpoint["enum"]) == ENDPOINTS
    assert create_request["completion_window"]["enum"] == ["24h"] and batches.COMPLETION_WINDOW_SECONDS == 24 * 3600
    seconds = schemas["BatchFileExpirationAfter"]["properties"]["seconds"]
    assert (seconds["minimum"], seconds["maximum"]) == common.EXPIRY_SECONDS
    metadata = schemas["Metadata"]["anyOf"][0]["description"]
    assert number(r"Set of (\d+) key-value pairs", metadata) == common.METADATA_PAIRS
    assert number(r"Keys are strings with a maximum length of (\d+)", metadata) == common.METADATA_KEY_CHARS
    assert number(r"Values are strings with a maximum length of (\d+)", metadata) == common.METADATA_VALUE_CHARS
