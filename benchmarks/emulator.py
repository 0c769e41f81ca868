"""Emulator throughput, and how it compares with what one of our clients can ask of it.

The emulator runs in its own process (the CLI), so it has a core to itself. This process
loads it with a minimal asyncio HTTP/1.1 keep-alive load generator (N connections, each
sending its next request as soon as the previous answer is read) and counts 200 answers
over a fixed window, for three request kinds. Then one ``OpenAIClient`` sends
``GET /models`` sequentially to the same emulator. The ratio emulator / client says how
far the emulator is from being the bottleneck of a benchmark that drives our client.

CPU use of both processes over each window is reported too: the emulator near 100 % of
a core means it is the limit; the load generator near 100 % means the figure is a floor.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from benchmarks._common import API_KEY, cpu_seconds, emulator_process, ratio, row

CONNECTIONS = 32
KINDS = {
    "GET /v1/models": ("GET", "/v1/models", None),
    "POST /v1/chat/completions": (
        "POST",
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
    ),
    "POST /v1/embeddings": ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "hello world"}),
}
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def raw_request(method: str, path: str, body: Any, host: str) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {API_KEY}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return head.encode() + b"\r\n" + payload


async def load(host: str, port: int, request: bytes, *, warmup: float, duration: float) -> dict[str, int]:
    """Keep ``CONNECTIONS`` connections busy; count answers during ``duration`` after ``warmup``."""
    counts = {"ok": 0, "errors": 0}
    window = {"measuring": False, "stop": False}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not window["stop"]:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                match = _CONTENT_LENGTH.search(head)
                await reader.readexactly(int(match[1]) if match else 0)
                if window["measuring"]:
                    counts["ok" if head[9:12] == b"200" else "errors"] += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    await asyncio.sleep(warmup)
    window["measuring"] = True
    await asyncio.sleep(duration)
    window["measuring"] = False
    window["stop"] = True
    await asyncio.gather(*tasks)
    return counts


def measure_kind(pid: int, url: Any, kind: tuple[str, str, Any], duration: float) -> dict[str, float | None]:
    request = raw_request(*kind, host=url.netloc)
    server_cpu, client_cpu, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
    counts = asyncio.run(load(url.hostname, url.port, request, warmup=0.2, duration=duration))
    elapsed = time.perf_counter() - started
    server_used = cpu_seconds(pid)
    return {
        "rps": counts["ok"] / duration,
        "errors": counts["errors"],
        "server_cpu": (server_used - server_cpu) / elapsed if server_used is not None else None,
        "loadgen_cpu": (time.process_time() - client_cpu) / elapsed,
    }


def client_rps(base_url: str, duration: float) -> float:
    """Sequential ``GET /models`` from one of our clients, after a short warm-up."""
    from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient

    client = OpenAIClient(ClientConfig(api_key=API_KEY, base_url=base_url))
    try:
        for _ in range(50):
            client.get("models")
        sent, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < duration:
            client.get("models")
            sent += 1
        return sent / elapsed
    finally:
        client.close()


def png_encode_ms(repeats: int) -> float:
    """The best of ``repeats`` encodings of the largest PNG the emulator generates (1024x1792)."""
    from airflow_provider_openai_adv.testing.png import encode_png

    def once() -> float:
        started = time.perf_counter()
        encode_png(1024, 1792, 5)
        return time.perf_counter() - started

    return min(once() for _ in range(repeats)) * 1000


def run(args: Any) -> dict[str, Any]:
    duration = 1.0 if args.quick else 5.0
    rows = [row("PNG 1024x1792, generated", png_encode_ms(3 if args.quick else 10), "ms", "best of several; per image")]
    with emulator_process() as (process, base_url):
        url = urlsplit(base_url)
        figures = {name: measure_kind(process.pid, url, kind, duration) for name, kind in KINDS.items()}
        ours = client_rps(base_url, 1.0 if args.quick else 3.0)
    for name, figure in figures.items():
        cpu = f"emulator CPU {figure['server_cpu']:.0%}" if figure["server_cpu"] is not None else ""
        note = f"{CONNECTIONS} conns; {cpu}, load generator CPU {figure['loadgen_cpu']:.0%}"
        if figure["errors"]:
            note += f"; {figure['errors']} non-200 answers"
        rows.append(row(name, figure["rps"], "req/s", note))
    rows.append(row("OpenAIClient GET models, sequential", ours, "req/s", "one client, one connection"))
    headroom = ratio(figures["GET /v1/models"]["rps"], ours)
    rows.append(row("emulator / client (GET models)", headroom, "x", "> 1: not the bottleneck"))
    return {"duration_s": duration, "connections": CONNECTIONS, "figures": figures, "client_rps": ours, "rows": rows}
