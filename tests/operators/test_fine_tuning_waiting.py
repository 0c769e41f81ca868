"""``OpenAICreateFineTuneOperator`` waiting for its job: in the worker or deferred, never twice,
bounded by a deadline and by ``execution_timeout``, riding out outages, cancelled on kill,
with a dashboard link and a model Asset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.events import JobWaitFailed
from airflow_provider_openai_adv.operators import OpenAICreateFineTuneOperator
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore
from tests.fine_tuning import upload_training_data
from tests.tasks import run_task

WAYS = [pytest.param(False, id="in-worker"), pytest.param(True, id="deferred")]


@pytest.fixture
def fast(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=0.1, queued=0.1, running=0.3)
    return openai_emulator


def jobs_in(emulator) -> list:
    return list(emulator.state.store(FineTuningStore).jobs.values())


def fine_tune(file_id: str, **options) -> OpenAICreateFineTuneOperator:
    settings = {"wait_for_completion": True, "poll_interval": 0.05, **options}
    return OpenAICreateFineTuneOperator(task_id="tune", training_file=file_id, model="gpt-4o-mini", **settings)


class Time:
    """The wait-in-worker's clock and sleep, moving the emulator's clock too."""

    def __init__(self, emulator):
        self.emulator, self.now, self.pauses = emulator, 1_700_000_000.0, []
        self.on_pause = None

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds
        self.emulator.advance_clock(seconds)
        if self.on_pause:
            self.on_pause(len(self.pauses))


@pytest.mark.parametrize("deferrable", WAYS)
def test_it_starts_the_job_and_returns_it_trained(fast, deferrable, capfd):
    file_id = upload_training_data(OpenAIAdvHook())
    run = run_task(fine_tune(file_id, suffix="demo", deferrable=deferrable))
    job = run.value
    assert job["status"] == "succeeded" and job["fine_tuned_model"].startswith("ft:gpt-4o-mini:emulator:demo:")
    assert run.xcoms["fine_tune_id"] == job["id"] and run.deferrals == int(deferrable)
    log = capfd.readouterr().out
    assert f"Fine-tuned model ready: {job['fine_tuned_model']}" in log
    assert f"[{job['id']}] step " in log and "train_loss=" in log  # progress while waiting


@pytest.mark.parametrize("deferrable", WAYS)
def test_a_failed_job_fails_the_task_with_openais_message(fast, deferrable):
    file_id = upload_training_data(OpenAIAdvHook(), raw=b'{"messages": [{"role": "user", "content": "x"}]}\n' * 12)
    with pytest.raises(JobWaitFailed, match="failed: The training file"):
        run_task(fine_tune(file_id, deferrable=deferrable))


@pytest.mark.parametrize("deferrable", WAYS)
@pytest.mark.parametrize("cancel", [True, False], ids=["cancels", "leaves-running"])
def test_a_timeout_cancels_the_job_unless_told_not_to(openai_emulator, deferrable, cancel):
    openai_emulator.set_fine_tune_timings(running=600)
    file_id = upload_training_data(OpenAIAdvHook())
    expected = "the job was cancelled" if cancel else "the job was left running"
    with pytest.raises(JobWaitFailed, match=expected):
        run_task(fine_tune(file_id, deferrable=deferrable, wait_timeout=0.3, cancel_on_timeout=cancel))
    (job,) = jobs_in(openai_emulator)
    assert (OpenAIAdvHook().retrieve_fine_tune(job.id)["status"] == "cancelled") is cancel


@pytest.mark.parametrize("deferrable", WAYS)
def test_execution_timeout_bounds_the_wait_too(openai_emulator, deferrable):
    """The task started 59.7 s ago with a 60 s execution_timeout: the wait ends at that
    deadline, the job is cancelled, and a deferral carries Airflow's own timeout too."""
    openai_emulator.set_fine_tune_timings(running=600)
    file_id = upload_training_data(OpenAIAdvHook())
    started = datetime.now(timezone.utc) - timedelta(seconds=59.7)
    task = fine_tune(file_id, deferrable=deferrable, execution_timeout=timedelta(seconds=60))
    with pytest.raises(JobWaitFailed, match="timed out.*the job was cancelled"):
        run_task(task, start_date=started)


def test_a_deferral_is_bounded_by_airflow_as_well(fast):
    from airflow.sdk.exceptions import TaskDeferred

    from tests.tasks import RecordingTaskInstance, _context

    file_id = upload_training_data(OpenAIAdvHook())
    task = fine_tune(file_id, deferrable=True, wait_timeout=600)
    task.clock = lambda: 1_800_000_000.0  # the time stands still: the bound is exact
    ti = RecordingTaskInstance("tune")
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(_context(ti))
    assert deferred.value.timeout == timedelta(seconds=600 + 60)  # the wait's own timeout, and a margin to report it
    assert deferred.value.trigger.deadline == 1_800_000_000.0 + 600


def test_a_deferred_wait_settles_before_its_first_poll(fast, monkeypatch):
    """Out of Airflow's race window: a trigger firing within seconds of the deferral can fail
    the task (apache/airflow#67287), so the trigger polls nothing for DEFER_SETTLE seconds."""
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_provider_openai_adv.waiting import DEFER_SETTLE, JobWaiter
    from tests.tasks import RecordingTaskInstance, _context

    monkeypatch.setattr(JobWaiter, "defer_settle", DEFER_SETTLE)  # the deployment's, not the tests' 0
    task = fine_tune(upload_training_data(OpenAIAdvHook()), deferrable=True)
    task.clock = lambda: 1_800_000_000.0
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(_context(RecordingTaskInstance("tune")))
    assert deferred.value.trigger.not_before == 1_800_000_000.0 + DEFER_SETTLE == 1_800_000_015.0


def test_an_outage_while_waiting_in_the_worker_is_ridden_out(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=30, queued=30, running=120)
    file_id = upload_training_data(OpenAIAdvHook())
    task = fine_tune(file_id, deferrable=False, poll_interval=60)
    time_ = Time(openai_emulator)
    time_.on_pause = lambda number: (
        openai_emulator.stop() if number == 1 else (openai_emulator.start() if number == 3 else None)
    )
    task.clock, task.sleep = time_.clock, time_.sleep
    task.hook.client.retry_policy = type(task.hook.client.retry_policy)(max_retries=0)
    assert run_task(task).value["status"] == "succeeded"


def test_an_outage_longer_than_the_grace_fails_naming_the_cause(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=30, queued=30, running=120)
    file_id = upload_training_data(OpenAIAdvHook())
    task = fine_tune(file_id, deferrable=False, poll_interval=60, transient_error_grace=120)
    time_ = Time(openai_emulator)
    time_.on_pause = lambda number: openai_emulator.stop() if number == 1 else None
    task.clock, task.sleep = time_.clock, time_.sleep
    task.hook.client.retry_policy = type(task.hook.client.retry_policy)(max_retries=0)
    try:
        with pytest.raises(
            JobWaitFailed, match=r"could not be read for \d+ s \(transient_error_grace is 120 s\): APIConnectionError"
        ):
            run_task(task)
    finally:
        openai_emulator.start()


def test_a_retried_task_reattaches_to_its_job_instead_of_paying_twice(make_dag, run_dag, fast, monkeypatch):
    """The first try creates the job, then loses the server past its grace and fails; the
    retry finds the job by its tag and waits on it."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", fast.airflow_connection(max_retries=0))
    file_id = upload_training_data(OpenAIAdvHook())
    fast.add_fault(path="/v1/fine_tuning/jobs/ftjob-*", method="GET", status=503, times=2)
    with make_dag() as dag:
        fine_tune(file_id, deferrable=False, transient_error_grace=0, retries=1, retry_delay=0)
    outcome = run_dag(dag)
    assert outcome.state == "success"
    assert len(jobs_in(fast)) == 1
    assert [entry.method for entry in fast.requests if entry.path == "/v1/fine_tuning/jobs"] == ["GET", "POST", "GET"]
    assert outcome.value("tune")["status"] == "succeeded"


def test_a_failed_or_cancelled_job_is_not_reused(openai_emulator):
    openai_emulator.set_fine_tune_timings(running=600)  # still running when cancelled, however slow the machine
    hook = OpenAIAdvHook()
    file_id = upload_training_data(hook)
    first = hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1")
    assert hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1") == first
    hook.cancel_fine_tune(first["id"])
    again = hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini", reattach_key="dag/task/run/-1")
    assert again["id"] != first["id"]


@pytest.mark.parametrize("setting", ["poll_interval", "wait_timeout", "transient_error_grace"])
def test_bad_wait_settings_fail_before_a_job_is_created(fast, setting):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=f"^{setting}: "):
        run_task(fine_tune("file-abc", **{setting: -1}))
    assert jobs_in(fast) == [] and fast.requests == []


@pytest.mark.parametrize("cancel_on_kill", [True, False])
def test_killing_the_task_cancels_the_job_it_started(openai_emulator, cancel_on_kill):
    openai_emulator.set_fine_tune_timings(running=600)  # still running when killed, however slow the machine
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
        task = fine_tune(file_id, deferrable=True, model_asset="openai://fine-tuned-models/demo")
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
