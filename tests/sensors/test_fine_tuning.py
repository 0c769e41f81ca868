"""``OpenAIFineTuneSensor`` in each mode, through ``dag.test()`` against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.sensors.fine_tuning import OpenAIFineTuneSensor
from tests.fine_tuning import start_job
from tests.tasks import run_task

MODES = [
    pytest.param({"mode": "poke"}, id="poke"),
    pytest.param({"mode": "reschedule"}, id="reschedule"),
    pytest.param({"deferrable": True}, id="deferrable"),
]


@pytest.fixture
def fast(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=0.2, queued=0.2, running=0.6)
    return openai_emulator


@pytest.mark.parametrize("mode", MODES)
def test_it_succeeds_with_the_job_once_trained(make_dag, run_dag, fast, mode):
    job = start_job(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2, **mode)
    outcome = run_dag(dag)
    assert outcome.state == "success"
    finished = outcome.value("wait")
    assert finished["status"] == "succeeded" and finished["fine_tuned_model"].startswith("ft:gpt-4o-mini:")


@pytest.mark.parametrize("mode", [MODES[0], MODES[2]])
def test_a_failed_job_fails_the_sensor_at_once_without_retries(make_dag, run_dag, fast, mode, capfd):
    """Retrying a sensor cannot change a finished job: one try, not four."""
    job = start_job(OpenAIAdvHook(), raw=b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 12)
    with make_dag() as dag:
        OpenAIFineTuneSensor(
            task_id="wait", fine_tune_id=job["id"], poke_interval=0.2, retries=3, retry_delay=0, **mode
        )
    outcome = run_dag(dag)
    assert outcome.task_states[("wait", -1)] == "failed"
    log = capfd.readouterr().out
    assert f"fine-tuning job {job['id']} failed" in log and "line 1" in log
    assert log.count("AirflowFailException") >= 1 and "up_for_retry" not in log


def test_a_cancelled_job_fails_the_sensor(openai_emulator):
    openai_emulator.set_fine_tune_timings(running=600)  # still running when cancelled, however slow the machine
    hook = OpenAIAdvHook()
    job = start_job(hook)
    hook.cancel_fine_tune(job["id"])
    sensor = OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.05)
    with pytest.raises(Exception, match=f"fine-tuning job {job['id']} cancelled"):
        run_task(sensor)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_the_wait_is_bounded_by_timeout(openai_emulator, deferrable):
    from airflow.sdk.exceptions import AirflowSensorTimeout

    openai_emulator.set_fine_tune_timings(running=600)
    job = start_job(OpenAIAdvHook())
    sensor = OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.05, timeout=0.3,
                                  deferrable=deferrable)  # fmt: skip
    with pytest.raises(AirflowSensorTimeout, match="timed out"):
        run_task(sensor)


def test_a_short_outage_between_pokes_is_ridden_out(fast):
    """Two pokes fail with 502s (past the client's own retries), the third sees the job done."""
    job = start_job(OpenAIAdvHook())
    fast.advance_clock(60)
    fast.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=502, times=6)  # 2 pokes x 3 attempts
    sensor = OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.01)
    sensor.hook.client.retry_policy = type(sensor.hook.client.retry_policy)(max_retries=2, sleep=lambda s: None)
    assert run_task(sensor).value["status"] == "succeeded"


def test_polling_past_the_grace_fails_naming_the_cause(fast):
    job = start_job(OpenAIAdvHook())
    fast.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=502)
    sensor = OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.01, transient_error_grace=0)
    sensor.hook.client.retry_policy = type(sensor.hook.client.retry_policy)(max_retries=0)
    with pytest.raises(Exception, match="could not be read .* 502"):
        run_task(sensor)


def test_events_and_metrics_reach_the_task_log(make_dag, run_dag, fast, capfd):
    job = start_job(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2)
    run_dag(dag)
    log = capfd.readouterr().out
    assert f"[{job['id']}] step " in log and "train_loss=" in log
    assert f"fine-tuning job {job['id']} is succeeded" in log
