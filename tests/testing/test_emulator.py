"""The emulator itself: auth, determinism, state, faults, limits, control and CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from airflow_provider_openai_adv.client.ratelimit import parse_duration
from airflow_provider_openai_adv.testing import OpenAIEmulator, faults

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Name three colours."}]}
ENDLESS = {"type": "object", "properties": {"again": {"$ref": "#"}}, "required": ["again"]}  # no finite value


# -- auth -------------------------------------------------------------------------------


def test_a_request_without_a_key_gets_openais_401(openai_emulator):
    response = requests.get(openai_emulator.base_url + "/models")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "didn't provide an API key" in error["message"]


def test_only_the_configured_key_is_accepted():
    with OpenAIEmulator(api_key="sk-good-key-123456") as emulator:
        good = requests.get(emulator.base_url + "/models", headers={"Authorization": "Bearer sk-good-key-123456"})
        bad = requests.get(emulator.base_url + "/models", headers={"Authorization": "Bearer sk-bad-key-987654"})
    assert good.status_code == 200
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_api_key"
    assert "sk-bad-key-987654" not in bad.text and bad.json()["error"]["message"].startswith(
        "Incorrect API key provided: sk-"
    )


# -- answers ----------------------------------------------------------------------------


def test_answers_are_deterministic(http):
    first = http.post("/chat/completions", json=CHAT).json()
    second = http.post("/chat/completions", json=CHAT).json()
    assert first["choices"] == second["choices"] and first["usage"] == second["usage"]
    vectors = [
        http.post("/embeddings", json={"model": "text-embedding-3-small", "input": "red green"}).json()["data"][0][
            "embedding"
        ]
        for _ in range(2)
    ]
    assert vectors[0] == vectors[1] and len(vectors[0]) == 1536


def test_embeddings_of_texts_sharing_words_are_closer(http):
    def vector(text):
        body = {"model": "text-embedding-3-large", "input": text, "dimensions": 256}
        return http.post("/embeddings", json=body).json()["data"][0]["embedding"]

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    anchor = vector("the cat sat on the mat")
    assert cosine(anchor, vector("a cat sat on a mat")) > cosine(anchor, vector("stock prices fell sharply")) + 0.3


def test_base64_embeddings_decode_to_the_float_vector(http):
    import base64
    import struct

    body = {"model": "text-embedding-3-small", "input": "hello", "dimensions": 8}
    floats = http.post("/embeddings", json=body).json()["data"][0]["embedding"]
    encoded = http.post("/embeddings", json={**body, "encoding_format": "base64"}).json()["data"][0]["embedding"]
    assert struct.unpack("<8f", base64.b64decode(encoded)) == pytest.approx(floats, abs=1e-6)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": CHAT["messages"]}, "model"),
        ({"model": "gpt-4o-mini"}, "messages"),
        ({**CHAT, "messages": []}, "messages"),
        ({**CHAT, "temperature": 3}, "temperature"),
        ({**CHAT, "n": 0}, "n"),
        ({**CHAT, "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({**CHAT, "stream_options": {"include_usage": True}}, "stream_options"),
        ({**CHAT, "logprobs": "yes"}, "logprobs"),
        ({**CHAT, "top_logprobs": 2}, "top_logprobs"),  # without logprobs
        ({**CHAT, "logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({**CHAT, "response_format": {"type": "json_schema"}}, "response_format.json_schema"),
        ({**CHAT, "response_format": {"type": "json_schema", "json_schema": "x"}}, "response_format.json_schema"),
        ({**CHAT, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": ENDLESS}}},
         "response_format"),
        ({**CHAT, "tools": [{"type": "function", "function": {"name": "f", "parameters": ENDLESS}}],
          "tool_choice": "required"}, "tools[0].function.parameters"),
    ],
)  # fmt: skip
def test_bad_chat_requests_get_openais_400_naming_the_param(http, body, param):
    response = http.post("/chat/completions", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_an_unknown_model_is_a_404_model_not_found(http):
    response = http.post("/chat/completions", json={**CHAT, "model": "gpt-nope"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


def test_json_modes_answer_valid_json(http):
    json_object = http.post("/chat/completions", json={**CHAT, "response_format": {"type": "json_object"}}).json()
    assert json.loads(json_object["choices"][0]["message"]["content"])["reply"]
    schema = {
        "type": "object",
        "properties": {
            "colours": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "count": {"type": "integer"},
        },
        "required": ["colours", "count"],
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    structured = http.post("/chat/completions", json={**CHAT, "response_format": response_format}).json()
    content = json.loads(structured["choices"][0]["message"]["content"])
    assert set(content) == {"colours", "count"} and isinstance(content["colours"][0], str)


def test_a_strict_schema_must_keep_strict_modes_rules(http):
    loose = {"type": "object", "properties": {"city": {"type": "string"}}}  # open, and "city" not required
    response_format = {"type": "json_schema", "json_schema": {"name": "place", "strict": True, "schema": loose}}
    error = http.post("/chat/completions", json={**CHAT, "response_format": response_format}).json()["error"]
    assert (error["param"], error["code"]) == ("response_format", "invalid_json_schema")
    assert error["message"] == (
        "Invalid schema for response_format 'place': "
        "In context=(), 'additionalProperties' is required to be supplied and to be false."
    )
    tool = {"type": "function", "function": {"name": "find", "strict": True, "parameters": loose}}
    error = http.post("/chat/completions", json={**CHAT, "tools": [tool]}).json()["error"]
    assert (error["param"], error["code"]) == ("tools[0].function.parameters", "invalid_function_parameters")
    loose_tool = {"type": "function", "function": {"name": "find", "parameters": loose}}  # not strict: taken
    assert http.post("/chat/completions", json={**CHAT, "tools": [loose_tool]}).status_code == 200


def test_a_forced_tool_choice_returns_a_tool_call(http):
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    body = {**CHAT, "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
    choice = http.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather" and "city" in json.loads(call["function"]["arguments"])


def test_max_tokens_cuts_the_answer_with_finish_reason_length(http):
    choice = http.post("/chat/completions", json={**CHAT, "max_tokens": 2}).json()["choices"][0]
    assert choice["finish_reason"] == "length" and len(choice["message"]["content"]) <= 8


def test_n_gives_n_choices(http):
    assert [c["index"] for c in http.post("/chat/completions", json={**CHAT, "n": 3}).json()["choices"]] == [0, 1, 2]


# -- state ------------------------------------------------------------------------------


def test_uploaded_files_keep_their_bytes_until_deleted(http):
    payload = bytes(range(256)) * 10
    uploaded = http.post("/files", files={"file": ("blob.bin", payload)}, data={"purpose": "user_data"}).json()
    assert http.get(f"/files/{uploaded['id']}/content").content == payload
    assert http.delete(f"/files/{uploaded['id']}").json()["deleted"] is True
    assert http.get(f"/files/{uploaded['id']}").status_code == 404


def test_an_unknown_purpose_is_refused(http):
    response = http.post("/files", files={"file": ("a.txt", b"x")}, data={"purpose": "homework"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "purpose"


def test_reset_forgets_files_and_restores_models(openai_emulator, http):
    http.post("/files", files={"file": ("a.txt", b"x")}, data={"purpose": "user_data"})
    openai_emulator.state.models.pop("gpt-4o")
    openai_emulator.reset()
    assert http.get("/files").json()["data"] == []
    assert http.get("/models/gpt-4o").status_code == 200


def test_the_clock_moves_when_told(openai_emulator, http):
    before = http.post("/chat/completions", json=CHAT).json()["created"]
    openai_emulator.advance_clock(3600)
    assert http.post("/chat/completions", json=CHAT).json()["created"] - before >= 3600


# -- faults -----------------------------------------------------------------------------


def test_a_fault_applies_only_to_its_path_and_method(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/files*", method="POST", status=500)
    assert http.get("/files").status_code == 200
    assert http.get("/models").status_code == 200
    assert http.post("/files", files={"file": ("a", b"x")}, data={"purpose": "batch"}).status_code == 500


def test_a_fault_with_times_retires_after_that_many_requests(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", status=503, times=2)
    assert [http.get("/models").status_code for _ in range(3)] == [503, 503, 200]


def test_an_error_rate_is_reproducible_with_a_seed():
    def statuses():
        with OpenAIEmulator(seed=7) as emulator:
            emulator.add_fault(status=500, rate=0.3)
            headers = {"Authorization": f"Bearer {emulator.api_key}"}
            return [requests.get(emulator.base_url + "/models", headers=headers).status_code for _ in range(40)]

    first = statuses()
    assert first == statuses()
    assert 4 <= first.count(500) <= 20


def test_injected_429_carries_retry_headers(openai_emulator, http):
    openai_emulator.add_fault(status=429, retry_after=2, retry_after_ms=2000, should_retry=True)
    response = http.get("/models")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert (
        response.headers["retry-after"],
        response.headers["retry-after-ms"],
        response.headers["x-should-retry"],
    ) == (
        "2",
        "2000",
        "true",
    )


def test_latency_delays_requests_without_serializing_them(openai_emulator, http):
    """Ten delayed requests are all in flight at one moment: the last to start started
    before the first to finish finished (a server that waited in turn could not do that)."""
    openai_emulator.add_fault(path="/v1/models", latency=0.5)

    def timed(_):
        started = time.monotonic()
        code = requests.get(
            openai_emulator.base_url + "/models", headers={"Authorization": f"Bearer {openai_emulator.api_key}"}
        ).status_code
        return code, started, time.monotonic()

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(timed, range(10)))
    assert [code for code, _, _ in results] == [200] * 10
    assert max(started for _, started, _ in results) < min(ended for _, _, ended in results)


def test_a_dropped_connection_gets_no_answer(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.get("/models")


# -- limits -----------------------------------------------------------------------------


def test_every_answer_reports_the_accounts_default_limits_and_what_it_used(openai_emulator, http):
    first, second = http.get("/models"), http.get("/models")
    body = json.dumps({**CHAT, "max_tokens": 100})
    chat = http.post("/chat/completions", data=body, headers={"content-type": "application/json"})
    reported = {name: value for name, value in first.headers.items() if name.startswith("x-ratelimit-")}
    assert reported == {
        "x-ratelimit-limit-requests": "30000",
        "x-ratelimit-remaining-requests": "29999",
        "x-ratelimit-reset-requests": reported["x-ratelimit-reset-requests"],
        "x-ratelimit-limit-tokens": "150000000",
        "x-ratelimit-remaining-tokens": "149999999",  # a GET costs a token
        "x-ratelimit-reset-tokens": reported["x-ratelimit-reset-tokens"],
    }
    assert second.headers["x-ratelimit-remaining-requests"] == "29998"
    cost = len(body) // 4 + 100  # the body's size / 4 and the output it asks for
    assert int(chat.headers["x-ratelimit-remaining-tokens"]) == 150_000_000 - 2 - cost
    assert 0 < parse_duration(reported["x-ratelimit-reset-requests"]) <= 60  # when the first request leaves the window


def test_the_reset_is_when_the_windows_oldest_request_leaves_it():
    now = [1_000.0]
    limit = faults.RateLimit(rpm=10, tpm=1_000)
    limit.clock = lambda: now[0]
    limit.count(100)
    now[0] += 0.5
    limit.count(50)
    now[0] += 2.0
    assert limit.standing() == {"requests": (10, 8, 57.5), "tokens": (1_000, 850, 57.5)}
    now[0] += 57.5  # the first request has left; the second remains
    assert limit.standing() == {"requests": (10, 9, 0.5), "tokens": (1_000, 950, 0.5)}


def test_the_default_account_limits_are_reported_but_refuse_nothing(openai_emulator, http, monkeypatch):
    monkeypatch.setattr(faults, "DEFAULT_RPM", 2)
    responses = [http.get("/models") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in responses] == ["1", "0", "0"]


def test_a_limit_set_not_to_enforce_only_counts_and_reports(openai_emulator, http):
    control = openai_emulator.base_url.removesuffix("/v1") + "/_emulator"
    assert requests.post(control + "/limits", json={"rpm": 1, "enforce": False}).ok
    responses = [http.get("/models") for _ in range(2)]
    assert [(r.status_code, r.headers["x-ratelimit-remaining-requests"]) for r in responses] == [(200, "0"), (200, "0")]


def test_requests_per_minute_are_limited_like_openai(openai_emulator, http):
    openai_emulator.set_rate_limit(rpm=3)
    responses = [http.post("/chat/completions", json=CHAT) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in responses] == ["2", "1", "0", "0"]
    assert responses[0].headers["x-ratelimit-limit-tokens"] == "150000000"  # the default, where none is set
    last = responses[-1]
    error = last.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert error["message"].startswith(
        "Rate limit reached for gpt-4o-mini in organization org-emulator on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in "
    )
    assert 1 <= int(last.headers["retry-after"]) <= 60 and "x-ratelimit-remaining-tokens" in last.headers


def test_tokens_per_minute_are_limited(openai_emulator, http):
    openai_emulator.set_rate_limit(tpm=200, path="/v1/chat/*")
    first = http.post("/chat/completions", json={**CHAT, "max_tokens": 100})
    second = http.post("/chat/completions", json={**CHAT, "max_tokens": 100})
    assert first.status_code == 200 and second.status_code == 429
    used = 200 - int(first.headers["x-ratelimit-remaining-tokens"])
    assert used > 100
    error = second.json()["error"]
    assert error["type"] == "tokens"
    assert f"on tokens per min (TPM): Limit 200, Used {used}, Requested {used}. Please try again in" in error["message"]
    models = http.get("/models")  # other paths are not limited: the account's default applies there
    assert models.status_code == 200 and models.headers["x-ratelimit-limit-tokens"] == "150000000"


def test_a_request_over_the_whole_token_budget_is_too_large(openai_emulator, http):
    openai_emulator.set_rate_limit(tpm=100)
    answer = http.post("/chat/completions", json={**CHAT, "max_tokens": 500})
    error = answer.json()["error"]
    assert answer.status_code == 429 and error["type"] == "tokens"
    assert error["message"].startswith("Request too large for gpt-4o-mini in organization org-emulator on tokens per")
    assert "The input or output tokens must be reduced in order to run successfully." in error["message"]


# -- control over HTTP and from the shell ---------------------------------------------


def test_control_endpoints_drive_the_same_emulator(openai_emulator, http):
    control = openai_emulator.base_url.removesuffix("/v1") + "/_emulator"
    assert requests.get(control + "/health").json() == {"status": "ok"}
    requests.post(control + "/faults", json={"path": "/v1/models", "status": 418, "times": 1})
    assert http.get("/models").status_code == 418
    journal = requests.get(control + "/requests").json()
    assert journal[-1]["status"] == 418 and journal[-1]["path"] == "/v1/models"
    assert requests.post(control + "/faults", json={"no_such_field": 1}).status_code == 400
    requests.post(control + "/reset")
    assert openai_emulator.requests == []


def test_the_journal_masks_the_key_and_keeps_small_bodies(openai_emulator, http):
    http.post("/chat/completions", json=CHAT)
    entry = openai_emulator.requests[-1]
    assert entry.headers["authorization"] == "Bearer ***"
    assert entry.json() == CHAT
    assert entry.response_json()["object"] == "chat.completion"


def test_the_emulator_runs_from_the_shell(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_openai_adv.testing.emulator", "--port", "0", "--api-key", "sk-cli"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith("OpenAI emulator listening on http://127.0.0.1:")
        base_url = banner.split()[-1]
        response = requests.get(base_url + "/models", headers={"Authorization": "Bearer sk-cli"}, timeout=10)
        assert response.status_code == 200 and response.json()["data"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_request_still_in_flight_at_reset_is_not_journalled_after_it(openai_emulator, http):
    """A slow request from one test must not appear in the next test's journal."""
    openai_emulator.add_fault(path="/v1/models", latency=0.5)
    with pytest.raises(requests.Timeout):
        http.get("/models", timeout=0.1)
    openai_emulator.reset()
    time.sleep(0.6)
    assert openai_emulator.requests == []
