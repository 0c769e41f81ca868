"""Checking fine-tuning data through Airflow: a report in XCom, a failed task for bad data, no API call."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.operators import OpenAICheckFineTuneDataOperator
from tests.dag_runs import names_argument

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


def test_good_data_gives_its_report_to_xcom(make_dag, run_dag, openai_emulator, good_file):
    with make_dag(params={"folder": str(good_file.parent)}) as dag:
        OpenAICheckFineTuneDataOperator(task_id="check", file="{{ params.folder }}/good.jsonl")
    outcome = run_dag(dag)
    report = outcome.value("check")
    assert outcome.task_states[("check", -1)] == "success"
    assert report["ok"] and report["errors"] == [] and report["source"] == str(good_file)
    assert (report["data_format"], report["examples"]) == ("chat", 10)
    assert report["estimated_tokens"] > 0
    assert openai_emulator.requests == []


def test_bad_data_fails_the_task_naming_the_line(make_dag, run_dag, openai_emulator, bad_file, capfd):
    with make_dag() as dag:
        OpenAICheckFineTuneDataOperator(task_id="check", file=str(bad_file))
    outcome = run_dag(dag)
    assert outcome.task_states[("check", -1)] == "failed"
    assert ("check", -1, "return_value") not in outcome.xcoms
    assert f"file: {bad_file} is not valid chat fine-tuning data: 9 valid examples" in capfd.readouterr().out
    assert openai_emulator.requests == []


def test_without_fail_on_error_the_errors_are_only_reported(make_dag, run_dag, openai_emulator, bad_file):
    with make_dag() as dag:
        OpenAICheckFineTuneDataOperator(task_id="check", file=str(bad_file), min_examples=9, fail_on_error=False)
    outcome = run_dag(dag)
    assert outcome.task_states[("check", -1)] == "success"
    report = outcome.value("check")
    assert not report["ok"] and report["examples"] == 9
    assert report["errors"] == [{"line": 10, "message": "messages[0]: 'content' is missing; only an assistant "
                                 "message with tool_calls may omit it"}]  # fmt: skip
    assert openai_emulator.requests == []


def test_the_limits_are_passed_to_the_check(tmp_path):
    path = write(tmp_path / "one.jsonl", json.dumps({"prompt": "x" * 40, "completion": "y"}))
    operator = OpenAICheckFineTuneDataOperator(
        task_id="check", file=str(path), data_format="completion", min_examples=1, max_example_tokens=None
    )
    assert operator.execute(context={})["ok"]
    operator = OpenAICheckFineTuneDataOperator(
        task_id="check", file=str(path), min_examples=0, max_example_tokens=5, fail_on_error=False
    )
    assert operator.execute(context={})["errors"] == [{"line": 1, "message": "about 11 tokens, over the limit of 5"}]


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
    with pytest.raises(OpenAIValidationError, match=names_argument(named)):
        OpenAICheckFineTuneDataOperator(task_id="bad", **arguments).execute(context={})
    assert openai_emulator.requests == []
