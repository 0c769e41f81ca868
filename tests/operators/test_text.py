"""Text operators: chat completions, completions, edits — executed as a worker would, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.operators import (
    OpenAICreateChatCompletionOperator,
    OpenAICreateCompletionOperator,
    OpenAICreateEditOperator,
)
from tests.dag_runs import refused
from tests.tasks import run_task

HI = [{"role": "user", "content": "Say hi on {{ ds }}"}]
SAID = "Say hi on 2024-01-01"


def test_chat_sends_every_given_parameter_and_returns_the_completion(openai_emulator):
    run = run_task(
        OpenAICreateChatCompletionOperator(
            task_id="chat", model="gpt-4o-mini", messages=HI, temperature=0.3, max_completion_tokens=40, n=2,
            seed=7, stop=["\n\n"], response_format={"type": "text"}, user="dag-author",
        )
    )  # fmt: skip
    sent = openai_emulator.requests[-1].json()
    assert sent == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": SAID}],  # templated
        "temperature": 0.3,
        "max_completion_tokens": 40,
        "n": 2,
        "seed": 7,
        "stop": ["\n\n"],
        "response_format": {"type": "text"},
        "user": "dag-author",
    }
    completion = run.value
    assert [choice["index"] for choice in completion["choices"]] == [0, 1]
    assert completion["choices"][0]["message"]["content"] == f"Emulated reply from gpt-4o-mini: {SAID}"
    assert run.xcoms["usage"] == completion["usage"]


def test_chat_streaming_logs_deltas_and_returns_the_assembled_answer(openai_emulator, capfd):
    run = run_task(OpenAICreateChatCompletionOperator(task_id="chat", model="gpt-4o-mini", messages=HI, stream=True))
    completion = run.value
    assert completion["choices"][0]["message"]["content"] == f"Emulated reply from gpt-4o-mini: {SAID}"
    assert completion["usage"]["total_tokens"] > 0 and run.xcoms["usage"] == completion["usage"]
    assert openai_emulator.requests[-1].json()["stream"] is True
    task_log = capfd.readouterr().out  # the task logger writes to stdout
    assert f"[stream choice 0] Emulated reply from gpt-4o-mini: {SAID}" in task_log


def test_completion_returns_text_choices(openai_emulator):
    run = run_task(
        OpenAICreateCompletionOperator(
            task_id="complete",
            model="gpt-3.5-turbo-instruct",
            prompt="Once upon a time",
            max_tokens=30,
            suffix="The end.",
        )
    )
    assert openai_emulator.requests[-1].path == "/v1/completions"
    assert openai_emulator.requests[-1].json() == {
        "model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time", "max_tokens": 30, "suffix": "The end."
    }  # fmt: skip
    completion = run.value
    assert completion["object"] == "text_completion" and completion["choices"][0]["text"]
    assert run.xcoms["usage"]["total_tokens"] > 0


def test_completion_streaming_is_assembled(openai_emulator):
    completion = run_task(
        OpenAICreateCompletionOperator(
            task_id="complete", model="gpt-3.5-turbo-instruct", prompt="Count: one two", stream=True, max_tokens=50
        )
    ).value
    assert "Count: one two" in completion["choices"][0]["text"]
    assert completion["usage"]["total_tokens"] > 0


def test_edit_uses_chat_completions_today_and_returns_an_edit(openai_emulator):
    task = OpenAICreateEditOperator(task_id="edit", instruction="Fix the spelling", input="Helo wrld", n=1)
    edit = run_task(task).value
    request = openai_emulator.requests[-1]
    assert request.path == "/v1/chat/completions"
    sent = request.json()
    assert sent["model"] == "gpt-4o-mini"
    assert "Fix the spelling" in sent["messages"][0]["content"] and sent["messages"][1]["content"] == "Helo wrld"
    assert edit["object"] == "edit"
    assert edit["choices"][0]["text"] == "Emulated reply from gpt-4o-mini: Helo wrld"
    assert edit["usage"]["total_tokens"] > 0


def test_edit_goes_to_the_legacy_path_on_request(openai_emulator):
    task = OpenAICreateEditOperator(task_id="edit", instruction="Fix the spelling", input="Helo wrld", legacy=True)
    edit = run_task(task).value
    request = openai_emulator.requests[-1]
    assert request.path == "/v1/edits"
    assert request.json() == {"model": "text-davinci-edit-001", "instruction": "Fix the spelling", "input": "Helo wrld"}
    assert edit["object"] == "edit" and edit["choices"][0]["text"]


def test_the_connection_extra_turns_legacy_paths_on(openai_emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(legacy_endpoints=True))
    run_task(OpenAICreateEditOperator(task_id="edit", instruction="Shout", input="hello"))
    assert openai_emulator.requests[-1].path == "/v1/edits"


def test_a_retired_edit_model_is_replaced_today(openai_emulator):
    task = OpenAICreateEditOperator(task_id="edit", instruction="Shout", input="hello", model="text-davinci-edit-001")
    run_task(task)
    assert openai_emulator.requests[-1].json()["model"] == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("operator", "arguments", "named"),
    [
        (OpenAICreateChatCompletionOperator, {"model": "gpt-4o-mini", "messages": []}, "messages"),
        (OpenAICreateChatCompletionOperator, {"model": "gpt-4o-mini", "messages": [{"content": "x"}]}, "messages[0]"),
        (OpenAICreateChatCompletionOperator, {"model": "gpt-4o-mini", "messages": HI, "n": 0}, "n"),
        (
            OpenAICreateChatCompletionOperator,
            {"model": "gpt-4o-mini", "messages": HI, "temperature": 2.5},
            "temperature",
        ),
        (OpenAICreateChatCompletionOperator, {"model": "", "messages": HI}, "model"),
        (OpenAICreateCompletionOperator, {"model": "gpt-3.5-turbo-instruct", "prompt": "  "}, "prompt"),
        (OpenAICreateCompletionOperator, {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "best_of": 30}, "best_of"),
        (OpenAICreateCompletionOperator, {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "stop": ["a"] * 5}, "stop"),
        (OpenAICreateEditOperator, {"instruction": ""}, "instruction"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, operator, arguments, named):
    task = operator(task_id="bad", **arguments)
    with refused(named) as caught:
        run_task(task)
    assert isinstance(caught.value.__cause__, ValueError)
    assert openai_emulator.requests == []
