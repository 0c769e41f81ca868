"""Bulk embeddings as direct requests, paced to the account's limits (issue row 1).

N inputs (50,000; ``--quick``: 5,000), each a distinct text of about 120 characters, go
to ``/v1/embeddings`` (``text-embedding-3-small``, 256 dimensions, base64 on the wire,
as the openai SDK asks by default) on the emulator in its own process, with 100 ms
latency and limits of 3,000 requests/min and 1,000,000 tokens/min on that path (the
emulator's sliding 60 s window; a request costs its body's bytes / 4). Each contender
runs in a fresh child process on a freshly reset emulator:

- *ours*: ``OpenAIBulkRequestsOperator`` (``input`` a JSONL file, ``id_column="id"``,
  ``output_path`` a ``.jsonl``, everything else default), executed the way a worker does;
- *official*: ``apache-airflow-providers-openai``'s ``OpenAIEmbeddingOperator`` as its
  API allows: one task per 2,048 inputs (its ``input_text`` is one request), 8 tasks at
  a time (mapped tasks), each with its own client (the openai SDK's two retries, which
  honour ``retry-after``); a task that fails is run again, up to three tries (Airflow's
  retry, without its default 5-minute delay).

Figures, from the emulator's journal: **throughput** as a share of the binding limit
(the tokens the emulator admitted per minute of the send, over its TPM, and requests
over RPM; the larger share binds); **429s** as a share of all requests; **inputs lost**
(no successful answer carried them) and **duplicated** (more than one did). Ours must
also write one record per input, in order, all succeeded; the benchmark fails otherwise.

The emulator's window starts empty and is a sliding minute: a client that bursts gets a
whole minute's budget at once (a share over 100 % on a short run) and then 429s until it
slides. OpenAI may enforce a minute's limit over shorter spans; ours spends it evenly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks._common import API_KEY, EmulatorControl, cpu_seconds, emulator_process, row

ROOT = Path(__file__).resolve().parent.parent
MODEL = "text-embedding-3-small"
DIMENSIONS = 256
LATENCY = 0.1
RPM, TPM = 3_000, 1_000_000
OFFICIAL_BATCH = 2_048  # inputs in one request: the most OpenAI takes
OFFICIAL_PARALLEL = 8
OFFICIAL_TRIES = 3
WORDS = ("printer", "invoice", "parcel", "password", "refund", "laptop", "meeting", "contract", "badge", "server")
VERBS = ("jams", "is late", "was charged twice", "cannot be reset", "went missing", "overheats", "was cancelled")


def text(n: int) -> str:
    body = (
        f"Ticket {n:06d}: the {WORDS[n % 10]} on floor {n % 13} {VERBS[n % 7]} again; "
        f"the {WORDS[(n // 10) % 10]} team saw it {n % 97} times this week"
    )
    return body.ljust(120, ".")


# -- the parent ---------------------------------------------------------------------------------


class Emulator(EmulatorControl):
    """The controls and reads this benchmark needs."""

    def prepare(self) -> None:
        """A fresh emulator: 100 ms on embeddings, the account's limits, an empty window."""
        self.control("POST", "/reset", {})
        self.control("POST", "/faults", {"path": "/v1/embeddings", "latency": LATENCY})
        self.control("POST", "/limits", {"rpm": RPM, "tpm": TPM, "path": "/v1/embeddings"})

    def embeddings_journal(self) -> list[dict[str, Any]]:
        return [entry for entry in self.journal() if entry["path"] == "/v1/embeddings"]


def measure(journal: list[dict[str, Any]], texts: list[str], seconds: float) -> dict[str, Any]:
    """What the emulator saw: admitted tokens and requests, 429s, each input's answers."""
    answered = [entry for entry in journal if entry["status"] == 200]
    tokens = sum(max(1, len(entry["body"].encode()) // 4) for entry in answered)
    carried = Counter(item for entry in answered for item in json.loads(entry["body"])["input"])
    expected = Counter(texts)
    minutes = seconds / 60
    token_share, request_share = tokens / (minutes * TPM), len(answered) / (minutes * RPM)
    return {
        "seconds": seconds,
        "requests": len(journal),
        "answered": len(answered),
        "rate_limited": sum(1 for entry in journal if entry["status"] == 429),
        "other_errors": sum(1 for entry in journal if entry["status"] not in (200, 429)),
        "tokens": tokens,
        "binding": "tokens" if token_share >= request_share else "requests",
        "share": max(token_share, request_share),
        "lost": sum(1 for item in expected if carried[item] == 0),
        "duplicated": sum(1 for item in expected if carried[item] > 1),
    }


def child(role: str, config: dict[str, Any], env: dict[str, str], folder: Path) -> dict[str, Any]:
    result, log = folder / f"{role}.result.json", folder / f"{role}.log"
    config = {**config, "result": str(result)}
    with log.open("wb") as sink:
        code = subprocess.run(
            [sys.executable, "-m", "benchmarks.bulk", role, json.dumps(config)],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False,
        ).returncode  # fmt: skip
    if code != 0 or not result.exists():
        raise RuntimeError(f"benchmark child {role} failed (exit {code}); its output ends:\n{log.read_text()[-3000:]}")
    return json.loads(result.read_text())


def child_env(base_url: str, folder: Path) -> dict[str, str]:
    home = folder / "airflow"
    home.mkdir(exist_ok=True)
    ours = {"conn_type": "openai_adv", "host": base_url, "password": API_KEY}
    official = {"conn_type": "openai", "host": base_url, "password": API_KEY}
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_OPENAI_ADV_DEFAULT": json.dumps(ours),
        "AIRFLOW_CONN_OPENAI_DEFAULT": json.dumps(official),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def verify(output: Path, count: int) -> None:
    """One record per input, in order, all succeeded, each with its vector."""
    with output.open() as records:
        number = -1
        for number, line in enumerate(records):
            record = json.loads(line)
            if record["custom_id"] != f"doc-{number}" or record["status"] != "succeeded":
                raise RuntimeError(f"ours: record {number} is {line[:300]!r}")
            if not record["response"]["data"][0]["embedding"]:
                raise RuntimeError(f"ours: record {number} has no embedding")
    if number + 1 != count:
        raise RuntimeError(f"ours: {number + 1} records for {count} inputs")


def run(args: Any) -> dict[str, Any]:
    count = 5_000 if args.quick else 50_000
    official = importlib.util.find_spec("airflow.providers.openai") is not None
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as name, emulator_process() as (process, base_url):
        folder = Path(name)
        texts = [text(n) for n in range(count)]
        rows = folder / "docs.jsonl"
        rows.write_text("".join(json.dumps({"id": f"doc-{n}", "text": item}) + "\n" for n, item in enumerate(texts)))
        emulator = Emulator(base_url)
        env = child_env(base_url, folder)
        for role in ("ours", "official") if official else ("ours",):
            emulator.prepare()
            started = cpu_seconds(process.pid)
            config = {"rows": str(rows), "output": str(folder / f"{role}.out.jsonl")}
            result = child(role, config, env, folder)
            ended = cpu_seconds(process.pid)
            if role == "ours":
                verify(Path(config["output"]), count)
            figures[role] = {**result, **measure(emulator.embeddings_journal(), texts, result["send_s"])}
            figures[role]["emulator_cpu_s"] = ended - started if started is not None and ended is not None else None
    return {"inputs": count, "figures": figures, "rows": table(figures, count, official)}


def table(figures: dict[str, Any], count: int, official: bool) -> list[dict[str, Any]]:
    ours = figures["ours"]
    rows = [
        row("ours: throughput / binding limit", 100 * ours["share"], "%",
            f"{ours['binding']} bind (target >= 95 %); {ours['tokens']:,} tokens in {ours['seconds']:.1f} s"),
        row("ours: 429s / requests", 100 * ours["rate_limited"] / max(ours["requests"], 1), "%",
            f"{ours['rate_limited']} of {ours['requests']} (target < 1 %)"),
        row("ours: inputs lost + duplicated", ours["lost"] + ours["duplicated"], "inputs",
            f"lost {ours['lost']}, duplicated {ours['duplicated']} of {count:,} (target 0)"),
        row("ours: inputs per request", count / ours["answered"], "inputs", f"{ours['answered']} answered requests"),
        row("ours: task wall time", ours["wall_s"], "s",
            f"send {ours['send_s']:.1f} s, output written in {ours['write_s']:.1f} s; task CPU {ours['cpu_s']:.1f} s"),
    ]  # fmt: skip
    if not official:
        rows.append(row("official: OpenAIEmbeddingOperator", None, "", "apache-airflow-providers-openai not installed"))
        return rows
    theirs = figures["official"]
    rows += [
        row("official: throughput / binding limit", 100 * theirs["share"], "%",
            f"{theirs['binding']} bind; {theirs['tokens']:,} tokens in {theirs['seconds']:.1f} s "
            f"({theirs['tasks']} tasks of <= {OFFICIAL_BATCH:,}, {OFFICIAL_PARALLEL} at a time)"),
        row("official: 429s / requests", 100 * theirs["rate_limited"] / max(theirs["requests"], 1), "%",
            f"{theirs['rate_limited']} of {theirs['requests']}; tasks failed and rerun: {theirs['task_failures']}"),
        row("official: inputs lost + duplicated", theirs["lost"] + theirs["duplicated"], "inputs",
            f"lost {theirs['lost']} (tasks failed {OFFICIAL_TRIES} times: {theirs['tasks_lost']}), "
            f"duplicated {theirs['duplicated']}"),
        row("official: inputs per request", count / max(theirs["answered"], 1), "inputs",
            f"{theirs['answered']} answered requests"),
        row("official: wall time", theirs["wall_s"], "s", "the vectors stay in memory (XCom), no output file"),
    ]  # fmt: skip
    return rows


# -- the children -------------------------------------------------------------------------------


def ours(config: dict[str, Any]) -> dict[str, Any]:
    from types import SimpleNamespace

    from airflow_provider_openai_adv.operators.bulk import OpenAIBulkRequestsOperator

    body = {"model": MODEL, "input": "{text}", "dimensions": DIMENSIONS, "encoding_format": "base64"}
    task = OpenAIBulkRequestsOperator(
        task_id="embed", input=config["rows"], id_column="id", endpoint="/v1/embeddings", body=body,
        output_path=config["output"],
    )  # fmt: skip
    context = {"ti": SimpleNamespace(xcom_push=lambda key, value: None)}
    wall, cpu = time.perf_counter(), time.process_time()
    value = task.execute(context)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tally = task.job.tally
    send = tally.ended - tally.started
    return {"wall_s": wall, "cpu_s": cpu, "send_s": send, "write_s": wall - send, "xcom": value}


def official(config: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from airflow.providers.openai.operators.openai import OpenAIEmbeddingOperator

    texts = [json.loads(line)["text"] for line in Path(config["rows"]).read_text().splitlines()]
    batches = [texts[start : start + OFFICIAL_BATCH] for start in range(0, len(texts), OFFICIAL_BATCH)]

    def task(number: int) -> bool:
        operator = OpenAIEmbeddingOperator(
            task_id=f"embed_{number}", conn_id="openai_default", input_text=batches[number], model=MODEL,
            embedding_kwargs={"dimensions": DIMENSIONS},
        )  # fmt: skip
        try:
            vectors = operator.execute({})
        except Exception:  # the task fails; Airflow would retry it
            return False
        return len(vectors) == len(batches[number])

    started = time.perf_counter()
    todo, failures = list(range(len(batches))), 0
    for _ in range(OFFICIAL_TRIES):
        with ThreadPoolExecutor(OFFICIAL_PARALLEL) as pool:
            done = list(pool.map(task, todo))
        todo = [number for number, ok in zip(todo, done, strict=True) if not ok]
        failures += len(todo)
        if not todo:
            break
    wall = time.perf_counter() - started
    return {"wall_s": wall, "send_s": wall, "tasks": len(batches), "task_failures": failures, "tasks_lost": len(todo)}


if __name__ == "__main__":
    role, settings = sys.argv[1], json.loads(sys.argv[2])
    outcome = {"ours": ours, "official": official}[role](settings)
    Path(settings["result"]).write_text(json.dumps(outcome))
