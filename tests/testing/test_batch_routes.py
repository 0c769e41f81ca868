"""Batches in the emulator, over HTTP: the state machine on the emulator clock, input checks, lines
run through the API's own handlers, output and error files, per-line faults, expiry, cancel, lists."""

from __future__ import annotations

import json

import pytest
import requests

from airflow_provider_openai_adv.testing import OpenAIEmulator
from airflow_provider_openai_adv.testing.batches import MAX_INPUT_BYTES, MAX_REQUESTS, BatchTimings
from airflow_provider_openai_adv.testing.files import FileStore
from tests.conftest import EmulatorAPI

# Long phases, so that the wall clock moving during a test never crosses a boundary.
VALIDATING, PER_REQUEST, FINALIZING, CANCELLING = 100, 10, 100, 100
CHAT = "/v1/chat/completions"


@pytest.fixture
def slow(openai_emulator):
    openai_emulator.set_batch_timings(
        validating=VALIDATING, per_request=PER_REQUEST, finalizing=FINALIZING, cancelling=CANCELLING
    )
    return openai_emulator


def chat_body(text: str, model: str = "gpt-4o-mini") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def line(custom_id: str, body: dict, url: str = CHAT) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def chat_lines(count: int, prefix: str = "r") -> list[dict]:
    return [line(f"{prefix}{i}", chat_body(f"Question {i}?")) for i in range(count)]


def upload(http, lines, purpose="batch") -> str:
    """Upload JSONL (objects serialised, strings sent as they are); the file id."""
    text = "\n".join(item if isinstance(item, str) else json.dumps(item) for item in lines) + "\n"
    response = http.post("/files", files={"file": ("batch.jsonl", text.encode())}, data={"purpose": purpose})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def create(http, lines, endpoint=CHAT, **extra) -> dict:
    body = {"input_file_id": upload(http, lines), "endpoint": endpoint, "completion_window": "24h", **extra}
    response = http.post("/batches", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def batch(http, batch_id) -> dict:
    response = http.get(f"/batches/{batch_id}")
    assert response.status_code == 200, response.text
    return response.json()


def content(http, file_id) -> list[dict]:
    response = http.get(f"/files/{file_id}/content")
    assert response.status_code == 200, response.text
    return [json.loads(text) for text in response.text.splitlines()]


def finish(emulator, http, batch_id) -> dict:
    emulator.advance_clock(10**6)
    return batch(http, batch_id)


# -- the state machine ------------------------------------------------------------------------


def test_a_batch_moves_through_its_statuses_on_the_clock(http, slow):
    created = create(http, chat_lines(4), metadata={"task_id": "dag.task"})
    batch_id = created["id"]
    assert batch_id.startswith("batch_") and created["object"] == "batch"
    assert created["status"] == "validating" and created["metadata"] == {"task_id": "dag.task"}
    assert created["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert created["expires_at"] == created["created_at"] + 24 * 3600
    assert not {"in_progress_at", "output_file_id", "error_file_id", "errors"} & created.keys()

    slow.advance_clock(VALIDATING + PER_REQUEST / 2)
    running = batch(http, batch_id)
    assert running["status"] == "in_progress" and running["model"] == "gpt-4o-mini"
    assert running["in_progress_at"] == created["created_at"] + VALIDATING
    assert running["request_counts"] == {"total": 4, "completed": 0, "failed": 0}
    seen = []
    for _ in range(3):
        slow.advance_clock(PER_REQUEST)
        seen.append(batch(http, batch_id)["request_counts"]["completed"])
    assert seen == [1, 2, 3]

    slow.advance_clock(PER_REQUEST)
    finalizing = batch(http, batch_id)
    assert finalizing["status"] == "finalizing" and finalizing["request_counts"]["completed"] == 4
    assert finalizing["finalizing_at"] == finalizing["in_progress_at"] + 4 * PER_REQUEST
    assert "output_file_id" not in finalizing

    slow.advance_clock(FINALIZING)
    done = batch(http, batch_id)
    assert done["status"] == "completed"
    assert done["completed_at"] == done["finalizing_at"] + FINALIZING
    assert done["request_counts"] == {"total": 4, "completed": 4, "failed": 0}
    assert "error_file_id" not in done and not {"failed_at", "expired_at", "cancelled_at"} & done.keys()
    output = http.get(f"/files/{done['output_file_id']}").json()
    assert output["purpose"] == "batch_output" and output["filename"] == f"{batch_id}_output.jsonl"


def test_usage_is_the_sum_of_the_lines_usage(http, openai_emulator):
    lines = chat_lines(3)
    done = finish(openai_emulator, http, create(http, lines)["id"])
    direct = [http.post("/chat/completions", json=item["body"]).json()["usage"] for item in lines]
    prompt = sum(usage["prompt_tokens"] for usage in direct)
    completion = sum(usage["completion_tokens"] for usage in direct)
    assert done["usage"] == {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def test_timings_come_back_to_the_defaults_at_reset(openai_emulator):
    assert openai_emulator.set_batch_timings(per_request=5) == BatchTimings(per_request=5)
    openai_emulator.reset()
    assert openai_emulator.set_batch_timings() == BatchTimings()


def test_the_control_endpoint_sets_batch_timings(openai_emulator, http):
    base = openai_emulator.base_url.removesuffix("/v1")
    assert requests.post(base + "/_emulator/batch_timings", json={"validating": 500}).status_code == 200
    created = create(http, chat_lines(1))
    openai_emulator.advance_clock(400)
    assert batch(http, created["id"])["status"] == "validating"
    assert requests.post(base + "/_emulator/batch_timings", json={"slow": 1}).status_code == 400


# -- lines run through the API's own handlers ---------------------------------------------------


def test_a_line_gets_the_answer_a_direct_request_gets(http, openai_emulator):
    lines = [line("chat", chat_body("Name three rivers."))]
    done = finish(openai_emulator, http, create(http, lines)["id"])
    (result,) = content(http, done["output_file_id"])
    direct = http.post("/chat/completions", json=lines[0]["body"]).json()
    assert result["response"]["body"]["choices"] == direct["choices"]
    assert result["response"]["body"]["usage"] == direct["usage"]


@pytest.mark.parametrize(
    ("endpoint", "body", "path"),
    [
        (
            "/v1/embeddings",
            {"model": "text-embedding-3-small", "input": ["red", "green"], "dimensions": 8},
            "/embeddings",
        ),
        ("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon"}, "/completions"),
        ("/v1/moderations", {"input": "I will hurt you"}, "/moderations"),
    ],
)
def test_every_runnable_endpoint_runs_its_lines(http, openai_emulator, endpoint, body, path):
    done = finish(openai_emulator, http, create(http, [line("one", body, endpoint)], endpoint=endpoint)["id"])
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 1
    (result,) = content(http, done["output_file_id"])
    direct = http.post(path, json=body).json()
    answer = result["response"]["body"]
    assert answer.get("data", answer.get("results")) == direct.get("data", direct.get("results"))


def test_output_and_error_files_keep_file_order_and_openais_shapes(http, openai_emulator):
    lines = [
        line("ok-1", chat_body("one")),
        line("unknown-model", chat_body("two", model="no-such-model")),
        line("ok-2", chat_body("three")),
        line("bad-temperature", {**chat_body("four"), "temperature": 9}),
        line("streamed", {**chat_body("five"), "stream": True}),
        line("ok-3", chat_body("six")),
    ]
    done = finish(openai_emulator, http, create(http, lines)["id"])
    assert done["request_counts"] == {"total": 6, "completed": 3, "failed": 3}
    output, errors = content(http, done["output_file_id"]), content(http, done["error_file_id"])
    assert [item["custom_id"] for item in output] == ["ok-1", "ok-2", "ok-3"]
    assert [item["custom_id"] for item in errors] == ["unknown-model", "bad-temperature", "streamed"]
    for item in output:
        assert item["id"].startswith("batch_req_") and item["error"] is None
        assert item["response"]["status_code"] == 200 and item["response"]["request_id"].startswith("req_")
        assert item["response"]["body"]["object"] == "chat.completion"
    statuses = [(item["response"]["status_code"], item["response"]["body"]["error"]["param"]) for item in errors]
    assert statuses == [(404, "model"), (400, "temperature"), (400, "stream")]
    assert all(item["error"] is None for item in errors)
    assert len({item["id"] for item in output + errors}) == 6


def test_the_input_file_may_be_deleted_once_the_batch_exists(http, openai_emulator):
    created = create(http, chat_lines(2))
    assert http.delete(f"/files/{created['input_file_id']}").status_code == 200
    done = finish(openai_emulator, http, created["id"])
    assert done["status"] == "completed" and len(content(http, done["output_file_id"])) == 2


def test_output_expires_after_sets_the_files_expiry(http, openai_emulator):
    lines = [*chat_lines(1), line("bad", chat_body("x", model="nope"))]
    created = create(http, lines, output_expires_after={"anchor": "created_at", "seconds": 7200})
    done = finish(openai_emulator, http, created["id"])
    for file_id in (done["output_file_id"], done["error_file_id"]):
        stored = http.get(f"/files/{file_id}").json()
        assert stored["expires_at"] == stored["created_at"] + 7200


# -- input checks: a malformed input makes the batch fail ---------------------------------------

GOOD = line("good", chat_body("fine"))


@pytest.mark.parametrize(
    ("lines", "code", "line_number", "param"),
    [
        ([GOOD, "{not json"], "invalid_json_line", 2, None),
        (["[1, 2]"], "invalid_json_line", 1, None),
        ([{k: v for k, v in GOOD.items() if k != "custom_id"}], "missing_required_parameter", 1, "custom_id"),
        ([{k: v for k, v in GOOD.items() if k != "method"}], "missing_required_parameter", 1, "method"),
        ([{k: v for k, v in GOOD.items() if k != "url"}], "missing_required_parameter", 1, "url"),
        ([{k: v for k, v in GOOD.items() if k != "body"}], "missing_required_parameter", 1, "body"),
        ([{**GOOD, "body": "text"}], "invalid_type", 1, "body"),
        ([{**GOOD, "method": "GET"}], "invalid_method", 1, "method"),
        ([GOOD, {**GOOD, "url": "/v1/embeddings"}], "mismatched_url", 2, "url"),
        ([GOOD, GOOD], "duplicate_custom_id", 2, "custom_id"),
        (["", "  "], "empty_file", None, None),
    ],
)
def test_a_malformed_input_fails_the_batch_naming_line_and_param(http, slow, lines, code, line_number, param):
    created = create(http, lines)
    slow.advance_clock(VALIDATING + 1)
    failed = batch(http, created["id"])
    assert failed["status"] == "failed" and failed["failed_at"] == created["created_at"] + VALIDATING
    assert failed["errors"]["object"] == "list"
    (error,) = failed["errors"]["data"]
    assert (error["code"], error["line"], error["param"]) == (code, line_number, param)
    assert error["message"]
    assert failed["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert not {"in_progress_at", "output_file_id", "error_file_id"} & failed.keys()


def test_every_bad_line_is_reported(http, openai_emulator):
    lines = [GOOD, "oops", {**GOOD, "custom_id": "x", "url": "/v1/completions"}, GOOD]
    failed = finish(openai_emulator, http, create(http, lines)["id"])
    assert [(e["code"], e["line"]) for e in failed["errors"]["data"]] == [
        ("invalid_json_line", 2),
        ("mismatched_url", 3),
        ("duplicate_custom_id", 4),
    ]


def test_more_than_50000_requests_fail_the_batch(http, openai_emulator):
    lines = [json.dumps(line(f"r{i}", {"model": "m"})) for i in range(MAX_REQUESTS + 1)]
    failed = finish(openai_emulator, http, create(http, lines)["id"])
    (error,) = failed["errors"]["data"]
    assert failed["status"] == "failed" and error["code"] == "too_many_requests" and "50000" in error["message"]


def test_50000_requests_are_allowed(http, openai_emulator):
    openai_emulator.set_batch_timings(validating=1, per_request=10**6)  # validated, but no line run yet
    lines = [json.dumps(line(f"r{i}", {"model": "m"})) for i in range(MAX_REQUESTS)]
    created = create(http, lines)
    openai_emulator.advance_clock(2)
    assert batch(http, created["id"])["request_counts"]["total"] == MAX_REQUESTS


def test_more_than_50000_embedding_inputs_fail_an_embeddings_batch(http, openai_emulator):
    body = {"model": "text-embedding-3-small", "input": ["a"] * 2048}
    lines = [line(f"r{i}", body, "/v1/embeddings") for i in range(25)]  # 51,200 inputs
    failed = finish(openai_emulator, http, create(http, lines, endpoint="/v1/embeddings")["id"])
    (error,) = failed["errors"]["data"]
    assert error["code"] == "too_many_embedding_inputs" and "51200" in error["message"]


def test_an_input_over_200_mb_fails_the_batch(http, openai_emulator):
    path = openai_emulator.state.storage_dir / "huge.jsonl"
    with path.open("wb") as handle:  # sparse: the size is what is checked
        handle.truncate(MAX_INPUT_BYTES + 1)
    stored = openai_emulator.state.store(FileStore).add(
        filename="huge.jsonl", purpose="batch", path=path, size=MAX_INPUT_BYTES + 1
    )
    response = http.post("/batches", json={"input_file_id": stored.id, "endpoint": CHAT, "completion_window": "24h"})
    failed = finish(openai_emulator, http, response.json()["id"])
    assert [error["code"] for error in failed["errors"]["data"]] == ["file_too_large"]


# -- create's own checks: OpenAI's 400 naming the param ---------------------------------------


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"input_file_id": None}, "input_file_id", "Missing required parameter"),
        ({"input_file_id": "file-nope"}, "input_file_id", "no file"),
        ({"endpoint": "/v1/audio/speech"}, "endpoint", "Supported values"),
        ({"endpoint": "/v1/images/generations"}, "endpoint", "cannot run batches"),
        ({"completion_window": "48h"}, "completion_window", "Supported values"),
        ({"completion_window": None}, "completion_window", "Missing required parameter"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "at most 16"),
        ({"metadata": {"k" * 65: "v"}}, "metadata", "at most 16"),
        ({"metadata": {"k": "v" * 513}}, "metadata", "at most 16"),
        ({"metadata": {"k": 1}}, "metadata", "at most 16"),
        ({"output_expires_after": {"anchor": "created_at", "seconds": 60}}, "output_expires_after", "3600"),
        ({"output_expires_after": {"anchor": "now", "seconds": 3600}}, "output_expires_after", "created_at"),
    ],
)
def test_a_bad_create_request_gets_a_400_naming_the_param(http, change, param, words):
    body = {"input_file_id": upload(http, chat_lines(1)), "endpoint": CHAT, "completion_window": "24h", **change}
    response = http.post("/batches", json={key: value for key, value in body.items() if value is not None})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and words in error["message"] and error["type"] == "invalid_request_error"


def test_the_input_must_have_purpose_batch(http):
    file_id = upload(http, chat_lines(1), purpose="fine-tune")
    response = http.post("/batches", json={"input_file_id": file_id, "endpoint": CHAT, "completion_window": "24h"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "input_file_id"
    assert "purpose 'batch'" in response.json()["error"]["message"]


def test_the_largest_metadata_is_kept_as_given(http):
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    assert create(http, chat_lines(1), metadata=metadata)["metadata"] == metadata


def test_an_unknown_batch_is_a_404(http):
    assert http.get("/batches/batch_nope").status_code == 404
    assert http.post("/batches/batch_nope/cancel").status_code == 404


# -- per-line faults --------------------------------------------------------------------------


def failed_ids(http, emulator, count=200) -> list[str]:
    done = finish(emulator, http, create(http, chat_lines(count))["id"])
    return [item["custom_id"] for item in content(http, done["error_file_id"])] if "error_file_id" in done else []


def test_a_fault_in_batches_fails_a_seeded_share_of_lines(http, openai_emulator):
    openai_emulator.add_fault(path=CHAT, status=500, rate=0.2, in_batches=True)
    first = failed_ids(http, openai_emulator)
    assert 20 <= len(first) <= 60  # 200 lines at 20 %
    assert failed_ids(http, openai_emulator) == first  # the same lines, every run
    done = batch(http, http.get("/batches", params={"limit": 1}).json()["data"][0]["id"])
    assert done["request_counts"] == {"total": 200, "completed": 200 - len(first), "failed": len(first)}
    error = content(http, done["error_file_id"])[0]["response"]
    assert error["status_code"] == 500 and error["body"]["error"]["type"] == "server_error"
    assert http.post("/chat/completions", json=chat_body("direct")).status_code == 200  # direct requests: no fault


def test_another_seed_fails_other_lines(http, openai_emulator):
    openai_emulator.add_fault(path=CHAT, status=500, rate=0.2, in_batches=True)
    first = failed_ids(http, openai_emulator)
    with OpenAIEmulator(seed=7) as other:
        other.add_fault(path=CHAT, status=500, rate=0.2, in_batches=True)
        assert failed_ids(EmulatorAPI(other), other) != first


def test_a_fault_in_batches_with_times_and_code(http, openai_emulator):
    openai_emulator.add_fault(path="/v1/chat/*", status=429, code="rate_limit_exceeded", times=2, in_batches=True)
    done = finish(openai_emulator, http, create(http, chat_lines(5))["id"])
    errors = content(http, done["error_file_id"])
    assert [item["custom_id"] for item in errors] == ["r0", "r1"]
    assert errors[0]["response"]["body"]["error"]["code"] == "rate_limit_exceeded"


def test_a_direct_fault_does_not_reach_batch_lines(http, openai_emulator):
    openai_emulator.add_fault(path=CHAT, status=500)
    done = finish(openai_emulator, http, create(http, chat_lines(3))["id"])
    assert done["request_counts"]["completed"] == 3
    assert http.post("/chat/completions", json=chat_body("direct")).status_code == 500


def test_a_fault_in_batches_needs_an_error_status(openai_emulator):
    with pytest.raises(ValueError, match="error status"):
        openai_emulator.add_fault(path=CHAT, latency=1, in_batches=True)
    control = openai_emulator.base_url.removesuffix("/v1") + "/_emulator/faults"
    assert requests.post(control, json={"in_batches": True, "status": 500, "rate": 0.5}).status_code == 200
    assert requests.post(control, json={"in_batches": True, "drop": True}).status_code == 400


# -- expiry and cancel ---------------------------------------------------------------------------


def test_a_batch_whose_window_closes_first_expires_with_partial_results(http, openai_emulator):
    openai_emulator.set_batch_timings(validating=100, per_request=3600)
    created = create(http, chat_lines(30))
    openai_emulator.advance_clock(20 * 3600)
    assert batch(http, created["id"])["status"] == "in_progress"
    openai_emulator.advance_clock(5 * 3600)
    expired = batch(http, created["id"])
    assert expired["status"] == "expired" and expired["expired_at"] == expired["expires_at"]
    ran = (24 * 3600 - 100) // 3600  # 23 lines fit in the window
    assert expired["request_counts"] == {"total": 30, "completed": ran, "failed": 0}
    assert [item["custom_id"] for item in content(http, expired["output_file_id"])] == [f"r{i}" for i in range(ran)]
    not_run = content(http, expired["error_file_id"])
    assert [item["custom_id"] for item in not_run] == [f"r{i}" for i in range(ran, 30)]
    assert not_run[0]["response"] is None
    assert not_run[0]["error"] == {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }


def test_a_batch_done_within_its_window_does_not_expire(http, openai_emulator):
    openai_emulator.set_batch_timings(per_request=3600, finalizing=3600)
    done = finish(openai_emulator, http, create(http, chat_lines(23))["id"])
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 23


def test_cancel_stops_the_lines_and_keeps_partial_results(http, slow):
    created = create(http, chat_lines(10))
    slow.advance_clock(VALIDATING + 3 * PER_REQUEST + 1)
    cancelling = http.post(f"/batches/{created['id']}/cancel").json()
    assert cancelling["status"] == "cancelling" and cancelling["request_counts"]["completed"] == 3
    assert cancelling["cancelling_at"] - created["created_at"] in (
        VALIDATING + 3 * PER_REQUEST + 1,
        VALIDATING + 3 * PER_REQUEST + 2,
    )
    assert http.post(f"/batches/{created['id']}/cancel").json() == cancelling  # asked again: the same batch
    slow.advance_clock(CANCELLING / 2)
    assert batch(http, created["id"]) == cancelling  # no line runs while cancelling
    slow.advance_clock(CANCELLING / 2)
    cancelled = batch(http, created["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] == cancelled["cancelling_at"] + CANCELLING
    assert [item["custom_id"] for item in content(http, cancelled["output_file_id"])] == ["r0", "r1", "r2"]
    not_run = content(http, cancelled["error_file_id"])
    assert [item["custom_id"] for item in not_run] == [f"r{i}" for i in range(3, 10)]
    assert {item["error"]["code"] for item in not_run} == {"batch_cancelled"}


def test_a_batch_cancelled_while_validating_has_no_files(http, slow):
    created = create(http, chat_lines(3))
    assert http.post(f"/batches/{created['id']}/cancel").json()["status"] == "cancelling"
    slow.advance_clock(CANCELLING + 1)
    cancelled = batch(http, created["id"])
    assert cancelled["status"] == "cancelled" and not {"output_file_id", "error_file_id"} & cancelled.keys()


@pytest.mark.parametrize("lines", [chat_lines(2), ["not json"]])
def test_an_ended_batch_cannot_be_cancelled(http, openai_emulator, lines):
    ended = finish(openai_emulator, http, create(http, lines)["id"])
    response = http.post(f"/batches/{ended['id']}/cancel")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"Cannot cancel a batch with status {ended['status']}."


# -- lists ------------------------------------------------------------------------------------------


def test_batches_are_listed_newest_first_a_page_at_a_time_with_their_metadata(http):
    created = [create(http, chat_lines(1), metadata={"task_id": f"t{i}"})["id"] for i in range(5)]
    first = http.get("/batches", params={"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [item["id"] for item in first["data"]] == [created[4], created[3]]
    assert (first["first_id"], first["last_id"]) == (created[4], created[3])
    assert [item["metadata"] for item in first["data"]] == [{"task_id": "t4"}, {"task_id": "t3"}]
    rest = http.get("/batches", params={"limit": 10, "after": first["last_id"]}).json()
    assert [item["id"] for item in rest["data"]] == created[2::-1] and rest["has_more"] is False
    assert len(http.get("/batches").json()["data"]) == 5  # 20 by default


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}])
def test_a_bad_list_limit_is_a_400(http, params):
    response = http.get("/batches", params=params)
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
