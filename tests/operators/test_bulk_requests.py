"""``OpenAIBulkRequestsOperator``: rows to joined results as direct requests — once, whole, in
order, packed, within the account's limits, resumed after a kill.

Counted, never timed. Limits that bind use the emulator's sliding window shortened to a
second (and the pacer's with it), so a test that runs into a limit takes a few seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Literal

import pytest
from pydantic import BaseModel

from airflow_provider_openai_adv.bulk import pacing
from airflow_provider_openai_adv.operators import OpenAIBulkRequestsOperator
from airflow_provider_openai_adv.testing.faults import DEFAULT_TPM, RateLimit
from tests.tasks import run_task

TICKETS = [{"ticket": f"T{n}", "text": f"ticket number {n}"} for n in range(20)]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Label: {text}"}]}
EMBED = {"model": "text-embedding-3-small", "input": "{text}", "dimensions": 8}


def bulk_task(output_path, **options) -> OpenAIBulkRequestsOperator:
    settings = {
        "input": TICKETS, "id_column": "ticket", "endpoint": "/v1/chat/completions", "body": CHAT,
        "output_path": str(output_path), **options,
    }  # fmt: skip
    return OpenAIBulkRequestsOperator(task_id="label", **settings)


def embed_task(output_path, rows, **options) -> OpenAIBulkRequestsOperator:
    return bulk_task(output_path, **{"input": rows, "id_column": None, "endpoint": "/v1/embeddings", "body": EMBED,
                                     **options})  # fmt: skip


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def calls(emulator, path="/v1/chat/completions", status=None):
    return [entry for entry in emulator.requests if entry.path == path and status in (None, entry.status)]


def texts(rows):
    return [row["text"] for row in rows]


def embedded(emulator, status=200):
    return [text for entry in calls(emulator, "/v1/embeddings", status) for text in entry.json()["input"]]


@pytest.fixture
def one_second_window(monkeypatch):
    """Limits over a 1 s window, for the emulator and the pacer alike."""
    monkeypatch.setattr(pacing, "WINDOW", 1.0)

    def limit(emulator, **limits):
        return emulator.app.add_limit(RateLimit(window=1.0, **limits))

    return limit


def test_rows_become_one_result_each_in_input_order(openai_emulator, tmp_path):
    run = run_task(bulk_task(tmp_path / "labelled.jsonl"))
    assert run.value == {
        "path": str(tmp_path / "labelled.jsonl"), "total": 20, "succeeded": 20, "failed": 0, "expired": 0,
        "usage": run.value["usage"], "requests": 20, "rate_limited": 0, "resumed": 0,
    }  # fmt: skip
    answered = [entry.response_json()["usage"]["total_tokens"] for entry in calls(openai_emulator)]
    assert run.value["usage"]["total_tokens"] == sum(answered) and run.xcoms["usage"] == run.value["usage"]
    results = records(tmp_path / "labelled.jsonl")
    assert [(r["ticket"], r["custom_id"], r["status"]) for r in results] == [(t["ticket"], t["ticket"], "succeeded")
                                                                             for t in TICKETS]  # fmt: skip
    assert results[2]["response"]["choices"][0]["message"]["content"].endswith("ticket number 2")
    assert sorted(entry.json()["messages"][0]["content"] for entry in calls(openai_emulator)) == sorted(
        f"Label: {text}" for text in texts(TICKETS)
    )  # each row sent once
    assert not (tmp_path / "labelled.jsonl.checkpoint").exists()


def test_embeddings_are_packed_many_rows_to_a_request(openai_emulator, tmp_path):
    rows = [{"text": f"document {n} about things"} for n in range(3_000)]
    run = run_task(embed_task(tmp_path / "vectors.jsonl", rows))
    assert run.value["succeeded"] == 3_000
    assert len(calls(openai_emulator, "/v1/embeddings")) <= 3  # 3,000 inputs, ~8 tokens each
    assert Counter(embedded(openai_emulator)) == Counter(texts(rows))  # each once
    results = records(tmp_path / "vectors.jsonl")
    assert [r["text"] for r in results] == texts(rows) and len(results[-1]["response"]["data"][0]["embedding"]) == 8
    served = sum(entry.response_json()["usage"]["prompt_tokens"] for entry in calls(openai_emulator, "/v1/embeddings"))
    assert run.value["usage"]["prompt_tokens"] == served


def test_requests_per_minute_that_bind_are_kept_without_a_429(openai_emulator, tmp_path, one_second_window):
    one_second_window(openai_emulator, rpm=20)
    rows = [{"ticket": f"T{n}", "text": f"ticket number {n}"} for n in range(60)]  # three windows' worth
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", input=rows))
    assert run.value["succeeded"] == 60 and run.value["rate_limited"] == 0
    assert not calls(openai_emulator, status=429) and len(calls(openai_emulator)) == 60
    remaining = [int(entry.response_headers["x-ratelimit-remaining-requests"]) for entry in calls(openai_emulator)]
    assert min(remaining) <= 2  # the limit did bind
    assert [r["ticket"] for r in records(tmp_path / "labelled.jsonl")] == [row["ticket"] for row in rows]


def test_tokens_per_minute_that_bind_are_kept_without_a_429(openai_emulator, tmp_path, one_second_window, monkeypatch):
    monkeypatch.setattr(pacing, "REQUEST_SHARE", 0.05)  # requests of 500 tokens: a few dozen for the test
    one_second_window(openai_emulator, tpm=10_000)
    rows = [{"text": f"{n} " + "lorem ipsum dolor sit amet " * 7} for n in range(600)]  # ~30,000 tokens
    run = run_task(embed_task(tmp_path / "vectors.parquet", rows))
    assert run.value["succeeded"] == 600 and run.value["rate_limited"] == 0
    assert not calls(openai_emulator, "/v1/embeddings", 429)
    assert Counter(embedded(openai_emulator)) == Counter(texts(rows))
    remaining = [int(entry.response_headers["x-ratelimit-remaining-tokens"])
                 for entry in calls(openai_emulator, "/v1/embeddings")]  # fmt: skip
    assert min(remaining) < 1_000 and len(remaining) > 30  # bound, and packed to the pacer's size


def test_a_share_of_failing_requests_is_retried(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/chat/completions", status=500, rate=0.3, retry_after_ms=10)
    run = run_task(bulk_task(tmp_path / "labelled.jsonl"))
    failed = len(calls(openai_emulator, status=500))
    assert run.value["succeeded"] == 20 and failed > 0 and run.value["requests"] == 20 + failed
    assert len(calls(openai_emulator, status=200)) == 20  # each row answered once


def test_refused_rows_over_the_allowed_share_fail_the_task_after_the_output_is_written(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/chat/completions", status=400, message="Invalid prompt", rate=0.3)
    with pytest.raises(Exception, match=r"(\d+) of 20 rows got no answer .*max_failed_fraction is 0") as caught:
        run_task(bulk_task(tmp_path / "labelled.jsonl"))
    failed = [r for r in records(tmp_path / "labelled.jsonl") if r["status"] == "failed"]
    assert failed and f"{len(failed)} of 20" in str(caught.value)
    assert failed[0]["error"]["message"] == "Invalid prompt" and failed[0]["response"] is None
    sent = len(calls(openai_emulator))
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", max_failed_fraction=1.0))  # a retry: refusals are final
    assert len(calls(openai_emulator)) == sent and run.value["resumed"] == 20 and run.value["requests"] == 0
    assert run.value["failed"] == len(failed) and not (tmp_path / "labelled.jsonl.checkpoint").exists()


def test_rows_whose_retries_ran_out_are_sent_again_by_the_next_try(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/chat/completions", status=503, retry_after_ms=1)
    with pytest.raises(Exception, match="20 of 20 rows got no answer"):
        run_task(bulk_task(tmp_path / "labelled.jsonl", max_retries=1))
    assert {r["status"] for r in records(tmp_path / "labelled.jsonl")} == {"failed"}
    openai_emulator.clear_faults()
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", max_retries=1))
    assert run.value["succeeded"] == 20 and run.value["resumed"] == 0


def test_a_killed_task_resumes_where_it_stopped(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/chat/completions", status=401, skip=5)  # the sixth request ends the try
    with pytest.raises(Exception, match="401"):
        run_task(bulk_task(tmp_path / "labelled.jsonl", max_concurrency=1))
    assert not (tmp_path / "labelled.jsonl").exists() and (tmp_path / "labelled.jsonl.checkpoint").exists()
    openai_emulator.clear_faults()
    sent = len(calls(openai_emulator))
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", max_concurrency=1))
    assert run.value["resumed"] == 5 and run.value["succeeded"] == 20
    assert len(calls(openai_emulator)) - sent == 15  # only the rest
    assert [r["ticket"] for r in records(tmp_path / "labelled.jsonl")] == [t["ticket"] for t in TICKETS]


def test_a_killed_concurrent_embeddings_task_resends_no_finished_input(openai_emulator, tmp_path, monkeypatch):
    # ~12 inputs a request, the probe and those after it (sized from the account's reported TPM): many in flight
    monkeypatch.setattr(pacing, "PROBE_TOKENS", 100)
    monkeypatch.setattr(pacing, "REQUEST_SHARE", 100 / DEFAULT_TPM)
    rows = [{"text": f"document {n}"} for n in range(2_000)]
    openai_emulator.add_fault(path="/v1/embeddings", status=401, skip=40)
    with pytest.raises(Exception, match="401"):
        run_task(embed_task(tmp_path / "vectors.jsonl", rows, max_concurrency=4))
    first_try = embedded(openai_emulator)
    assert 0 < len(first_try) < 2_000
    openai_emulator.clear_faults()
    run = run_task(embed_task(tmp_path / "vectors.jsonl", rows, max_concurrency=4))
    assert run.value["resumed"] == len(first_try) and run.value["succeeded"] == 2_000
    assert Counter(embedded(openai_emulator)) == Counter(texts(rows))  # both tries: every input exactly once
    assert [r["text"] for r in records(tmp_path / "vectors.jsonl")] == texts(rows)


def test_a_changed_body_does_not_reuse_the_checkpoint(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/chat/completions", status=401, skip=5)
    with pytest.raises(Exception, match="401"):
        run_task(bulk_task(tmp_path / "labelled.jsonl", max_concurrency=1))
    openai_emulator.clear_faults()
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", body={**CHAT, "model": "gpt-4o"}))
    assert run.value["resumed"] == 0 and run.value["requests"] == 20


def test_parquet_in_and_out(openai_emulator, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(TICKETS), tmp_path / "tickets.parquet")
    run_task(embed_task(tmp_path / "vectors.parquet", str(tmp_path / "tickets.parquet"), id_column="ticket"))
    table = pq.read_table(tmp_path / "vectors.parquet").to_pylist()
    assert [row["ticket"] for row in table] == [t["ticket"] for t in TICKETS]
    assert len(json.loads(table[0]["response"])["data"][0]["embedding"]) == 8
    assert len(calls(openai_emulator, "/v1/embeddings")) == 1


def test_object_storage_output_with_its_checkpoint_in_object_storage(openai_emulator, tmp_path):
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())
    output = f"memory://{tmp_path.name}/labelled.jsonl"
    openai_emulator.add_fault(path="/v1/chat/completions", status=401, skip=5)
    with pytest.raises(Exception, match="401"):
        run_task(bulk_task(output, max_concurrency=1))
    checkpoint = ObjectStoragePath(f"{output}.checkpoint")
    assert sorted(path.name for path in checkpoint.iterdir()) == ["job.json", "part-000001.jsonl"]
    openai_emulator.clear_faults()
    sent = len(calls(openai_emulator))
    run = run_task(bulk_task(output, max_concurrency=1))
    assert run.value["resumed"] == 5 and len(calls(openai_emulator)) - sent == 15
    with ObjectStoragePath(output).open("rb") as handle:
        assert [json.loads(line)["ticket"] for line in handle.read().splitlines()] == [t["ticket"] for t in TICKETS]
    assert not checkpoint.exists()


class Label(BaseModel):
    category: Literal["billing", "bug", "other"]
    urgent: bool


def test_typed_answers_are_asked_for_in_each_request_and_validated_into_each_record(openai_emulator, tmp_path):
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", text_format=Label))
    assert run.value["succeeded"] == 20
    sent = calls(openai_emulator)[0].json()["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Label" and sent["json_schema"]["strict"]
    assert all(Label.model_validate(record["parsed"]) for record in records(tmp_path / "labelled.jsonl"))


def test_an_answer_that_does_not_fit_fails_its_row_naming_the_field(openai_emulator, tmp_path):
    wrong = {"choices": [{"index": 0, "message": {"role": "assistant", "content": '{"category": "fun"}'},
                          "finish_reason": "stop"}]}  # fmt: skip
    openai_emulator.add_fault(path="/v1/chat/completions", status=200, body=json.dumps(wrong), times=1)
    with pytest.raises(Exception, match="1 of 20 rows got no answer"):
        run_task(bulk_task(tmp_path / "labelled.jsonl", text_format=Label, max_retries=0))
    failed = [record for record in records(tmp_path / "labelled.jsonl") if record["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"]["field"] == "category"


def test_a_changed_input_file_at_the_same_path_does_not_reuse_the_checkpoint(openai_emulator, tmp_path):
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text("".join(json.dumps(ticket) + "\n" for ticket in TICKETS))
    openai_emulator.add_fault(path="/v1/chat/completions", status=401, skip=5)
    with pytest.raises(Exception, match="401"):
        run_task(bulk_task(tmp_path / "labelled.jsonl", input=str(tickets), max_concurrency=1))
    openai_emulator.clear_faults()
    changed = [{**ticket, "text": f"reworded {ticket['text']}"} for ticket in TICKETS]
    tickets.write_text("".join(json.dumps(ticket) + "\n" for ticket in changed))  # same path, new rows
    run = run_task(bulk_task(tmp_path / "labelled.jsonl", input=str(tickets)))
    assert run.value["resumed"] == 0 and run.value["requests"] == 20
    assert all(
        "reworded" in r["response"]["choices"][0]["message"]["content"] for r in records(tmp_path / "labelled.jsonl")
    )
