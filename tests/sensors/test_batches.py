"""``OpenAIBatchSensor``: a batch created elsewhere, waited for in any mode."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.sensors.batches import OpenAIBatchSensor
from tests.tasks import run_task

LINES = b"".join(
    b'{"custom_id": "r%d", "method": "POST", "url": "/v1/embeddings", '
    b'"body": {"model": "text-embedding-3-small", "input": "row %d"}}\n' % (n, n)
    for n in range(3)
)


def start_batch(hook, content: bytes = LINES) -> dict:
    file_id = hook.upload_file(content, purpose="batch", filename="requests.jsonl")["id"]
    return hook.create_batch(input_file_id=file_id, endpoint="/v1/embeddings")


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_it_succeeds_with_the_completed_batch(openai_emulator, deferrable, capfd):
    openai_emulator.set_batch_timings(validating=0.1, per_request=0.05, finalizing=0.1)
    batch = start_batch(OpenAIAdvHook())
    sensor = OpenAIBatchSensor(task_id="wait", batch_id=batch["id"], poke_interval=0.05, deferrable=deferrable)
    finished = run_task(sensor).value
    assert finished["status"] == "completed" and finished["request_counts"]["completed"] == 3
    assert finished["output_file_id"]
    assert f"batch {batch['id']} is completed: 3/3 done, 0 failed" in capfd.readouterr().out


def test_a_batch_that_failed_validation_fails_the_sensor_with_openais_errors(openai_emulator):
    from airflow.sdk.exceptions import AirflowFailException

    openai_emulator.set_batch_timings(validating=0, per_request=0, finalizing=0)
    batch = start_batch(OpenAIAdvHook(), b'{"custom_id": "r1", "method": "POST"}\nnot json\n')
    sensor = OpenAIBatchSensor(task_id="wait", batch_id=batch["id"], poke_interval=0.05)
    with pytest.raises(AirflowFailException, match=rf"batch {batch['id']} failed: line 1: .*line 2: "):
        run_task(sensor)


def test_an_expired_batch_fails_the_sensor(openai_emulator):
    from airflow.sdk.exceptions import AirflowFailException

    openai_emulator.set_batch_timings(validating=0, per_request=10 * 3600, finalizing=0)
    batch = start_batch(OpenAIAdvHook())
    openai_emulator.advance_clock(25 * 3600)
    with pytest.raises(AirflowFailException, match="expired"):
        run_task(OpenAIBatchSensor(task_id="wait", batch_id=batch["id"], poke_interval=0.05))


def test_the_batch_actions(openai_emulator):
    openai_emulator.set_batch_timings(validating=0, per_request=3600, finalizing=0, cancelling=0)
    hook = OpenAIAdvHook()
    first, second = start_batch(hook), start_batch(hook)
    assert [batch["id"] for batch in hook.list_batches()] == [second["id"], first["id"]]
    assert [batch["id"] for batch in hook.list_batches(limit=1)] == [second["id"]]
    assert hook.retrieve_batch(first["id"])["endpoint"] == "/v1/embeddings"
    assert hook.cancel_batch(first["id"])["status"] in ("cancelling", "cancelled")
    tagged = hook.create_batch(input_file_id=second["input_file_id"], endpoint="/v1/embeddings",
                               metadata={"airflow_task": "d/t/r/-1", "airflow_part": "1/1"})  # fmt: skip
    assert [batch["id"] for batch in hook.find_batches({"airflow_task": "d/t/r/-1"})] == [tagged["id"]]
