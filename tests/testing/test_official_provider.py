"""The official ``apache-airflow-providers-openai`` runs its batch and response operators, and its hook's
response and conversation methods, against the emulator.

Its hook builds an ``openai.OpenAI`` client from an ``openai`` connection whose host is
the base URL, so ``AIRFLOW_CONN_OPENAI_DEFAULT`` pointing at the emulator is all it
takes. Batches here take well under a second of wall clock (the emulator clock follows
it), so the operator's own polling sees them end.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("airflow.providers.openai")

import openai  # noqa: E402
from airflow.providers.openai.hooks.openai import OpenAIHook  # noqa: E402
from airflow.providers.openai.operators.openai import OpenAIResponseOperator, OpenAITriggerBatchOperator  # noqa: E402
from pydantic import BaseModel  # noqa: E402

LINES = [
    {
        "custom_id": f"r{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Question {i}"}]},
    }
    for i in range(3)
]


@pytest.fixture
def official_connection(openai_emulator, monkeypatch):
    """The official provider's default connection, on the emulator; batches that end in a fraction of a second."""
    connection = {"conn_type": "openai", "host": openai_emulator.base_url, "password": openai_emulator.api_key}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_DEFAULT", json.dumps(connection))
    openai_emulator.set_batch_timings(validating=0.05, per_request=0.01, finalizing=0.05)
    return openai_emulator


def upload(http, lines) -> str:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return http.post("/files", files={"file": ("in.jsonl", text.encode())}, data={"purpose": "batch"}).json()["id"]


def batch_operator(file_id: str, **kwargs) -> OpenAITriggerBatchOperator:
    return OpenAITriggerBatchOperator(
        task_id="batch",
        file_id=file_id,
        endpoint="/v1/chat/completions",
        metadata={"run": "{{ run_id }}"},
        wait_seconds=0.05,
        timeout=60,
        **kwargs,
    )


@pytest.mark.parametrize("deferrable", [False, True])
def test_the_official_batch_operator_runs_a_batch_to_completion(
    official_connection, http, make_dag, run_dag, deferrable
):
    file_id = upload(http, LINES)
    with make_dag() as dag:
        batch_operator(file_id, deferrable=deferrable, poll_interval=0.05)
    outcome = run_dag(dag)
    assert outcome.state == "success", outcome.task_states
    batch = http.get(f"/batches/{outcome.value('batch')}").json()
    assert batch["status"] == "completed" and batch["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    assert batch["metadata"]["run"].startswith("manual__")  # templated, then kept as given
    output = http.get(f"/files/{batch['output_file_id']}/content").text.splitlines()
    assert [json.loads(line)["custom_id"] for line in output] == ["r0", "r1", "r2"]


def test_the_official_batch_operator_fails_on_a_failed_batch(official_connection, http, make_dag, run_dag):
    with make_dag() as dag:
        batch_operator(upload(http, ["not json"]), retries=0)
    outcome = run_dag(dag)
    assert outcome.state == "failed" and outcome.task_states[("batch", -1)] == "failed"
    (batch,) = http.get("/batches").json()["data"]
    assert batch["status"] == "failed" and batch["errors"]["data"][0]["code"] == "invalid_json_line"


# -- the Responses API: the operator and the hook ------------------------------------------------


class Forecast(BaseModel):
    city: str
    days: list[int]


def test_the_official_response_operator_returns_the_text_and_pushes_id_and_usage(
    official_connection, http, make_dag, run_dag
):
    with make_dag() as dag:
        first = OpenAIResponseOperator(task_id="first", conn_id="openai_default", input_text="My name is Ada.")
        second = OpenAIResponseOperator(
            task_id="second",
            conn_id="openai_default",
            input_text="What is my name?",
            response_kwargs={"previous_response_id": "{{ ti.xcom_pull(task_ids='first', key='response_id') }}"},
        )
        first >> second
    outcome = run_dag(dag)
    assert outcome.state == "success", outcome.task_states
    assert outcome.value("first") == "Emulated reply from gpt-4o-mini: My name is Ada."
    usage = outcome.value("first", "usage")
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] and usage["try_number"] == 1
    second_id = outcome.value("second", "response_id")
    assert http.get(f"/responses/{second_id}").json()["previous_response_id"] == outcome.value("first", "response_id")


def test_the_official_response_operator_parses_structured_output(official_connection, make_dag, run_dag):
    with make_dag() as dag:
        OpenAIResponseOperator(
            task_id="forecast", conn_id="openai_default", input_text="Weather in Paris?", text_format=Forecast
        )
    outcome = run_dag(dag)
    assert outcome.state == "success", outcome.task_states
    assert Forecast.model_validate(outcome.value("forecast"))


def test_the_official_response_operator_returns_a_cut_answer(official_connection, make_dag, run_dag):
    with make_dag() as dag:
        OpenAIResponseOperator(task_id="cut", conn_id="openai_default", input_text="word " * 40, max_output_tokens=16)
    outcome = run_dag(dag)
    assert outcome.state == "success" and len(outcome.value("cut")) == 64


def test_the_official_hooks_response_methods(official_connection):
    hook = OpenAIHook(conn_id="openai_default")
    official_connection.set_response_timings(queued=100, in_progress=100)
    created = hook.create_response(input="Hello", instructions="Be brief.")
    assert hook.get_response(created.id).output_text == created.output_text
    parsed = hook.parse_response(input="Weather?", text_format=Forecast)
    assert isinstance(parsed.output_parsed, Forecast)
    background = hook.create_response(input="Later", background=True)
    assert hook.cancel_response(background.id).status == "cancelled"
    hook.delete_response(created.id)
    with pytest.raises(openai.NotFoundError):
        hook.get_response(created.id)


def test_the_official_hooks_conversation_methods(official_connection, http):
    hook = OpenAIHook(conn_id="openai_default")
    conversation = hook.create_conversation(metadata={"dag": "demo"})
    assert hook.get_conversation(conversation.id).metadata == {"dag": "demo"}
    reply = hook.create_response(input="Hello", conversation=conversation.id)
    items = http.get(f"/conversations/{conversation.id}/items", params={"order": "asc"}).json()["data"]
    assert [item["role"] for item in items] == ["user", "assistant"]
    assert items[1]["content"][0]["text"] == reply.output_text
    assert hook.update_conversation(conversation.id, metadata={"dag": "other"}).metadata == {"dag": "other"}
    assert hook.delete_conversation(conversation.id).deleted
