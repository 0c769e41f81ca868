"""``OpenAIFineTuneTrigger`` on its own: one event per outcome, primitives only, never blocking."""

from __future__ import annotations

import asyncio
import importlib
import time

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.triggers.fine_tune import OpenAIFineTuneTrigger
from tests.fine_tuning import start_job


def events_of(trigger: OpenAIFineTuneTrigger) -> list[dict]:
    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


@pytest.fixture
def fast(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=0.1, queued=0.1, running=0.3)
    return openai_emulator


def test_it_serializes_to_primitives_and_back():
    trigger = OpenAIFineTuneTrigger("ftjob-1", conn_id="mine", poll_interval=5, deadline=1.5e9, last_event_id="ev-9")
    classpath, kwargs = trigger.serialize()
    assert all(isinstance(value, (str, int, float, bool, type(None))) for value in kwargs.values())
    module, name = classpath.rsplit(".", 1)
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    assert kwargs == {
        "fine_tune_id": "ftjob-1",
        "conn_id": "mine",
        "poll_interval": 5,
        "deadline": 1.5e9,
        "last_event_id": "ev-9",
        "legacy": False,
    }


def test_a_succeeded_job_fires_one_success_event_with_the_model(fast):
    job = start_job(OpenAIAdvHook())
    (event,) = events_of(OpenAIFineTuneTrigger(job["id"], poll_interval=0.1))
    assert event["status"] == "success" and event["fine_tune_id"] == job["id"]
    assert event["fine_tuned_model"].startswith("ft:gpt-4o-mini:")


def test_a_failed_job_fires_failed_with_openais_reason(fast):
    job = start_job(OpenAIAdvHook(), raw=b'{"messages": "not a list"}\n' * 12)
    (event,) = events_of(OpenAIFineTuneTrigger(job["id"], poll_interval=0.1))
    assert event["status"] == "failed"
    assert "line 1" in event["message"] and event["fine_tuned_model"] is None


def test_a_cancelled_job_fires_cancelled(fast):
    hook = OpenAIAdvHook()
    job = start_job(hook)
    hook.cancel_fine_tune(job["id"])
    (event,) = events_of(OpenAIFineTuneTrigger(job["id"], poll_interval=0.1))
    assert event["status"] == "cancelled"


def test_the_deadline_fires_timeout_and_leaves_the_job_alone(openai_emulator):
    openai_emulator.set_fine_tune_timings(running=600)
    hook = OpenAIAdvHook()
    job = start_job(hook)
    started = time.monotonic()
    (event,) = events_of(OpenAIFineTuneTrigger(job["id"], poll_interval=10, deadline=time.time() + 0.3))
    assert event["status"] == "timeout" and "deadline" in event["message"]
    assert time.monotonic() - started < 3  # it slept until the deadline, not a whole poll interval
    assert hook.retrieve_fine_tune(job["id"])["status"] in ("validating_files", "queued", "running")


def test_an_unreadable_job_fires_error(openai_emulator):
    (event,) = events_of(OpenAIFineTuneTrigger("ftjob-does-not-exist", poll_interval=0.1))
    assert event["status"] == "error" and "404" in event["message"]


def test_a_restarted_trigger_resumes_from_its_serialized_state(fast):
    """After a triggerer restart Airflow rebuilds the trigger from its kwargs: it carries on."""
    job = start_job(OpenAIAdvHook())
    first = OpenAIFineTuneTrigger(job["id"], poll_interval=0.1)
    classpath, kwargs = first.serialize()
    assert events_of(first)[0]["status"] == "success"
    assert first.last_event_id  # the events it reported
    rebuilt = OpenAIFineTuneTrigger(**{**kwargs, "last_event_id": first.last_event_id})
    assert events_of(rebuilt)[0]["status"] == "success"
    assert rebuilt.last_event_id == first.last_event_id  # nothing new to report twice


def test_the_legacy_api_is_followed_on_request(fast):
    hook = OpenAIAdvHook(legacy=True)
    file_id = start_job(OpenAIAdvHook())["training_file"]
    job = hook.create_fine_tune(training_file=file_id, model="curie")
    (event,) = events_of(OpenAIFineTuneTrigger(job["id"], poll_interval=0.1, legacy=True))
    assert event["status"] in ("success", "failed")  # curie wants prompt/completion data
    assert all(entry.path.startswith("/v1/fine-tunes") for entry in fast.requests[-2:])


def test_many_triggers_wait_together(fast):
    """200 triggers against a server that takes 0.5 s per answer finish in about the time
    of one poll (two requests each), not in 200 × 2 × 0.5 s."""
    hook = OpenAIAdvHook()
    file_id = start_job(hook)["training_file"]
    jobs = [hook.create_fine_tune(training_file=file_id, model="gpt-4o-mini")["id"] for _ in range(200)]
    fast.advance_clock(60)  # every job has finished by now
    fast.add_fault(path="/v1/fine_tuning/jobs/*", latency=0.5)

    async def first_events():
        return await asyncio.gather(*(anext(OpenAIFineTuneTrigger(job, poll_interval=1).run()) for job in jobs))

    started = time.monotonic()
    results = asyncio.run(first_events())
    elapsed = time.monotonic() - started
    assert [event.payload["status"] for event in results] == ["success"] * 200
    assert elapsed < 10, elapsed


def test_polling_never_blocks_the_event_loop(fast):
    """While a trigger waits two seconds for each answer, the loop keeps turning."""
    job = start_job(OpenAIAdvHook())
    fast.advance_clock(60)
    fast.add_fault(path="/v1/fine_tuning/jobs/*", latency=2.0)

    async def main():
        lags = []

        async def heartbeat():
            while True:
                tick = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - tick - 0.01)

        beating = asyncio.create_task(heartbeat())
        event = await anext(OpenAIFineTuneTrigger(job["id"], poll_interval=1).run())
        beating.cancel()
        return event, lags

    event, lags = asyncio.run(main())
    assert event.payload["status"] == "success"
    assert len(lags) > 100 and max(lags) < 0.2  # a blocking poll would stall it for 2 s
