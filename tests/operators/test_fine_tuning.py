"""Fine-tune operators, today's endpoints and the legacy ones — executed as a worker would, on the emulator."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators import (
    OpenAICancelFineTuneOperator,
    OpenAICreateFineTuneOperator,
    OpenAIListFineTuneEventsOperator,
    OpenAIListFineTunesOperator,
    OpenAIRetrieveFineTuneOperator,
)
from tests.dag_runs import refused
from tests.tasks import run_task

EXAMPLES = [
    {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
    for i in range(12)
]


@pytest.fixture
def training_file_id(openai_emulator, tmp_path):
    """Uploaded chat data; jobs stay in progress for minutes (of emulator time), so they can be cancelled."""
    openai_emulator.set_fine_tune_timings(validating=300, queued=300, running=600)
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in EXAMPLES))
    file_id = OpenAIAdvHook().upload_file(path, purpose="fine-tune")["id"]
    openai_emulator.app.journal.clear()
    return file_id


def test_create_sends_hyperparameters_as_the_supervised_method(openai_emulator, training_file_id):
    run = run_task(
        OpenAICreateFineTuneOperator(
            task_id="create", training_file=training_file_id, model="gpt-4o-mini", n_epochs=3, suffix="demo",
            metadata={"team": "{{ ds }}"},
        )
    )  # fmt: skip
    job = run.value
    lookup, create = openai_emulator.requests
    tag = create.json()["metadata"]["airflow_task"]
    assert tag == "tier_dag/create/manual__2024-01-01T00:00:00+00:00/-1"  # dag/task/run/map index
    assert (lookup.method, lookup.path, lookup.query) == (
        "GET",
        "/v1/fine_tuning/jobs",
        {"metadata[airflow_task]": tag},
    )
    assert create.json() == {
        "training_file": training_file_id,
        "model": "gpt-4o-mini",
        "suffix": "demo",
        "metadata": {"team": "2024-01-01", "airflow_task": tag},
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    }
    assert job["object"] == "fine_tuning.job" and job["id"].startswith("ftjob-")
    assert run.xcoms["fine_tune_id"] == job["id"]  # for the dashboard link


def test_retrieve_list_events_and_cancel(openai_emulator, training_file_id):
    job_id = OpenAIAdvHook().create_fine_tune(training_file=training_file_id, model="gpt-4o-mini")["id"]
    retrieved = run_task(OpenAIRetrieveFineTuneOperator(task_id="retrieve", fine_tune_id=job_id)).value
    listed = run_task(OpenAIListFineTunesOperator(task_id="list", limit=10)).value
    events = run_task(OpenAIListFineTuneEventsOperator(task_id="events", fine_tune_id=job_id)).value
    cancelled = run_task(OpenAICancelFineTuneOperator(task_id="cancel", fine_tune_id=job_id)).value
    assert retrieved["id"] == job_id
    assert [job["id"] for job in listed] == [job_id]
    assert events and all(event["object"] == "fine_tuning.job.event" for event in events)
    assert cancelled["status"] == "cancelled"
    assert [entry.path for entry in openai_emulator.requests[-4:]] == [
        f"/v1/fine_tuning/jobs/{job_id}",
        "/v1/fine_tuning/jobs",
        f"/v1/fine_tuning/jobs/{job_id}/events",
        f"/v1/fine_tuning/jobs/{job_id}/cancel",
    ]


@pytest.mark.parametrize("how", ["argument", "connection"])
def test_the_legacy_endpoints_on_request(openai_emulator, training_file_id, monkeypatch, how):
    if how == "connection":
        monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(legacy_endpoints=True))
    legacy = {"legacy": True} if how == "argument" else {}
    create = OpenAICreateFineTuneOperator(
        task_id="create", training_file=training_file_id, model="curie", n_epochs=2, prompt_loss_weight=0.1, **legacy
    )
    job = run_task(create).value
    assert job["object"] == "fine-tune"
    assert openai_emulator.requests[0].json() == {
        "training_file": training_file_id, "model": "curie", "n_epochs": 2, "prompt_loss_weight": 0.1
    }  # no reattach lookup or tag: the 2023 API had no metadata  # fmt: skip
    retrieved = run_task(OpenAIRetrieveFineTuneOperator(task_id="retrieve", fine_tune_id=job["id"], **legacy)).value
    events = run_task(OpenAIListFineTuneEventsOperator(task_id="events", fine_tune_id=job["id"], **legacy)).value
    listed = run_task(OpenAIListFineTunesOperator(task_id="list", **legacy)).value
    cancelled = run_task(OpenAICancelFineTuneOperator(task_id="cancel", fine_tune_id=job["id"], **legacy)).value
    assert retrieved["id"] == job["id"]
    assert events[0]["object"] == "fine-tune-event"
    assert [item["id"] for item in listed] == [job["id"]]
    assert cancelled["status"] == "cancelled"
    assert [entry.path.split("/")[2] for entry in openai_emulator.requests] == ["fine-tunes"] * 5


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"training_file": "", "model": "gpt-4o-mini"}, "training_file"),
        ({"training_file": "file-1"}, "model"),
        ({"training_file": "file-1", "model": "gpt-4o-mini", "prompt_loss_weight": 0.1}, "prompt_loss_weight"),
        ({"training_file": "file-1", "model": "gpt-4o-mini", "n_epochs": 2, "method": {"type": "dpo"}}, "n_epochs"),
        ({"training_file": "file-1", "model": "curie", "seed": 1, "legacy": True}, "seed"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, arguments, named):
    with refused(named):
        run_task(OpenAICreateFineTuneOperator(task_id="bad", **arguments))
    assert openai_emulator.requests == []


@pytest.mark.parametrize(
    "operator", [OpenAIRetrieveFineTuneOperator, OpenAICancelFineTuneOperator, OpenAIListFineTuneEventsOperator]
)
def test_an_empty_job_id_is_refused(openai_emulator, operator):
    with refused("fine_tune_id"):
        run_task(operator(task_id="bad", fine_tune_id=""))
    assert openai_emulator.requests == []
