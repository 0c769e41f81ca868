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
