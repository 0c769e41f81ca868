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
                               transient_error_grace=30, last_event_id="ev-9", not_before=1.6e9)  # fmt: skip
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


# -- what the triggers on one loop share -------------------------------------------------


@pytest.fixture
def counted(monkeypatch):
    """Counts the shared clients made and the connection lookups (changes nothing else)."""
    from airflow_provider_openai_adv.client import aio

    made, lookups = [], []
    aget_connection = OpenAIAdvHook.aget_connection.__func__

    class Counted(aio.AsyncOpenAIClient):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    async def counted_lookup(cls, conn_id):
        lookups.append(conn_id)
        return await aget_connection(cls, conn_id)

    monkeypatch.setattr(aio, "AsyncOpenAIClient", Counted)
    monkeypatch.setattr(OpenAIAdvHook, "aget_connection", classmethod(counted_lookup))
    return made, lookups


def test_triggers_on_one_loop_share_one_pooled_client_and_one_connection_lookup(
    finished, openai_emulator, monkeypatch, counted
):
    """20 triggers started together: one lookup, one client, and (allowed 4) 4 sockets for their 40 requests."""
    from airflow_provider_openai_adv.client import aio

    made, lookups = counted
    monkeypatch.setattr(aio, "SHARED_MAX_CONNECTIONS", 4)
    jobs = [finished()["id"] for _ in range(20)]
    openai_emulator.add_fault(path="/v1/fine_tuning/jobs/*", latency=0.1)
    seen_before = len(openai_emulator.requests)

    async def main():
        events = await asyncio.gather(*(anext(trigger_for(job).run()) for job in jobs))
        return events, dict(aio._loop_share().clients)

    events, clients_left = asyncio.run(main())
    assert [event.payload["outcome"] for event in events] == ["success"] * 20
    assert lookups == ["openai_adv_default"] and len(made) == 1
    polls = [
        entry for entry in openai_emulator.requests[seen_before:] if entry.path.startswith("/v1/fine_tuning/jobs/")
    ]
    assert len(polls) == 40 and len({entry.peer for entry in polls}) == 4
    assert clients_left == {}  # closed when the last trigger ended
    assert all(http is None for http in made[0]._lanes)


def test_the_pooled_client_is_closed_when_the_last_trigger_ends_and_made_anew_for_the_next(
    finished, counted, monkeypatch
):
    import httpx

    made, _ = counted
    opened, init = [], httpx.AsyncClient.__init__

    def recorded(self, *args, **kwargs):
        opened.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "__init__", recorded)
    jobs = [finished()["id"] for _ in range(4)]

    async def main():
        events = await asyncio.gather(*(anext(trigger_for(job).run()) for job in jobs[:3]))
        closed_then = [http.is_closed for http in opened]
        events.append(await anext(trigger_for(jobs[3]).run()))  # on the same loop, later
        return events, closed_then

    events, closed_then = asyncio.run(main())
    assert [event.payload["outcome"] for event in events] == ["success"] * 4
    assert closed_then and all(closed_then)
    assert len(made) == 2 and all(http.is_closed for http in opened)


def test_a_connection_error_in_one_triggers_poll_leaves_the_others_alone(finished, openai_emulator):
    """One job's polls have their connection dropped: its trigger fires error, the other nine success."""
    jobs = [finished()["id"] for _ in range(10)]
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{jobs[0]}", drop=True)

    async def main():
        triggers = [trigger_for(job, conn_id="no_retries", transient_error_grace=0) for job in jobs]
        return await asyncio.gather(*(collect(trigger) for trigger in triggers))

    events = asyncio.run(main())
    assert [len(fired) for fired in events] == [1] * 10  # exactly one event each
    assert events[0][0]["outcome"] == "error" and "APIConnectionError" in events[0][0]["message"]
    assert [fired[0]["outcome"] for fired in events[1:]] == ["success"] * 9


async def collect(trigger: OpenAIJobTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def test_two_connections_get_two_clients_and_never_share_a_socket(finished, openai_emulator, monkeypatch, counted):
    """A second connection with its own key and organization: its own client, lookup and sockets."""
    made, lookups = counted
    second = openai_emulator.airflow_connection(max_retries=0, organization="org-second")
    monkeypatch.setenv("AIRFLOW_CONN_SECOND", second.replace(openai_emulator.api_key, "sk-second-key"))
    jobs = [finished()["id"] for _ in range(6)]
    seen_before = len(openai_emulator.requests)

    async def main():
        conn_ids = ["openai_adv_default", "second"] * 3
        return await asyncio.gather(
            *(anext(trigger_for(job, conn_id=conn_id).run()) for job, conn_id in zip(jobs, conn_ids, strict=True))
        )

    events = asyncio.run(main())
    assert [event.payload["outcome"] for event in events] == ["success"] * 6
    assert sorted(lookups) == ["openai_adv_default", "second"] and len(made) == 2
    assert {client.config.api_key for client in made} == {openai_emulator.api_key, "sk-second-key"}
    organizations_by_socket = {}
    for entry in openai_emulator.requests[seen_before:]:
        organization = {name.lower(): value for name, value in entry.headers.items()}.get("openai-organization")
        organizations_by_socket.setdefault(entry.peer, set()).add(organization)
    assert all(len(seen) == 1 for seen in organizations_by_socket.values())  # no socket carries both
    assert set().union(*organizations_by_socket.values()) == {None, "org-second"}


def test_a_trigger_cancelled_mid_wait_lets_go_of_the_client_and_the_others_fire(finished, openai_emulator):
    """As when a task is cleared while deferred: the others fire; the client closes when they have."""
    from airflow_provider_openai_adv.client import aio

    jobs = [finished()["id"] for _ in range(5)]
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{jobs[0]}", latency=30)  # still waiting when cancelled

    async def main():
        waits = [asyncio.ensure_future(anext(trigger_for(job).run())) for job in jobs]
        others = await asyncio.gather(*waits[1:])
        waits[0].cancel()
        with pytest.raises(asyncio.CancelledError):
            await waits[0]
        return others, dict(aio._loop_share().clients)

    others, clients_left = asyncio.run(main())
    assert [event.payload["outcome"] for event in others] == ["success"] * 4
    assert clients_left == {}


def test_nothing_is_polled_before_not_before(finished, openai_emulator, monkeypatch):
    from airflow_provider_openai_adv.triggers import job

    waited = []

    async def recorded(moment):
        waited.append((moment, len(openai_emulator.requests)))

    monkeypatch.setattr(job, "wait_until", recorded)
    job_id = finished()["id"]
    before = len(openai_emulator.requests)
    (event,) = events_of(trigger_for(job_id, not_before=1_800_000_000.0))
    assert waited == [(1_800_000_000.0, before)]  # it waited first, having polled nothing
    assert event["outcome"] == "success"


def test_waiting_until_a_past_moment_takes_no_time():
    from airflow_provider_openai_adv.triggers.job import wait_until

    async def main():
        await asyncio.wait_for(wait_until(time.time() - 60), timeout=5)  # sleeping the past minute: TimeoutError
        await asyncio.wait_for(wait_until(None), timeout=5)
        return "returned"

    assert asyncio.run(main()) == "returned"
