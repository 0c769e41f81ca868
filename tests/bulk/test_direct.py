"""The direct engine: rows packed into requests, answers split back to rows, runs against the emulator.

Counted, never timed: how many requests, which rows each carried, which lines are where.
"""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_openai_adv.bulk.direct import (
    BulkJob,
    Chunk,
    DirectRequests,
    answer_lines,
    chunks,
    error_lines,
    estimate_tokens,
)
from airflow_provider_openai_adv.bulk.pacing import Pacer
from airflow_provider_openai_adv.bulk.results import FAILED, SUCCEEDED, Result
from airflow_provider_openai_adv.bulk.rows import RowSource
from airflow_provider_openai_adv.bulk.template import RequestTemplate
from airflow_provider_openai_adv.exceptions import APIConnectionError, BadRequestError
from airflow_provider_openai_adv.validation import EMBEDDING_INPUTS, EMBEDDING_REQUEST_TOKENS

EMBED = RequestTemplate("/v1/embeddings", {"model": "text-embedding-3-small", "input": "{text}", "dimensions": 4})
CHAT = RequestTemplate(
    "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "{text}"}]}
)


def rows(count, text="a short text"):
    return list(RowSource([{"text": f"{text} {n}"} for n in range(count)]))


def lines_of(data: bytes):
    return [json.loads(line) for line in data.splitlines()]


# -- packing -------------------------------------------------------------------------------


def test_embeddings_rows_share_requests_within_the_token_budget_in_input_order():
    packed = list(chunks(rows(100), EMBED, lambda: 200))
    assert [custom_id for chunk in packed for custom_id in chunk.ids] == [f"row-{n}" for n in range(100)]
    assert len(packed) > 1 and all(chunk.tokens <= 200 for chunk in packed)
    assert all(chunk.tokens == estimate_tokens(chunk.body) for chunk in packed)  # the estimate of what is sent
    assert packed[0].body["input"][:2] == ["a short text 0", "a short text 1"] and packed[0].body["dimensions"] == 4


def test_a_request_holds_at_most_2048_inputs_and_300000_tokens():
    packed = list(chunks(rows(5_000, "x"), EMBED, lambda: 10**9))
    assert [len(chunk.ids) for chunk in packed] == [EMBEDDING_INPUTS, EMBEDDING_INPUTS, 5_000 - 2 * EMBEDDING_INPUTS]
    long = list(chunks(rows(40, "y" * 30_000), EMBED, lambda: 10**9))  # 7,500 tokens each
    assert all(chunk.tokens <= EMBEDDING_REQUEST_TOKENS for chunk in long) and len(long) == 2


def test_rows_that_cannot_share_a_request_go_alone():
    source = RowSource([
        {"text": "one"}, {"text": "two"}, {"text": ["a", "list", "of", "texts"]}, {"text": "z" * 40_000},
        {"text": [1, 2, 3]}, {"text": [4, 5]},
    ])  # fmt: skip
    packed = list(chunks(source, EMBED))
    assert [chunk.ids for chunk in packed] == [["row-0", "row-1"], ["row-2"], ["row-3"], ["row-4", "row-5"]]
    assert [chunk.packed for chunk in packed] == [True, False, False, True]
    texts_then_tokens = RowSource([{"text": "one"}, {"text": [1, 2]}])  # OpenAI takes texts or token arrays
    assert [chunk.ids for chunk in chunks(texts_then_tokens, EMBED)] == [["row-0"], ["row-1"]]
    other_model = RequestTemplate("/v1/embeddings", {"model": "{model}", "input": "{text}"})
    mixed = RowSource([{"model": "a", "text": "x"}, {"model": "a", "text": "y"}, {"model": "b", "text": "z"}])
    assert [chunk.ids for chunk in chunks(mixed, other_model)] == [["row-0", "row-1"], ["row-2"]]


def test_other_endpoints_send_a_row_per_request_and_count_the_output_asked():
    body = {"model": "gpt-4o-mini", "max_completion_tokens": 100, "messages": [{"role": "user", "content": "{text}"}]}
    packed = list(chunks(rows(3), RequestTemplate("/v1/chat/completions", body)))
    assert [chunk.ids for chunk in packed] == [["row-0"], ["row-1"], ["row-2"]]
    assert packed[0].tokens == -(-len(json.dumps(packed[0].body)) // 4) + 100


def test_a_packed_chunk_halves_keep_rows_and_inputs_together():
    (chunk,) = chunks(rows(5), EMBED)
    first, second = chunk.halves()
    assert (first.ids, first.body["input"]) == (["row-0", "row-1"], ["a short text 0", "a short text 1"])
    assert second.ids == ["row-2", "row-3", "row-4"] and second.weights == chunk.weights[2:]


# -- answers split back ------------------------------------------------------------------


def test_a_packed_answer_gives_each_row_its_vector_and_a_share_of_the_usage():
    chunk = Chunk(["a", "b", "c"], {"input": ["x", "yy", "zzz"]}, 3, weights=[1, 2, 3])
    answer = {
        "object": "list", "model": "m", "usage": {"prompt_tokens": 10, "total_tokens": 10},
        "data": [{"object": "embedding", "index": index, "embedding": [index]} for index in (2, 0, 1)],
    }  # fmt: skip
    got = lines_of(answer_lines(chunk, answer, "req_1"))
    assert [line["custom_id"] for line in got] == ["a", "b", "c"]
    assert [line["response"]["body"]["data"] for line in got] == [
        [{"object": "embedding", "index": 0, "embedding": [n]}] for n in (0, 1, 2)
    ]
    assert sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in got) == 10
    assert [line["response"]["body"]["usage"]["total_tokens"] for line in got] == [2, 3, 5]
    assert all(Result.of(line).status == SUCCEEDED for line in got) and got[0]["response"]["request_id"] == "req_1"


def test_an_answer_without_an_embedding_for_every_input_is_refused():
    from airflow_provider_openai_adv.exceptions import InvalidResponseError

    chunk = Chunk(["a", "b"], {"input": ["x", "y"]}, 1, weights=[1, 1])
    with pytest.raises(InvalidResponseError, match="2 inputs were sent"):
        answer_lines(chunk, {"data": [{"index": 0, "embedding": []}]}, None)


def test_failed_requests_become_failed_rows_with_the_error():
    chunk = Chunk(["a", "b"], {}, 1)
    refused = BadRequestError(
        status_code=400, message="bad input", code="invalid_value", body={"error": {"message": "bad input"}}
    )
    got = lines_of(error_lines(chunk, refused))
    assert [Result.of(line).status for line in got] == [FAILED, FAILED]
    assert got[0]["response"]["status_code"] == 400 and Result.of(got[0]).error["message"] == "bad input"
    dropped = lines_of(error_lines(chunk, APIConnectionError("reset by peer")))[0]
    assert dropped["response"] is None and dropped["error"]["code"] == "connection_error"


# -- the engine against the emulator --------------------------------------------------------


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def logger():
    handler = Lines()
    logger = logging.getLogger("tests.bulk.direct")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.messages = handler.messages
    yield logger
    logger.removeHandler(handler)


def embedding_requests(emulator):
    return [entry for entry in emulator.requests if entry.path == "/v1/embeddings"]


def job(make_client, output, source, template=EMBED, **options):
    client = make_client(max_retries=0)
    return BulkJob(RowSource(source), template, output, client, Pacer(), **options)


def test_a_job_sends_each_row_once_and_writes_them_in_order(openai_emulator, make_client, tmp_path, logger):
    source = [{"text": f"text number {n}"} for n in range(300)]
    run = job(make_client, tmp_path / "out.jsonl", source, logger=logger, progress_every=0)
    summary = run.run()
    assert summary.counts[SUCCEEDED] == 300 and summary.usage["prompt_tokens"] > 0
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [record["custom_id"] for record in records] == [f"row-{n}" for n in range(300)]
    assert len(records[7]["response"]["data"][0]["embedding"]) == 4
    sent = [text for entry in embedding_requests(openai_emulator) for text in entry.json()["input"]]
    assert sorted(sent) == sorted(row["text"] for row in source)  # each once
    assert len(embedding_requests(openai_emulator)) <= 3  # packed
    assert usage_of(openai_emulator) == summary.usage["prompt_tokens"]
    assert any("300 / 300 rows (100%)" in message and "rows/s" in message for message in logger.messages)
    run.discard_checkpoint()
    assert not (tmp_path / "out.jsonl.checkpoint").exists()


def usage_of(emulator):
    return sum(entry.response_json()["usage"]["prompt_tokens"] for entry in embedding_requests(emulator))


def test_a_row_that_cannot_be_packed_is_refused_alone(openai_emulator, make_client, tmp_path):
    source = [{"text": f"text {n}"} for n in range(16)]
    source[5]["text"] = ""  # the emulator refuses an empty input, as OpenAI does
    summary = job(make_client, tmp_path / "out.jsonl", source).run()
    assert summary.counts == {SUCCEEDED: 15, FAILED: 1, "expired": 0}
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records[5]["status"] == FAILED and records[5]["error"]["message"]
    sent = sorted((entry.status, entry.json()["input"]) for entry in embedding_requests(openai_emulator))
    assert [(status, len(texts)) for status, texts in sent] == [(200, 5), (200, 10), (400, 0)]


def test_a_refused_packed_request_is_split_until_the_refused_row_stands_alone(openai_emulator, make_client, tmp_path):
    openai_emulator.add_fault(path="/v1/embeddings", status=400, message="Invalid input", times=4)
    source = [{"text": f"text {n}"} for n in "abcd"]
    summary = job(make_client, tmp_path / "out.jsonl", source, max_concurrency=1).run()
    sent = [(entry.status, entry.json()["input"]) for entry in embedding_requests(openai_emulator)]
    assert sent == [
        (400, ["text a", "text b", "text c", "text d"]), (400, ["text a", "text b"]), (400, ["text c", "text d"]),
        (400, ["text a"]), (200, ["text b"]), (200, ["text c"]), (200, ["text d"]),
    ]  # fmt: skip
    assert summary.counts == {SUCCEEDED: 3, FAILED: 1, "expired": 0} and summary.sample_errors == [
        "row-0: Invalid input"
    ]


def test_a_dropped_connection_is_retried_and_nothing_is_sent_twice(openai_emulator, make_client, tmp_path):
    openai_emulator.add_fault(path="/v1/embeddings", drop=True, times=1, skip=1)
    source = [{"text": f"text {n}"} for n in range(50)]
    summary = job(make_client, tmp_path / "out.jsonl", source, max_concurrency=1).run()
    assert summary.counts[SUCCEEDED] == 50


def test_a_stopped_run_keeps_what_finished_in_the_checkpoint(openai_emulator, make_client, tmp_path):
    from airflow_provider_openai_adv.bulk.direct import BulkStopped

    source = [{"text": f"text {n}"} for n in range(10)]
    run = job(make_client, tmp_path / "out.jsonl", source, template=CHAT, max_concurrency=1)
    original = DirectRequests._attempt

    def attempt(self, chunk, ticket):
        original(self, chunk, ticket)
        if self.tally.succeeded == 4:
            self.stop("the test says so")

    DirectRequests._attempt = attempt
    try:
        with pytest.raises(BulkStopped, match="the test says so"):
            run.run()
    finally:
        DirectRequests._attempt = original
    checkpoint = tmp_path / "out.jsonl.checkpoint" / "results.jsonl"
    assert [json.loads(line)["custom_id"] for line in checkpoint.read_text().splitlines()] == [
        f"row-{n}" for n in range(4)
    ]
    assert not (tmp_path / "out.jsonl").exists()
