"""Checking fine-tuning data in a task: a report in XCom, a failed task for bad data, no API call."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.operators import OpenAICheckFineTuneDataOperator
from tests.dag_runs import refused
from tests.tasks import run_task

EXAMPLES = [
    {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
    for i in range(10)
]


def write(path, *lines: str):
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def good_file(tmp_path):
    return write(tmp_path / "good.jsonl", *map(json.dumps, EXAMPLES))


@pytest.fixture
def bad_file(tmp_path):
    return write(tmp_path / "bad.jsonl", *map(json.dumps, EXAMPLES[:9]), '{"messages": [{"role": "user"}]}')


def test_good_data_gives_its_report_to_xcom(openai_emulator, tmp_path):
    good_file = write(tmp_path / "2024-01-01.jsonl", *map(json.dumps, EXAMPLES))
    report = run_task(OpenAICheckFineTuneDataOperator(task_id="check", file=f"{tmp_path}/{{{{ ds }}}}.jsonl")).value
    assert report["ok"] and report["errors"] == [] and report["source"] == str(good_file)
    assert (report["data_format"], report["examples"]) == ("chat", 10)
    assert report["estimated_tokens"] > 0
    assert openai_emulator.requests == []


def test_bad_data_fails_the_task_naming_the_line(openai_emulator, bad_file):
    """For good: the same data would fail the same way on every retry."""
    with refused(match=f"^file: {bad_file} is not valid chat fine-tuning data: 9 valid examples.*line 10: "):
        run_task(OpenAICheckFineTuneDataOperator(task_id="check", file=str(bad_file)))
    assert openai_emulator.requests == []


def test_without_fail_on_error_the_errors_are_only_reported(openai_emulator, bad_file):
    task = OpenAICheckFineTuneDataOperator(task_id="check", file=str(bad_file), min_examples=9, fail_on_error=False)
    report = run_task(task).value
    assert not report["ok"] and report["examples"] == 9
    assert report["errors"] == [{"line": 10, "message": "messages[0]: 'content' is missing; only an assistant "
                                 "message with tool_calls may omit it"}]  # fmt: skip
    assert openai_emulator.requests == []


def test_the_limits_are_passed_to_the_check(tmp_path):
    path = write(tmp_path / "one.jsonl", json.dumps({"prompt": "x" * 40, "completion": "y"}))
    operator = OpenAICheckFineTuneDataOperator(
        task_id="check", file=str(path), data_format="completion", min_examples=1, max_example_tokens=None
    )
    assert run_task(operator).value["ok"]
    operator = OpenAICheckFineTuneDataOperator(
        task_id="check", file=str(path), min_examples=0, max_example_tokens=5, fail_on_error=False
    )
    assert run_task(operator).value["errors"] == [{"line": 1, "message": "about 11 tokens, over the limit of 5"}]


def test_an_object_storage_file_is_checked(openai_emulator):
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())
    with ObjectStoragePath("memory://bucket/check/train.jsonl").open("wb") as out:
        out.write("".join(json.dumps(example) + "\n" for example in EXAMPLES).encode())
    report = run_task(OpenAICheckFineTuneDataOperator(task_id="check", file="memory://bucket/check/train.jsonl")).value
    assert report["ok"] and report["examples"] == 10 and report["source"] == "memory://bucket/check/train.jsonl"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"file": "/no/such/train.jsonl"}, "file"),
        ({"file": ""}, "file"),
        ({"file": "/no/such/train.jsonl", "data_format": "yaml"}, "file"),
        ({"file": "/etc/hostname", "data_format": "yaml"}, "data_format"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, arguments, named):
    with refused(named):
        run_task(OpenAICheckFineTuneDataOperator(task_id="bad", **arguments))
    assert openai_emulator.requests == []
