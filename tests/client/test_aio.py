"""The asyncio client of triggers: the sync client's rules, without ``requests``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from airflow_provider_openai_adv.client import ClientConfig
from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
from airflow_provider_openai_adv.exceptions import (
    InvalidResponseError,
    NotFoundError,
    OpenAIValidationError,
)


def run(emulator, coroutine_of, sleep=None, **settings):
    async def main():
        config = ClientConfig(api_key=emulator.api_key, base_url=emulator.base_url, **settings)
        client = AsyncOpenAIClient(config, sleep=sleep) if sleep else AsyncOpenAIClient(config)
        try:
            return await coroutine_of(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_ids_go_into_paths_as_one_segment_as_in_the_sync_client(openai_emulator):
    with pytest.raises(NotFoundError):
        run(openai_emulator, lambda client: client.get("files/{file_id}", file_id="../models"))
    assert openai_emulator.requests[-1].raw_path == "/v1/files/..%2Fmodels"
    with pytest.raises(OpenAIValidationError, match="^file_id: "):
        run(openai_emulator, lambda client: client.get("files/{file_id}", file_id="None"))


def test_an_odd_success_answer_is_our_error(openai_emulator):
    openai_emulator.add_fault(path="/v1/models", status=200, body="[]")
    with pytest.raises(InvalidResponseError, match="expected a JSON object"):
        run(openai_emulator, lambda client: client.get("models"), max_retries=0)


def test_transient_errors_are_retried_like_the_sync_clients(openai_emulator):
    waits = []

    async def recorded(seconds):
        waits.append(seconds)

    openai_emulator.add_fault(path="/v1/models", status=503, retry_after=7, times=2)
    assert run(openai_emulator, lambda client: client.get("models"), sleep=recorded, max_retries=2)["data"]
    assert [entry.status for entry in openai_emulator.requests] == [503, 503, 200]
    assert waits == [7.0, 7.0]


def test_pages_are_checked_and_followed(openai_emulator):
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    hook = OpenAIAdvHook()
    ids = [hook.upload_file(b"{}\n", purpose="batch", filename=f"f{i}.jsonl")["id"] for i in range(5)]

    async def all_pages(client):
        return [page async for page in client.pages("files", {"limit": 2, "order": "asc"})]

    pages = run(openai_emulator, all_pages)
    assert [item["id"] for page in pages for item in page["data"]] == ids
    assert len(pages) == 3


TRIGGERER = """
import asyncio, json, sys
import airflow.triggers.base
before = "requests" in sys.modules
from airflow_provider_openai_adv.triggers.job import OpenAIJobTrigger

async def first_event():
    trigger = OpenAIJobTrigger(kind="fine_tune", job_id=sys.argv[1], poll_interval=0.05)
    return [event.payload async for event in trigger.run()][0]

event = asyncio.run(first_event())
print(json.dumps({"before": before, "after": "requests" in sys.modules, "outcome": event["outcome"]}))
"""


def test_a_triggerer_running_our_trigger_never_loads_requests(openai_emulator):
    """The trigger, its hook and the async client share headers, errors and paths with the
    sync client through modules that import no HTTP library."""
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
    from tests.fine_tuning import start_job

    openai_emulator.set_fine_tune_timings(validating=0, queued=0, running=0)
    job = start_job(OpenAIAdvHook())
    openai_emulator.advance_clock(60)
    env_connection = openai_emulator.airflow_connection(max_retries=0)
    done = subprocess.run(
        [sys.executable, "-c", TRIGGERER, job["id"]],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AIRFLOW_CONN_OPENAI_ADV_DEFAULT": env_connection},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"before": False, "after": False, "outcome": "success"}


# -- the pooled client triggers share ---------------------------------------------------


def config_for(emulator, **settings):
    return ClientConfig(**{"api_key": emulator.api_key, "base_url": emulator.base_url, **settings})


def test_holds_on_one_loop_share_one_client_per_settings_until_the_last_lets_go(openai_emulator):
    from airflow_provider_openai_adv.client.aio import pooled_client

    async def main():
        first, second = pooled_client(config_for(openai_emulator)), pooled_client(config_for(openai_emulator))
        other_key = pooled_client(config_for(openai_emulator, api_key="sk-other"))
        other_settings = pooled_client(config_for(openai_emulator, timeout=42))
        assert first.client is second.client
        assert len({id(hold.client) for hold in (first, other_key, other_settings)}) == 3
        await first.client.get("models")
        http = first.client.http
        await first.release()
        await first.release()  # a second release does nothing
        assert not http.is_closed  # `second` still holds it
        await second.release()
        assert http.is_closed
        third = pooled_client(config_for(openai_emulator))
        assert third.client is not first.client  # a new one, since the last let go
        for hold in (third, other_key, other_settings):
            await hold.release()
        return first.client

    client = asyncio.run(main())

    async def another_loop():
        async with pooled_client(config_for(openai_emulator)) as other:
            return other

    assert asyncio.run(another_loop()) is not client


def test_a_shared_client_opens_at_most_its_connections_and_queues_the_rest(openai_emulator, monkeypatch):
    """40 requests at once through a client allowed 5 connections: all answered, 5 sockets."""
    from airflow_provider_openai_adv.client import aio

    monkeypatch.setattr(aio, "SHARED_MAX_CONNECTIONS", 5)
    openai_emulator.add_fault(path="/v1/models", latency=0.2)

    async def main():
        async with aio.pooled_client(config_for(openai_emulator)) as client:
            return await asyncio.gather(*(client.get("models") for _ in range(40)))

    assert all(answer["data"] for answer in asyncio.run(main()))
    assert len({entry.peer for entry in openai_emulator.requests}) == 5


def test_a_lane_closed_under_the_shared_client_is_rebuilt(openai_emulator):
    from airflow_provider_openai_adv.client.aio import pooled_client

    async def main():
        async with pooled_client(config_for(openai_emulator)) as client:
            await client.get("models")
            await client.http.aclose()  # as if something closed it
            return await client.get("models")

    assert asyncio.run(main())["data"]


def test_a_looked_up_config_is_shared_by_concurrent_callers_and_a_failure_is_not_kept(openai_emulator):
    from airflow_provider_openai_adv.client.aio import cached_config

    lookups = []

    async def load():
        lookups.append(1)
        await asyncio.sleep(0.01)
        if len(lookups) == 2:
            raise OpenAIValidationError("no such connection")
        return config_for(openai_emulator)

    async def main():
        configs = await asyncio.gather(*(cached_config("a", load) for _ in range(50)))
        assert len(lookups) == 1 and all(config is configs[0] for config in configs)
        assert await cached_config("a", load) is configs[0]  # still fresh
        errors = await asyncio.gather(*(cached_config("b", load) for _ in range(5)), return_exceptions=True)
        assert len(lookups) == 2 and all(isinstance(error, OpenAIValidationError) for error in errors)
        assert await cached_config("b", load) == configs[0]  # looked up again, not the error kept
        await cached_config("c", load, ttl=0)  # kept for no time: looked up again
        await cached_config("c", load, ttl=0)
        assert len(lookups) == 5

    asyncio.run(main())


def test_a_caller_cancelled_while_waiting_leaves_the_lookup_to_the_others(openai_emulator):
    from airflow_provider_openai_adv.client.aio import cached_config

    async def load():
        await asyncio.sleep(0.05)
        return config_for(openai_emulator)

    async def main():
        first = asyncio.ensure_future(cached_config("a", load))
        second = asyncio.ensure_future(cached_config("a", load))
        await asyncio.sleep(0)
        first.cancel()
        return await second

    assert asyncio.run(main()).base_url == openai_emulator.base_url


def test_the_pacer_lets_a_bounded_number_through_per_loop_turn():
    """100 callers at once, 10 per turn: counted in turns of the loop, not in seconds."""
    from airflow_provider_openai_adv.client.aio import _Pacer

    async def main():
        loop, pacer, turn, passed = asyncio.get_running_loop(), _Pacer(10), [0], []

        def tick():
            turn[0] += 1
            loop.call_soon(tick)

        loop.call_soon(tick)

        async def caller():
            await pacer.wait()
            passed.append(turn[0])

        await asyncio.gather(*(caller() for _ in range(100)))
        return passed

    passed = asyncio.run(main())
    per_turn = {turn: passed.count(turn) for turn in passed}
    assert len(passed) == 100 and max(per_turn.values()) <= 10 and len(per_turn) >= 10


def test_the_shared_registry_never_shows_the_key(openai_emulator):
    from airflow_provider_openai_adv.client import aio

    async def main():
        async with aio.pooled_client(config_for(openai_emulator, organization="org-1")) as client:
            return repr(aio._loop_share().clients), repr(client), repr(aio.pooled_client(client.config))

    shown = " ".join(asyncio.run(main()))
    assert openai_emulator.api_key not in shown and "org-1" in shown


def test_every_turn_is_given_back_after_retries_and_cancellations(openai_emulator, monkeypatch):
    """Retried, failed and cancelled requests through a client allowed 3 connections leave all 3 free."""
    from airflow_provider_openai_adv.client import aio

    monkeypatch.setattr(aio, "SHARED_MAX_CONNECTIONS", 3)
    openai_emulator.add_fault(path="/v1/models", status=503, retry_after_ms=1, times=4)
    openai_emulator.add_fault(path="/v1/files/slow", latency=5)

    async def main():
        async with aio.pooled_client(config_for(openai_emulator, max_retries=3)) as client:
            answers = await asyncio.gather(*(client.get("models") for _ in range(6)))
            with pytest.raises(NotFoundError):
                await client.get("files/{file_id}", file_id="missing")
            slow = [asyncio.ensure_future(client.get("files/{file_id}", file_id="slow")) for _ in range(5)]
            await asyncio.sleep(0.2)  # three in flight, two queued
            for request in slow:
                request.cancel()
            await asyncio.gather(*slow, return_exceptions=True)
            return answers, client._turns._value, client._busy

    answers, free, busy = asyncio.run(main())
    assert all(answer["data"] for answer in answers)
    assert free == 3 and set(busy) == {0}
