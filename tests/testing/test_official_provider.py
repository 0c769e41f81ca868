"""The official ``apache-airflow-providers-openai`` runs its batch operator against the emulator.

Its hook builds an ``openai.OpenAI`` client from an ``openai`` connection whose host is
the base URL, so ``AIRFLOW_CONN_OPENAI_DEFAULT`` pointing at the emulator is all it
takes. Batches here take well under a second of wall clock (the emulator clock follows
it), so the operator's own polling sees them end.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("airflow.providers.openai")

from airflow.providers.openai.operators.openai import OpenAITriggerBatchOperator  # noqa: E402

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
