"""``OpenAICreateFineTuneOperator`` waiting for its job: in the worker or deferred, never twice,
bounded by a deadline, cancelled on kill, with a dashboard link and a model Asset."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators import OpenAICreateFineTuneOperator
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore
from tests.fine_tuning import upload_training_data

WAYS = [pytest.param(False, id="in-worker"), pytest.param(True, id="deferred")]


@pytest.fixture
def fast(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=0.2, queued=0.2, running=0.6)
    return openai_emulator


def jobs_in(emulator) -> list:
    return list(emulator.state.store(FineTuningStore).jobs.values())


@pytest.mark.parametrize("deferrable", WAYS)
def test_it_starts_the_job_and_returns_it_trained(make_dag, run_dag, fast, deferrable, capfd):
    file_id = upload_training_data(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAICreateFineTuneOperator(
            task_id="tune", training_file=file_id, model="gpt-4o-mini", suffix="demo",
            wait_for_completion=True, deferrable=deferrable, poll_interval=0.2,
        )  # fmt: skip
    outcome = run_dag(dag)
    job = outcome.value("tune")
    assert job["status"] == "succeeded" and job["fine_tuned_model"].startswith("ft:gpt-4o-mini:emulator:demo:")
    assert outcome.value("tune", "fine_tune_id") == job["id"]
    log = capfd.readouterr().out
    assert f"[{job['id']}] step " in log and "train_loss=" in log  # progress while waiting
    assert f"Fine-tuned model ready: {job['fine_tuned_model']}" in log


@pytest.mark.parametrize("deferrable", WAYS)
def test_a_failed_job_fails_the_task_with_openais_message(make_dag, run_dag, fast, deferrable, capfd):
    file_id = upload_training_data(OpenAIAdvHook(), raw=b'{"messages": [{"role": "user", "content": "x"}]}\n' * 12)
    with make_dag() as dag:
        OpenAICreateFineTuneOperator(
            task_id="tune", training_file=file_id, model="gpt-4o-mini",
            wait_for_completion=True, deferrable=deferrable, poll_interval=0.2,
        )  # fmt: skip
    assert run_dag(dag).task_states[("tune", -1)] == "failed"
    assert "failed: The training file" in capfd.readouterr().out


@pytest.mark.parametrize("deferrable", WAYS)
@pytest.mark.parametrize("cancel", [True, False], ids=["cancels", "leaves-running"])
def test_a_timeout_cancels_the_job_unless_told_not_to(make_dag, run_dag, openai_emulator, deferrable, cancel, capfd):
    openai_emulator.set_fine_tune_timings(running=600)
    file_id = upload_training_data(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAICreateFineTuneOperator(
            task_id="tune", training_file=file_id, model="gpt-4o-mini", wait_for_completion=True,
            deferrable=deferrable, poll_interval=0.2, wait_timeout=0.6, cancel_on_timeout=cancel,
        )  # fmt: skip
    assert run_dag(dag).task_states[("tune", -1)] == "failed"
    (job,) = jobs_in(openai_emulator)
    status = OpenAIAdvHook().retrieve_fine_tune(job.id)["status"]
    log = capfd.readouterr().out
    if cancel:
        assert status == "cancelled" and "the job was cancelled" in log
    else:
        assert status != "cancelled" and "the job was left running" in log


def test_a_retried_task_reattaches_to_its_job_instead_of_paying_twice(make_dag, run_dag, fast):
    """The first try creates the job, then loses contact (a 400 on its first poll) and fails;
    the retry finds the job by its tag and waits on it."""
    file_id = upload_training_data(OpenAIAdvHook())
    fast.add_fault(path="/v1/fine_tuning/jobs/ftjob-*", method="GET", status=400, times=1)
    with make_dag() as dag:
        OpenAICreateFineTuneOperator(
            task_id="tune", training_file=file_id, model="gpt-4o-mini", wait_for_completion=True,
            deferrable=False, poll_interval=0.2, retries=1, retry_delay=0,
        )  # fmt: skip
    outcome = run_dag(dag)
    assert outcome.state == "success"
    assert len(jobs_in(fast)) == 1
    assert [entry.method for entry in fast.requests if entry.path == "/v1/fine_tuning/jobs"] == ["GET", "POST", "GET"]
    assert outcome.value("tune")["status"] == "succeeded"


def test_a_failed_or_cancelled_job_is_not_reused(fast):
    hook = OpenAIAdvHook()
    file_id = upload_training_data(hook)
    first = hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1")
    assert hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1") == first
    hook.cancel_fine_tune(first["id"])
    again = hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1")
    assert again["id"] != first["id"]


@pytest.mark.parametrize("cancel_on_kill", [True, False])
def test_killing_the_task_cancels_the_job_it_started(fast, cancel_on_kill):
    hook = OpenAIAdvHook()
    job = hook.create_fine_tune(training_file=upload_training_data(hook), model="gpt-4o-mini")
    task = OpenAICreateFineTuneOperator(
        task_id="tune", training_file="unused", model="gpt-4o-mini", cancel_on_kill=cancel_on_kill
    )
    task.job_id = job["id"]  # what execute() records once the job exists
    task.on_kill()
    assert (hook.retrieve_fine_tune(job["id"])["status"] == "cancelled") is cancel_on_kill


def test_a_finished_model_updates_the_asset_and_the_job_has_a_dashboard_link(make_dag, run_dag, fast):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    file_id = upload_training_data(OpenAIAdvHook())
    with make_dag() as dag:
        task = OpenAICreateFineTuneOperator(
            task_id="tune", training_file=file_id, model="gpt-4o-mini", wait_for_completion=True,
            deferrable=True, poll_interval=0.2, model_asset="openai://fine-tuned-models/demo",
        )  # fmt: skip
    outcome = run_dag(dag)
    job = outcome.value("tune")
    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == "openai://fine-tuned-models/demo")
            .all()
        )
        extras = [event.extra for event in events]
    assert {
        "fine_tuned_model": job["fine_tuned_model"],
        "fine_tune_id": job["id"],
        "base_model": "gpt-4o-mini",
    } in extras
    (link,) = task.operator_extra_links
    assert link.name == "OpenAI fine-tuning job"
    # Airflow resolves the link when the task ends and keeps the URL for the UI:
    assert outcome.value("tune", link.xcom_key) == f"https://platform.openai.com/finetune/{job['id']}"
