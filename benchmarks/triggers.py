"""A triggerer's load: many fine-tune triggers waiting at once on one event loop.

N jobs (1,000; ``--quick``: 200) are started on the emulator, which runs in its own
process and answers every request after a fixed latency (0.2 s, a slow API day). Then N
``OpenAIJobTrigger`` (kind ``fine_tune``) start in the same instant on one loop, as after
a triggerer restart, and run until each has fired once (each does two requests: the job
and its events); side by side the same polls are made the way the official OpenAI
provider's trigger does them: the blocking client wrapped in ``asyncio.to_thread`` (one
default thread pool).

The figures the triggers are held to (at 1,000): the time until all have fired (target
≤ 5 s) and the worst stall of a 10 ms heartbeat on their loop (target ≤ 200 ms). Beside
them: that time as a multiple of one poll's latency, the sockets the emulator saw, and
the longest full pass of Python's cyclic garbage collector during the run — a pause of
the whole process, mostly proportional to everything Airflow has loaded, that the worst
stall includes when it falls in the run.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import tempfile
import time
from typing import Any

from benchmarks._common import API_KEY, emulator_process, ratio, row

LATENCY = 0.2
TARGET_ALL_FIRED = 5.0  # seconds, at 1,000 triggers
TARGET_STALL = 0.2  # seconds
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


class FullCollections:
    """The longest full (generation 2) pass of the cyclic GC while in the block."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.monotonic()
        else:
            self.longest = max(self.longest, time.monotonic() - self._started)


def sockets_seen(base_url: str, path_prefix: str) -> int:
    """TCP connections the emulator saw for requests under ``path_prefix`` (one ``peer`` each)."""
    import requests

    control = base_url.removesuffix("/v1") + "/_emulator"
    journal = requests.get(f"{control}/requests", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30).json()
    entries = journal if isinstance(journal, list) else journal.get("requests", [])
    return len({entry["peer"] for entry in entries if entry.get("path", "").startswith(path_prefix)})


def verdict(value: float, target: float, unit: str, applies: bool) -> str:
    bound = f"target <= {target:g} {unit}"
    if not applies:
        return f"{bound} at 1,000 triggers"
    return f"{bound}: {'met' if value <= target else 'not met'}"


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
        gc.collect()  # the set-up's garbage is not the triggers'
        with FullCollections() as collections:
            ours, ours_stall = asyncio.run(with_heartbeat(our_triggers(jobs)))
        sockets = sockets_seen(base_url, "/v1/fine_tuning/jobs/")
        threads, threads_stall = asyncio.run(with_heartbeat(blocking_client_in_threads(jobs)))
    one_poll = 2 * LATENCY
    full = count >= 1000
    fired_note = verdict(ours, TARGET_ALL_FIRED, "s", full)
    stall_note = verdict(ours_stall * 1000, TARGET_STALL * 1000, "ms", full) + " (10 ms heartbeat)"
    return {
        "triggers": count,
        "latency_s": LATENCY,
        "rows": [
            row(f"{count} triggers started together, all fired", ours, "s", fired_note),
            row("  worst loop stall", ours_stall * 1000, "ms", stall_note),
            row("  longest full GC pass meanwhile", collections.longest * 1000, "ms", "the process's, in any stall"),
            row("  all fired / one poll's latency", ratio(ours, one_poll), "x", "near 1: all wait together"),
            row("  sockets the server saw", sockets, "", "one pooled client per loop and connection"),
            row(
                f"{count} polls, blocking client in threads", threads, "s", f"{ratio(threads, one_poll):.1f} x one poll"
            ),
            row("  worst loop stall", threads_stall * 1000, "ms", "10 ms heartbeat"),
            row("threads / ours", ratio(threads, ours), "x", "> 1: ours finishes sooner"),
        ],
    }
