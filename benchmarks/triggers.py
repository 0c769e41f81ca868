"""A triggerer's load: many fine-tune triggers waiting at once on one event loop.

N jobs (1,000; ``--quick``: 200) are started on the emulator, which runs in its own
process and answers every request after a fixed latency (0.2 s, a slow API day). Then N
``OpenAIJobTrigger`` (kind ``fine_tune``) run together on one loop until each has fired once (each does
two requests: the job and its events), and side by side the same polls are made the way
the official OpenAI provider's trigger does them: the blocking client wrapped in
``asyncio.to_thread`` (one default thread pool). The figures: time for all N to fire,
its ratio to one poll's latency (near 1 means they really wait together), the worst
stall of a 10 ms heartbeat on the loop, and the ratio between the two ways.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from typing import Any

from benchmarks._common import API_KEY, emulator_process, ratio, row

LATENCY = 0.2
EXAMPLES = [
    {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]} for i in range(10)
]


def start_jobs(base_url: str, count: int) -> list[str]:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    control = base_url.removesuffix("/v1") + "/_emulator"
    data = "".join(json.dumps(example) + "\n" for example in EXAMPLES).encode()
    file_id = session.post(
        f"{base_url}/files", files={"file": ("t.jsonl", data)}, data={"purpose": "fine-tune"}
    ).json()["id"]
    body = {"model": "gpt-4o-mini", "training_file": file_id}
    jobs = [session.post(f"{base_url}/fine_tuning/jobs", json=body).json()["id"] for _ in range(count)]
    session.post(f"{control}/clock", json={"advance": 3600})  # every job has finished
    session.post(f"{control}/faults", json={"path": "/v1/fine_tuning/jobs/*", "latency": LATENCY})
    session.close()
    return jobs


async def with_heartbeat(work) -> tuple[float, float]:
    """Run ``work``; return its duration and the loop's worst stall meanwhile."""
    stalls = [0.0]

    async def heartbeat() -> None:
        while True:
            tick = time.monotonic()
            await asyncio.sleep(0.01)
            stalls.append(time.monotonic() - tick - 0.01)

    beating = asyncio.create_task(heartbeat())
    started = time.monotonic()
    await work
    elapsed = time.monotonic() - started
    beating.cancel()
    return elapsed, max(stalls)


async def our_triggers(jobs: list[str]) -> None:
    from airflow_provider_openai_adv.triggers.job import OpenAIJobTrigger

    events = await asyncio.gather(*(anext(OpenAIJobTrigger("fine_tune", job, poll_interval=60).run()) for job in jobs))
    failed = [event.payload for event in events if event.payload["outcome"] != "success"]
    assert not failed, f"{len(failed)} triggers did not succeed, e.g. {failed[:2]}"


async def blocking_client_in_threads(jobs: list[str]) -> None:
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    hook = OpenAIAdvHook()

    def poll(job: str) -> dict[str, Any]:
        hook.list_fine_tune_events(job, limit=50)
        return hook.retrieve_fine_tune(job)

    results = await asyncio.gather(*(asyncio.to_thread(poll, job) for job in jobs))
    assert all(job["status"] == "succeeded" for job in results)


def run(args: Any) -> dict[str, Any]:
    import logging

    import structlog

    import airflow_provider_openai_adv.triggers.job  # noqa: F401 - Airflow configures its logging on import

    # The jobs' progress lines are not what is measured (the other way logs none): keep warnings only.
    logging.getLogger("airflow_provider_openai_adv").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    count = 200 if args.quick else 1000
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
    with emulator_process() as (_, base_url):
        jobs = start_jobs(base_url, count)
        os.environ["AIRFLOW_CONN_OPENAI_ADV_DEFAULT"] = json.dumps(
            {"conn_type": "openai_adv", "host": base_url, "password": API_KEY, "extra": {"max_retries": 0}}
        )
        ours, ours_stall = asyncio.run(with_heartbeat(our_triggers(jobs)))
        threads, threads_stall = asyncio.run(with_heartbeat(blocking_client_in_threads(jobs)))
    one_poll = 2 * LATENCY
    return {
        "triggers": count,
        "latency_s": LATENCY,
        "rows": [
            row(
                f"{count} triggers, ours (asyncio HTTP)", ours, "s", f"{ratio(ours, one_poll):.1f} x one poll's latency"
            ),
            row("  worst loop stall", ours_stall * 1000, "ms", "10 ms heartbeat"),
            row(
                f"{count} polls, blocking client in threads", threads, "s", f"{ratio(threads, one_poll):.1f} x one poll"
            ),
            row("  worst loop stall", threads_stall * 1000, "ms", "10 ms heartbeat"),
            row("threads / ours", ratio(threads, ours), "x", "> 1: ours finishes sooner"),
        ],
    }
