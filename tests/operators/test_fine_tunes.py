"""Fine-tune operators, today's endpoints and the legacy ones — through Airflow, on the emulator."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.operators import (
    OpenAICancelFineTuneOperator,
    OpenAICreateFineTuneOperator,
    OpenAIListFineTuneEventsOperator,
    OpenAIListFineTunesOperator,
    OpenAIRetrieveFineTuneOperator,
)
from tests.dag_runs import names_argument

EXAMPLES = [
    {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
    for i in range(12)
]


@pytest.fixture
def training_file_id(openai_emulator, tmp_path):
    """Uploaded chat data; jobs stay in progress for minutes (of emulator time), so they can be cancelled."""
    openai_emulator.set_fine_tune_timings(validating=300, queued=300, running=600)
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in EXAMPLES))
    file_id = OpenAIAdvHook().upload_file(path, purpose="fine-tune")["id"]
    openai_emulator.app.journal.clear()
    return file_id


def test_create_sends_hyperparameters_as_the_supervised_method(make_dag, run_dag, openai_emulator, training_file_id):
    with make_dag() as dag:
        OpenAICreateFineTuneOperator(
            task_id="create", training_file=training_file_id, model="gpt-4o-mini", n_epochs=3, suffix="demo",
            metadata={"team": "{{ dag.owner }}"},
        )  # fmt: skip
    job = run_dag(dag).value("create")
    lookup, create = openai_emulator.requests
    tag = create.json()["metadata"]["airflow_task"]
    assert tag.startswith(f"{dag.dag_id}/create/manual__") and tag.endswith("/-1")
    assert (lookup.method, lookup.path, lookup.query) == (
        "GET",
        "/v1/fine_tuning/jobs",
        {"metadata[airflow_task]": tag},
    )
    assert create.json() == {
        "training_file": training_file_id,
        "model": "gpt-4o-mini",
        "suffix": "demo",
        "metadata": {"team": "airflow", "airflow_task": tag},
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    }
    assert job["object"] == "fine_tuning.job" and job["id"].startswith("ftjob-")


def test_retrieve_list_events_and_cancel(make_dag, run_dag, openai_emulator, training_file_id):
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    job_id = OpenAIAdvHook().create_fine_tune(training_file=training_file_id, model="gpt-4o-mini")["id"]
    with make_dag() as dag:
        retrieve = OpenAIRetrieveFineTuneOperator(task_id="retrieve", fine_tune_id=job_id)
        listed = OpenAIListFineTunesOperator(task_id="list", limit=10)
        events = OpenAIListFineTuneEventsOperator(task_id="events", fine_tune_id=job_id)
        cancel = OpenAICancelFineTuneOperator(task_id="cancel", fine_tune_id=job_id)
        retrieve >> listed >> events >> cancel
    outcome = run_dag(dag)
    assert outcome.value("retrieve")["id"] == job_id
    assert [job["id"] for job in outcome.value("list")] == [job_id]
    assert outcome.value("events") and all(
        event["object"] == "fine_tuning.job.event" for event in outcome.value("events")
    )
    assert outcome.value("cancel")["status"] == "cancelled"
    assert [entry.path for entry in openai_emulator.requests[-4:]] == [
        f"/v1/fine_tuning/jobs/{job_id}",
        "/v1/fine_tuning/jobs",
        f"/v1/fine_tuning/jobs/{job_id}/events",
        f"/v1/fine_tuning/jobs/{job_id}/cancel",
    ]


def test_the_legacy_endpoints_on_request(make_dag, run_dag, openai_emulator, training_file_id):
    with make_dag() as dag:
        create = OpenAICreateFineTuneOperator(
            task_id="create",
            training_file=training_file_id,
            model="curie",
            n_epochs=2,
            prompt_loss_weight=0.1,
            legacy=True,
        )
        retrieve = OpenAIRetrieveFineTuneOperator(
            task_id="retrieve", fine_tune_id="{{ ti.xcom_pull('create')['id'] }}", legacy=True
        )
        events = OpenAIListFineTuneEventsOperator(
            task_id="events", fine_tune_id="{{ ti.xcom_pull('create')['id'] }}", legacy=True
        )
        listed = OpenAIListFineTunesOperator(task_id="list", legacy=True)
        cancel = OpenAICancelFineTuneOperator(
            task_id="cancel", fine_tune_id="{{ ti.xcom_pull('create')['id'] }}", legacy=True
        )
        create >> retrieve >> events >> listed >> cancel
    outcome = run_dag(dag)
    job = outcome.value("create")
    assert job["object"] == "fine-tune"
    assert openai_emulator.requests[0].json() == {
        "training_file": training_file_id, "model": "curie", "n_epochs": 2, "prompt_loss_weight": 0.1
    }  # fmt: skip
    assert outcome.value("retrieve")["id"] == job["id"]
    assert outcome.value("events")[0]["object"] == "fine-tune-event"
    assert [item["id"] for item in outcome.value("list")] == [job["id"]]
    assert outcome.value("cancel")["status"] == "cancelled"
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
    with pytest.raises(OpenAIValidationError, match=names_argument(named)):
        OpenAICreateFineTuneOperator(task_id="bad", **arguments).execute(context={})
    assert openai_emulator.requests == []


@pytest.mark.parametrize(
    "operator", [OpenAIRetrieveFineTuneOperator, OpenAICancelFineTuneOperator, OpenAIListFineTuneEventsOperator]
)
def test_an_empty_job_id_is_refused(openai_emulator, operator):
    with pytest.raises(OpenAIValidationError, match="^fine_tune_id"):
        operator(task_id="bad", fine_tune_id="").execute(context={})
    assert openai_emulator.requests == []
