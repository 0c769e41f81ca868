"""Embeddings operator: small results inline, larger ones to a file."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.operators import OpenAICreateEmbeddingsOperator
from tests.dag_runs import refused
from tests.tasks import run_task


def test_a_small_result_goes_to_xcom_whole(openai_emulator):
    run = run_task(
        OpenAICreateEmbeddingsOperator(task_id="embed", input="{{ ds }}", model="text-embedding-3-small", dimensions=8)
    )
    assert openai_emulator.requests[-1].json() == {
        "input": "2024-01-01",
        "model": "text-embedding-3-small",
        "dimensions": 8,
    }
    assert len(run.value["data"][0]["embedding"]) == 8
    assert run.xcoms["usage"] == run.value["usage"]


def test_a_large_result_is_written_as_jsonl_and_xcom_holds_the_path(openai_emulator, tmp_path):
    texts = [f"document number {i}" for i in range(5)]
    summary = run_task(
        OpenAICreateEmbeddingsOperator(
            task_id="embed", input=texts, model="text-embedding-3-small", output_path=str(tmp_path)
        )
    ).value
    assert summary["count"] == 5 and summary["dimensions"] == 1536 and summary["usage"]["prompt_tokens"] > 0
    assert summary["path"] == str(tmp_path / "embed.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "embed.jsonl").read_text().splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3, 4] and len(lines[0]["embedding"]) == 1536


def test_mapped_tasks_write_one_file_each(make_dag, run_dag, openai_emulator, tmp_path):
    with make_dag() as dag:
        OpenAICreateEmbeddingsOperator.partial(
            task_id="embed", model="text-embedding-3-small", output_path=str(tmp_path)
        ).expand(input=["alpha", "beta", "gamma"])
    outcome = run_dag(dag)
    assert [summary["path"] for summary in outcome.mapped_values("embed")] == [
        str(tmp_path / f"embed-{index}.jsonl") for index in range(3)
    ]


def test_a_large_result_without_output_path_is_refused_before_the_request(openai_emulator):
    task = OpenAICreateEmbeddingsOperator(task_id="embed", input=["a", "b", "c"], model="text-embedding-3-large")
    with refused(match="^output_path: needed for 3 embeddings of 3072 dimensions"):
        run_task(task)
    assert openai_emulator.requests == []


def test_an_output_path_that_is_a_file_is_refused_before_the_request(openai_emulator, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    task = OpenAICreateEmbeddingsOperator(
        task_id="embed", input="x", model="text-embedding-3-small", output_path=str(taken)
    )
    with refused(match=f"^output_path: {taken} is a file; a folder is expected"):
        run_task(task)
    assert openai_emulator.requests == []


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"input": "", "model": "text-embedding-3-small"}, "input"),
        ({"input": ["ok", ""], "model": "text-embedding-3-small"}, "input[1]"),
        ({"input": "x", "model": "text-embedding-3-small", "dimensions": 0}, "dimensions"),
        ({"input": "x", "model": "text-embedding-3-small", "encoding_format": "hex"}, "encoding_format"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, arguments, named):
    with refused(named):
        run_task(OpenAICreateEmbeddingsOperator(task_id="bad", **arguments))
    assert openai_emulator.requests == []
