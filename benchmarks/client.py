"""Per-request cost of our client, the official ``openai`` SDK and a bare ``requests.Session``.

All three send the same chat completion, sequentially, to the same emulator process,
the same number of times, interleaved in rounds (A, B, C, A, B, C, ...) so that noise
spreads over all of them. Both wall time and this process's CPU time are reported per
request: the wall time includes the emulator's share (the same for all), the CPU time is
the client side alone. The same again for streamed chat completions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks._common import API_KEY, emulator_process, ratio, row

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
ROUNDS = 20
WARMUP = 20


def interleaved(contenders: dict[str, Callable[[], Any]], requests: int) -> dict[str, dict[str, float]]:
    """Mean wall and CPU µs per call of each contender, in interleaved rounds."""
    for call in contenders.values():
        for _ in range(WARMUP):
            call()
    wall = dict.fromkeys(contenders, 0.0)
    cpu = dict.fromkeys(contenders, 0.0)
    per_round = max(1, requests // ROUNDS)
    for _ in range(ROUNDS):
        for name, call in contenders.items():
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(per_round):
                call()
            wall[name] += time.perf_counter() - wall_start
            cpu[name] += time.process_time() - cpu_start
    done = per_round * ROUNDS
    return {name: {"wall_us": wall[name] / done * 1e6, "cpu_us": cpu[name] / done * 1e6} for name in contenders}


def bare_stream(session: Any, url: str) -> int:
    with session.post(url, json={**BODY, "stream": True}, stream=True) as response:
        response.raise_for_status()
        lines = (line[6:] for line in response.iter_lines() if line.startswith(b"data: "))
        return sum(1 for data in lines if data != b"[DONE]" and json.loads(data))


def run(args: Any) -> dict[str, Any]:
    import openai
    import requests

    from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient

    requests_each = 200 if args.quick else 2000
    results = {}
    with emulator_process() as (_, base_url):
        ours = OpenAIClient(ClientConfig(api_key=API_KEY, base_url=base_url))
        sdk = openai.OpenAI(api_key=API_KEY, base_url=base_url)
        bare = requests.Session()
        bare.headers["Authorization"] = f"Bearer {API_KEY}"
        url = f"{base_url}/chat/completions"

        def bare_post() -> Any:
            response = bare.post(url, json=BODY)
            response.raise_for_status()
            return response.json()

        try:
            results["chat"] = interleaved(
                {
                    "ours": lambda: ours.post("chat/completions", BODY),
                    "openai_sdk": lambda: sdk.chat.completions.create(**BODY),
                    "bare_requests": bare_post,
                },
                requests_each,
            )
            results["chat, streamed"] = interleaved(
                {
                    "ours": lambda: sum(1 for _ in ours.stream_events("chat/completions", {**BODY, "stream": True})),
                    "openai_sdk": lambda: sum(1 for _ in sdk.chat.completions.create(**BODY, stream=True)),
                    "bare_requests": lambda: bare_stream(bare, url),
                },
                requests_each // 2,
            )
        finally:
            ours.close()
            sdk.close()
            bare.close()
    rows = []
    for kind, figures in results.items():
        for name, figure in figures.items():
            note = f"client CPU {figure['cpu_us']:.0f} µs/req"
            rows.append(row(f"{kind}: {name}", figure["wall_us"], "µs/req", note))
        for metric, label in (("wall_us", "wall"), ("cpu_us", "client CPU")):
            sdk_ours = ratio(figures["openai_sdk"][metric], figures["ours"][metric])
            ours_bare = ratio(figures["ours"][metric], figures["bare_requests"][metric])
            rows.append(row(f"{kind}: openai_sdk / ours ({label})", sdk_ours, "x", "> 1: ours is cheaper"))
            rows.append(row(f"{kind}: ours / bare_requests ({label})", ours_bare, "x", "our overhead over requests"))
    return {"requests_each": requests_each, "figures": results, "rows": rows}
