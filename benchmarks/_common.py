"""What the benchmarks share: the emulator in its own process, CPU clocks, result rows."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

API_KEY = "sk-bench"  # the CLI emulator accepts any key


@contextlib.contextmanager
def emulator_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``python -m airflow_provider_openai_adv.testing.emulator --port 0``; yield it
    and its base URL; always terminate it."""
    command = [sys.executable, "-m", "airflow_provider_openai_adv.testing.emulator", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the emulator did not start (first line: {line!r})")
        yield process, line.split()[-1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (``VmHWM``). Not ``ru_maxrss``:
    a child process starts with its parent's peak there, which hides a child's own."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def process_cpu_s() -> float:
    """This process's user + system CPU seconds so far."""
    return time.process_time()


def row(name: str, value: float | None, unit: str, note: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "note": note}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


class EmulatorControl:
    """An emulator process's control endpoints (``/_emulator/...``) and API reads, over
    ``urllib`` (nothing measured is loaded in the parent)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.control_url = base_url.removesuffix("/v1") + "/_emulator"

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, self.control_url + path, body)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, self.base_url + path, body)

    def journal(self) -> list[dict[str, Any]]:
        return self.control("GET", "/requests")

    @staticmethod
    def call(method: str, url: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {API_KEY}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
