"""``OpenAIFineTuneSensor`` in each mode, through ``dag.test()`` against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.sensors.fine_tune import OpenAIFineTuneSensor
from tests.fine_tuning import start_job

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


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_job_fails_the_sensor_with_the_jobs_error(make_dag, run_dag, fast, mode, capfd):
    job = start_job(OpenAIAdvHook(), raw=b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 12)
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2, **mode)
    outcome = run_dag(dag)
    assert outcome.task_states[("wait", -1)] == "failed"
    log = capfd.readouterr().out
    assert f"fine-tuning job {job['id']} failed" in log and "line 1" in log


@pytest.mark.parametrize("mode", MODES)
def test_a_cancelled_job_fails_the_sensor(make_dag, run_dag, fast, mode, capfd):
    hook = OpenAIAdvHook()
    job = start_job(hook)
    hook.cancel_fine_tune(job["id"])
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2, **mode)
    assert run_dag(dag).task_states[("wait", -1)] == "failed"
    assert f"fine-tuning job {job['id']} cancelled" in capfd.readouterr().out


@pytest.mark.parametrize("mode", [MODES[0], MODES[2]])
def test_the_wait_is_bounded_by_timeout(make_dag, run_dag, openai_emulator, mode, capfd):
    openai_emulator.set_fine_tune_timings(running=600)
    job = start_job(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2, timeout=1, **mode)
    assert run_dag(dag).task_states[("wait", -1)] == "failed"
    assert "timed out" in capfd.readouterr().out


def test_events_and_metrics_reach_the_task_log(make_dag, run_dag, fast, capfd):
    job = start_job(OpenAIAdvHook())
    with make_dag() as dag:
        OpenAIFineTuneSensor(task_id="wait", fine_tune_id=job["id"], poke_interval=0.2)
    run_dag(dag)
    log = capfd.readouterr().out
    assert f"[{job['id']}] step " in log and "train_loss=" in log
    assert f"fine-tuning job {job['id']} is succeeded" in log
