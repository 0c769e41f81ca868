"""``OpenAIJobSensor(kind="response")``: a background response started elsewhere, waited for."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.sensors.job import OpenAIJobSensor
from tests.tasks import run_task


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_it_succeeds_with_the_finished_response(openai_emulator, deferrable):
    openai_emulator.set_response_timings(queued=0.1, in_progress=0.1)
    response = OpenAIAdvHook().create_response(model="gpt-4o-mini", input="Later.", background=True)
    sensor = OpenAIJobSensor(task_id="wait", kind="response", job_id=response["id"], poke_interval=0.05,
                             deferrable=deferrable)  # fmt: skip
    finished = run_task(sensor).value
    assert finished["id"] == response["id"] and finished["status"] == "completed"


def test_a_cancelled_response_fails_the_sensor_without_retries(openai_emulator):
    from airflow.sdk.exceptions import AirflowFailException

    openai_emulator.set_response_timings(queued=600)
    hook = OpenAIAdvHook()
    response = hook.create_response(model="gpt-4o-mini", input="Later.", background=True)
    hook.cancel_response(response["id"])
    with pytest.raises(AirflowFailException, match=f"response {response['id']} cancelled"):
        run_task(OpenAIJobSensor(task_id="wait", kind="response", job_id=response["id"], poke_interval=0.05))
