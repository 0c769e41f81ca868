"""``OpenAIBatchOperator``: rows to joined results through the Batch API, once, whole, in order."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.events import JobWaitFailed
from airflow_provider_openai_adv.operators import OpenAIBatchOperator
from tests.tasks import run_task

TICKETS = [{"ticket": f"T{n}", "text": f"ticket number {n}"} for n in range(5)]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Label: {text}"}]}


@pytest.fixture
def instant(openai_emulator):
    """Batches that finish as soon as they are read (their steps take no emulator time)."""
    openai_emulator.set_batch_timings(validating=0, per_request=0, finalizing=0)
    return openai_emulator


class Time:
    """The wait-in-worker's clock and sleep, moving the emulator's clock too."""

    def __init__(self, emulator):
        self.emulator, self.now, self.on_pause = emulator, 1_700_000_000.0, None

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.emulator.advance_clock(seconds)
        if self.on_pause:
            self.on_pause()


def batch_task(output_path, **options) -> OpenAIBatchOperator:
    settings = {
        "input": TICKETS, "id_column": "ticket", "endpoint": "/v1/chat/completions", "body": CHAT,
        "output_path": str(output_path), "deferrable": False, "poll_interval": 0.05, **options,
    }  # fmt: skip
    return OpenAIBatchOperator(task_id="label", **settings)


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def batches_in(emulator):
    return OpenAIAdvHook().list_batches()


@pytest.mark.parametrize("deferrable", [False, True], ids=["in-worker", "deferred"])
def test_rows_become_one_result_each_in_input_order(instant, tmp_path, deferrable):
    instant.set_batch_timings(validating=0.2, per_request=0, finalizing=0)  # still validating when first read
    run = run_task(batch_task(tmp_path / "labelled.jsonl", deferrable=deferrable))
    assert run.value == {
        "path": str(tmp_path / "labelled.jsonl"), "total": 5, "succeeded": 5, "failed": 0, "expired": 0,
        "usage": run.value["usage"],
    }  # fmt: skip
    assert run.value["usage"]["total_tokens"] > 0 and run.xcoms["usage"] == run.value["usage"]
    results = records(tmp_path / "labelled.jsonl")
    assert [(r["ticket"], r["custom_id"], r["status"]) for r in results] == [(t["ticket"], t["ticket"], "succeeded")
                                                                             for t in TICKETS]  # fmt: skip
    assert results[2]["response"]["choices"][0]["message"]["content"].endswith("ticket number 2")
    assert run.deferrals == int(deferrable)  # waited in the triggerer, not in the worker
    (batch,) = batches_in(instant)
    assert batch["metadata"]["airflow_part"] == "1/1" and batch["endpoint"] == "/v1/chat/completions"


def test_rows_over_the_limits_are_split_into_batches_and_joined_back(instant, tmp_path):
    run = run_task(batch_task(tmp_path / "labelled.jsonl", max_requests_per_batch=2))
    assert run.value["succeeded"] == 5
    assert sorted(batch["metadata"]["airflow_part"] for batch in batches_in(instant)) == ["1/3", "2/3", "3/3"]
    assert [r["ticket"] for r in records(tmp_path / "labelled.jsonl")] == [t["ticket"] for t in TICKETS]


def test_parquet_in_and_out(instant, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(TICKETS), tmp_path / "tickets.parquet")
    body = {"model": "text-embedding-3-small", "input": "{text}", "dimensions": 8}
    run_task(batch_task(tmp_path / "vectors.parquet", input=str(tmp_path / "tickets.parquet"),
                        endpoint="/v1/embeddings", body=body))  # fmt: skip
    table = pq.read_table(tmp_path / "vectors.parquet").to_pylist()
    assert [row["ticket"] for row in table] == [t["ticket"] for t in TICKETS]
    assert len(json.loads(table[0]["response"])["data"][0]["embedding"]) == 8


def test_failed_rows_over_the_allowed_share_fail_the_task_after_the_output_is_written(instant, tmp_path):
    instant.add_fault(path="/v1/chat/completions", status=500, rate=0.5, in_batches=True)
    with pytest.raises(Exception, match=r"(\d) of 5 rows got no answer .*max_failed_fraction is 0") as caught:
        run_task(batch_task(tmp_path / "labelled.jsonl"))
    failed = [r for r in records(tmp_path / "labelled.jsonl") if r["status"] == "failed"]
    assert failed and str(len(failed)) in str(caught.value)
    assert failed[0]["error"]["message"] and failed[0]["response"] is None


def test_a_share_of_failures_can_be_allowed(instant, tmp_path):
    instant.add_fault(path="/v1/chat/completions", status=500, rate=0.5, in_batches=True)
    run = run_task(batch_task(tmp_path / "labelled.jsonl", max_failed_fraction=1.0))
    assert run.value["failed"] > 0 and run.value["succeeded"] + run.value["failed"] == 5


def test_an_expired_batch_keeps_what_finished_and_resubmits_the_rest_when_asked(openai_emulator, tmp_path):
    openai_emulator.set_batch_timings(validating=0, per_request=10 * 3600, finalizing=0)  # 2 of 5 lines in 24 h
    task = batch_task(tmp_path / "labelled.jsonl", poll_interval=3600, resubmit_expired=True)
    time_ = Time(openai_emulator)
    time_.on_pause = lambda: openai_emulator.set_batch_timings(validating=0, per_request=0, finalizing=0)
    task.clock, task.sleep = time_.clock, time_.sleep
    run = run_task(task)
    assert run.value["succeeded"] == 5 and run.value["expired"] == 0
    parts = sorted(batch["metadata"]["airflow_part"] for batch in batches_in(openai_emulator))
    assert parts == ["1/1", "resubmit 1/1"]
    resubmitted = next(b for b in batches_in(openai_emulator) if b["metadata"]["airflow_part"] == "resubmit 1/1")
    assert resubmitted["request_counts"]["total"] == 3


def test_without_resubmitting_expired_rows_are_named_in_the_output_and_the_failure(openai_emulator, tmp_path):
    openai_emulator.set_batch_timings(validating=0, per_request=10 * 3600, finalizing=0)
    task = batch_task(tmp_path / "labelled.jsonl", poll_interval=3600)
    time_ = Time(openai_emulator)
    task.clock, task.sleep = time_.clock, time_.sleep
    with pytest.raises(Exception, match="3 of 5 rows got no answer"):
        run_task(task)
    assert [r["status"] for r in records(tmp_path / "labelled.jsonl")] == ["succeeded"] * 2 + ["expired"] * 3


@pytest.mark.parametrize("cancel", [True, False], ids=["cancels", "leaves-running"])
def test_a_wait_past_its_deadline_cancels_the_batches_unless_told_not_to(openai_emulator, tmp_path, cancel):
    openai_emulator.set_batch_timings(validating=0, per_request=3600, finalizing=0)
    expected = "the batches were cancelled" if cancel else "the batches were left running"
    with pytest.raises(JobWaitFailed, match=expected):
        run_task(batch_task(tmp_path / "labelled.jsonl", wait_timeout=0.2, cancel_on_timeout=cancel))
    (batch,) = batches_in(openai_emulator)
    assert (batch["status"] in ("cancelling", "cancelled")) is cancel
    assert not (tmp_path / "labelled.jsonl").exists()


def test_a_batch_cancelled_from_outside_fails_the_task_without_retries(openai_emulator, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    openai_emulator.set_batch_timings(validating=0, per_request=3600, finalizing=0, cancelling=0)
    task = batch_task(tmp_path / "labelled.jsonl", poll_interval=60)
    time_ = Time(openai_emulator)
    time_.on_pause = lambda: OpenAIAdvHook().cancel_batch(batches_in(openai_emulator)[0]["id"])
    task.clock, task.sleep = time_.clock, time_.sleep
    with pytest.raises(AirflowFailException, match="cancelled"):
        run_task(task)


def test_killing_the_task_cancels_its_batches(openai_emulator, tmp_path):
    openai_emulator.set_batch_timings(validating=0, per_request=3600, finalizing=0)
    hook = OpenAIAdvHook()
    file_id = hook.upload_file(b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n',
                               purpose="batch", filename="in.jsonl")["id"]  # fmt: skip
    batch = hook.create_batch(input_file_id=file_id, endpoint="/v1/chat/completions")
    task = batch_task(tmp_path / "labelled.jsonl")
    task.batch_ids = [batch["id"]]  # what execute() records once its batches exist
    task.on_kill()
    assert hook.retrieve_batch(batch["id"])["status"] in ("cancelling", "cancelled")


def test_a_retried_task_reattaches_to_its_batches_instead_of_paying_twice(make_dag, run_dag, instant, tmp_path,
                                                                          monkeypatch):  # fmt: skip
    """The first try creates its batch, then loses the server past its grace and fails;
    the retry finds the batch by its tag and joins its results."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", instant.airflow_connection(max_retries=0))
    instant.add_fault(path="/v1/batches/batch_*", method="GET", status=503, times=2)  # the first try's two polls
    with make_dag() as dag:
        batch_task(tmp_path / "labelled.jsonl", transient_error_grace=0, retries=1, retry_delay=0)
    outcome = run_dag(dag)
    assert outcome.state == "success"
    assert len(batches_in(instant)) == 1
    assert len([e for e in instant.requests if e.method == "POST" and e.path == "/v1/batches"]) == 1
    assert outcome.value("label")["succeeded"] == 5


def test_responses_in_a_batch_come_back_typed_into_each_record(instant, tmp_path):
    from pydantic import BaseModel

    class Label(BaseModel):
        category: str
        confidence: float | None

    body = {"model": "gpt-4o-mini", "instructions": "Label the ticket.", "input": "{text}"}
    run = run_task(batch_task(tmp_path / "labelled.jsonl", endpoint="/v1/responses", body=body, text_format=Label))
    assert run.value["succeeded"] == 5
    assert all(Label.model_validate(record["parsed"]) for record in records(tmp_path / "labelled.jsonl"))
    (batch,) = batches_in(instant)
    line = json.loads(OpenAIAdvHook().retrieve_file_content(batch["input_file_id"]).splitlines()[0])
    assert line["url"] == "/v1/responses" and line["body"]["text"]["format"]["name"] == "Label"
