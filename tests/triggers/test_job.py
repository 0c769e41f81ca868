"""``OpenAIJobTrigger`` on its own: one event per wait, whatever happens, never blocking."""

from __future__ import annotations

import asyncio
import importlib
import time

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.triggers.job import OpenAIJobTrigger
from tests.fine_tuning import start_job


def events_of(trigger: OpenAIJobTrigger) -> list[dict]:
    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def trigger_for(job_id: str, **options) -> OpenAIJobTrigger:
    return OpenAIJobTrigger(kind="fine_tune", job_id=job_id, **{"poll_interval": 0.05, **options})


@pytest.fixture
def finished(openai_emulator):
    """Jobs that have finished by the time they are first polled (the emulator's clock is moved)."""
    openai_emulator.set_fine_tune_timings(validating=1, queued=1, running=1)

    def start(**options):
        job = start_job(OpenAIAdvHook(), **options)
        openai_emulator.advance_clock(60)
        return job

    return start


def test_it_serializes_to_primitives_and_back():
    trigger = OpenAIJobTrigger("fine_tune", "ftjob-1", conn_id="mine", poll_interval=5, deadline=1.5e9,
                               transient_error_grace=30, last_event_id="ev-9")  # fmt: skip
    classpath, kwargs = trigger.serialize()
    assert all(isinstance(value, (str, int, float, bool, type(None))) for value in kwargs.values())
    module, name = classpath.rsplit(".", 1)
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    assert "sk-" not in repr(kwargs)  # never the key: only the connection's id


def test_a_succeeded_job_fires_one_success_event_with_the_job(finished):
    job = finished()
    (event,) = events_of(trigger_for(job["id"]))
    assert event["outcome"] == "success" and event["job_id"] == job["id"] and event["kind"] == "fine_tune"
    assert event["job"]["fine_tuned_model"].startswith("ft:gpt-4o-mini:")


def test_a_failed_job_fires_failed_with_openais_reason(finished):
    job = finished(raw=b'{"messages": "not a list"}\n' * 12)
    (event,) = events_of(trigger_for(job["id"]))
    assert event["outcome"] == "failed" and "line 1" in event["message"]


def test_a_cancelled_job_fires_cancelled(openai_emulator):
    openai_emulator.set_fine_tune_timings(running=600)  # still running when cancelled, however slow the machine
    hook = OpenAIAdvHook()
    job = start_job(hook)
    hook.cancel_fine_tune(job["id"])
    (event,) = events_of(trigger_for(job["id"]))
    assert event["outcome"] == "cancelled"


def test_the_deadline_fires_timeout_and_leaves_the_job_alone(openai_emulator):
    openai_emulator.set_fine_tune_timings(running=600)
    hook = OpenAIAdvHook()
    job = start_job(hook)
    (event,) = events_of(trigger_for(job["id"], poll_interval=3600, deadline=time.time() + 0.2))
    assert event["outcome"] == "timeout" and "at the deadline" in event["message"]
    # it slept until the deadline, not a whole poll interval: at most two polls, not one an hour later
    assert len([e for e in openai_emulator.requests if e.path == f"/v1/fine_tuning/jobs/{job['id']}"]) in (1, 2)
    assert hook.retrieve_fine_tune(job["id"])["status"] in ("validating_files", "queued", "running")


@pytest.mark.parametrize(
    "body", ["<html><body>Bad gateway</body></html>", "[]", '{"id": "x", "object": "fine_tuning.job"}', "null"]
)
def test_whatever_the_server_answers_exactly_one_event_is_fired(openai_emulator, finished, body):
    job = finished()
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=200, body=body)
    events = events_of(trigger_for(job["id"], transient_error_grace=0, conn_id="no_retries"))
    assert [event["outcome"] for event in events] == ["error"]
    assert "could not be read" in events[0]["message"] and "InvalidResponseError" in events[0]["message"]


def test_a_short_burst_of_errors_is_ridden_out(openai_emulator, finished):
    job = finished()
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=503, times=3)
    (event,) = events_of(trigger_for(job["id"], conn_id="no_retries"))
    assert event["outcome"] == "success"


@pytest.fixture(autouse=True)
def no_retries_connection(openai_emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_NO_RETRIES", openai_emulator.airflow_connection(max_retries=0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "no_such_kind"}, "unknown job kind"),
        ({"conn_id": "missing_connection"}, "missing_connection"),
        ({"poll_interval": 0}, "poll_interval"),
    ],
)
def test_a_wait_that_cannot_run_still_fires_one_error_event(openai_emulator, options, message):
    trigger = OpenAIJobTrigger(**{"kind": "fine_tune", "job_id": "ftjob-1", "poll_interval": 0.05, **options})
    (event,) = events_of(trigger)
    assert event["outcome"] == "error" and message in event["message"]


def test_an_unknown_job_fires_error_at_once(openai_emulator):
    (event,) = events_of(trigger_for("ftjob-does-not-exist"))
    assert event["outcome"] == "error" and "404" in event["message"]


def test_a_restarted_trigger_resumes_from_its_serialized_state(finished):
    """After a triggerer restart Airflow rebuilds the trigger from its kwargs: it reports no event twice."""
    job = finished()
    first = trigger_for(job["id"])
    (event,) = events_of(first)
    assert event["last_event_id"] and first.last_event_id == event["last_event_id"]
    _, kwargs = first.serialize()
    rebuilt = OpenAIJobTrigger(**{**kwargs, "last_event_id": event["last_event_id"]})
    assert events_of(rebuilt)[0]["last_event_id"] == event["last_event_id"]  # nothing new to report


def test_the_legacy_api_is_followed_for_legacy_jobs(openai_emulator):
    from airflow_provider_openai_adv.hooks.legacy import OpenAIAdvLegacyHook

    openai_emulator.set_fine_tune_timings(validating=1, queued=1, running=1)
    file_id = start_job(OpenAIAdvHook())["training_file"]
    job = OpenAIAdvLegacyHook().create_fine_tune(training_file=file_id, model="curie")
    openai_emulator.advance_clock(60)
    (event,) = events_of(OpenAIJobTrigger(kind="legacy_fine_tune", job_id=job["id"], poll_interval=0.05))
    assert event["outcome"] in ("success", "failed")  # curie wants prompt/completion data
    assert all(entry.path.startswith("/v1/fine-tunes") for entry in openai_emulator.requests[-2:])


def test_many_triggers_poll_at_the_same_time(finished, openai_emulator, monkeypatch):
    """100 triggers against a server that takes 0.5 s per answer: all their first polls are
    in flight together (counted, not timed) — a blocking client would have one at a time."""
    from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient

    jobs = [finished()["id"] for _ in range(3)]
    hook = OpenAIAdvHook()
    jobs += [hook.create_fine_tune(training_file=hook.retrieve_fine_tune(jobs[0])["training_file"],
                                   model="gpt-4o-mini")["id"] for _ in range(97)]  # fmt: skip
    openai_emulator.advance_clock(60)
    openai_emulator.add_fault(path="/v1/fine_tuning/jobs/*", latency=0.5)
    in_flight = {"now": 0, "peak": 0}
    request = AsyncOpenAIClient.request

    async def counted(self, *args, **kwargs):
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        try:
            return await request(self, *args, **kwargs)
        finally:
            in_flight["now"] -= 1

    monkeypatch.setattr(AsyncOpenAIClient, "request", counted)  # counts our requests; changes nothing

    async def first_events():
        return await asyncio.gather(*(anext(trigger_for(job).run()) for job in jobs))

    results = asyncio.run(first_events())
    assert [event.payload["outcome"] for event in results] == ["success"] * 100
    assert in_flight["peak"] == 100


def test_polling_never_blocks_the_event_loop(finished, openai_emulator):
    """While a poll waits a second for its answer, other coroutines keep running."""
    job = finished()
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", latency=1.0)

    async def main():
        ticks = 0
        polling = asyncio.ensure_future(anext(trigger_for(job["id"]).run()))
        while not polling.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return polling.result(), ticks

    event, ticks = asyncio.run(main())
    assert event.payload["outcome"] == "success"
    assert ticks >= 3  # a blocking poll would let the loop turn 0 times while it waits
