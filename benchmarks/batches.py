"""Rows to joined results through the Batch API, and what a retried batch task pays.

**Rows to results** (issue row 2). A JSONL file of N rows (``id``, ``text``; N = 5,000
and 50,000, ``--quick``: 1,000 and 5,000) goes through the emulator's Batch API, with
its batch timings at zero (a batch is done the first time it is read: the emulator runs
its N chat lines inside that one read). Two contenders, each in a fresh child process
on a freshly reset emulator, twice each, alternating which goes first (``--quick``: once):

- *ours*: ``OpenAIBatchOperator`` (``input`` the file, ``id_column="id"``, the chat
  ``body`` with ``{text}``, ``output_path`` a ``.jsonl``, ``deferrable=False``), executed
  the way a worker does with a minimal task context (this module's ``run_task``);
- *by hand*, the way the openai docs show it: the rows read into a list, one request
  line per row written to a JSONL file, ``client.files.create(purpose="batch")``,
  ``client.batches.create``, ``client.batches.retrieve`` every poll until the batch
  ends, the output and error files downloaded with ``client.files.content(...).text``
  and parsed into a dict by ``custom_id``, then one record per row written in input
  order (the row's columns, ``custom_id``, ``status``, ``response``, ``error``: our
  output's shape).

Both poll every 0.2 s. Each child reports the wall time and CPU time of the work alone
(after imports) and its peak RSS (``VmHWM``) twice: after the imports and the
client's or operator's construction, before any request (the baseline), and at the
end. *Growth* is peak minus baseline: what the work itself held at its worst. Of a
contender's runs the table keeps the shortest times and the largest growth. The
emulator's CPU time over each run is reported too (the same for both: it runs the same
lines), so the wall-time ratio says how much the client side differs, diluted by it.
Every output is checked: one record per row, in input order, all ``succeeded``, each
answer quoting its own row's text (the join is right); the benchmark fails otherwise.

**Retry safety** (issue row 3). A batch task is killed (SIGKILL: the worker is lost, so
``on_kill`` does not run) as soon as the emulator lists the batch it created, while that
batch is still validating; then the task is retried. The retry is modelled as what
Airflow's retry is: a fresh process running the same task instance (same ``dag_id``,
``task_id``, ``run_id``, ``map_index`` and DAG run start date; ``try_number`` 2) to the
end. The figure is the number of batches the emulator holds afterwards (each one paid
for): ours must create one (the retry finds its batch by the task's tag and waits on
it); *official*, the official provider's ``OpenAITriggerBatchOperator`` (``deferrable=False``,
``wait_for_completion=True``, its input file uploaded beforehand) is measured the same
way. The real-Airflow retry path (a DAG run, Airflow's own retry) is covered by
``tests/operators/test_batches.py::test_a_retried_task_reattaches_to_its_batches_instead_of_paying_twice``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks._common import (
    API_KEY,
    EmulatorControl,
    cpu_seconds,
    emulator_process,
    peak_rss_mib,
    process_cpu_s,
    ratio,
    row,
)

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "/v1/chat/completions"
MODEL = "gpt-4o-mini"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "{text}"}]}
POLL = 0.2
TARGET_MIB = 200
TERMINAL = ("completed", "failed", "expired", "cancelled")
IDENTITY = {
    "dag_id": "bench_batches",
    "task_id": "label",
    "run_id": "manual__2024-01-01T00:00:00+00:00",
    "map_index": -1,
}
RETRY_ROWS = 20
ROUNDS = 2  # each contender runs this many times, alternating who goes first
RETRY_TIMINGS = {"validating": 3.0, "per_request": 0.05, "finalizing": 0.0, "cancelling": 0.0}


# -- the parent: the emulator, the children, the checks -------------------------------------


class Emulator(EmulatorControl):
    """The controls and reads these benchmarks need."""

    def reset(self, **timings: float) -> None:
        self.control("POST", "/reset", {})
        self.control("POST", "/batch_timings", timings)

    def batches(self) -> list[dict[str, Any]]:
        return self.api("GET", "/batches?limit=100")["data"]

    def batch_creations(self) -> int:
        """``POST /v1/batches`` answered 200, from the journal."""
        journal = self.journal()
        return sum(1 for e in journal if e["method"] == "POST" and e["path"] == "/v1/batches" and e["status"] == 200)


def child_env(base_url: str, folder: Path) -> dict[str, str]:
    """A child's environment: Airflow at home in ``folder``, both providers' connections on the emulator."""
    home = folder / "airflow"
    home.mkdir(exist_ok=True)
    ours = {"conn_type": "openai_adv", "host": base_url, "password": API_KEY, "extra": {}}
    official = {"conn_type": "openai", "host": base_url, "password": API_KEY}
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_OPENAI_ADV_DEFAULT": json.dumps(ours),
        "AIRFLOW_CONN_OPENAI_DEFAULT": json.dumps(official),
        "TMPDIR": str(folder),  # the operator's working folders, left behind by a killed try
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def start_child(role: str, config: dict[str, Any], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "benchmarks.batches", role, json.dumps(config)]
    with log.open("wb") as sink:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


def finish_child(process: subprocess.Popen[bytes], log: Path, result: Path | None) -> dict[str, Any]:
    """Wait for a child; its result, or a loud failure quoting its output."""
    code = process.wait()
    if code != 0 or (result is not None and not result.exists()):
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"benchmark child {process.args[3]} failed (exit {code}); its output ends:\n{tail}")
    return json.loads(result.read_text()) if result is not None else {}


def write_rows(path: Path, count: int) -> Path:
    with path.open("w") as sink:
        for i in range(count):
            text = f"Ticket {i}: the printer on floor {i % 9} jams when printing double-sided."
            sink.write(json.dumps({"id": f"r{i:06d}", "text": text}) + "\n")
    return path


def verify(output: Path, rows: Path, who: str) -> None:
    """One record per row, in order, all succeeded, each answer quoting its own row."""
    with rows.open() as expected, output.open() as got:
        count = 0
        for count, (row_line, record_line) in enumerate(zip(expected, got, strict=False), start=1):
            source, record = json.loads(row_line), json.loads(record_line)
            if record.get("custom_id") != source["id"] or record.get("status") != "succeeded":
                raise RuntimeError(f"{who}: record {count} is {record_line[:300]!r}, for row {source['id']}")
            answer = record["response"]["choices"][0]["message"]["content"]
            if source["text"] not in answer:
                raise RuntimeError(f"{who}: record {count} ({source['id']}) holds another row's answer: {answer!r}")
        rows_left, records_left = expected.readline(), got.readline()
    if rows_left or records_left:
        raise RuntimeError(f"{who}: {count} records matched, then {'rows' if rows_left else 'records'} remain")


def one_run(emulator: Emulator, pid: int, folder: Path, env: dict[str, str], who: str, rows: Path) -> dict[str, Any]:
    """One contender on a fresh emulator, in a fresh child; its figures, its output checked."""
    emulator.reset(validating=0, per_request=0, finalizing=0, cancelling=0)
    output, result, log = (folder / f"{who}.{suffix}" for suffix in ("out.jsonl", "result.json", "log"))
    config = {"rows": str(rows), "output": str(output), "result": str(result), "base_url": emulator.base_url}
    emulator_cpu = cpu_seconds(pid)
    figure = finish_child(start_child(who, config, env, log), log, result)
    after = cpu_seconds(pid)
    figure["emulator_cpu_s"] = after - emulator_cpu if after is not None and emulator_cpu is not None else None
    verify(output, rows, f"{who}, {rows.name}")
    figure["batches"] = len(emulator.batches())
    for path in (output, result, log):
        path.unlink()
    return figure


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The shortest times and the largest growth over a contender's runs (each run kept too)."""
    worst = max(runs, key=lambda run: run["peak_mib"] - run["baseline_mib"])
    emulator_cpu = [run["emulator_cpu_s"] for run in runs if run["emulator_cpu_s"] is not None]
    return {
        "wall_s": min(run["wall_s"] for run in runs),
        "cpu_s": min(run["cpu_s"] for run in runs),
        "emulator_cpu_s": min(emulator_cpu) if emulator_cpu else None,
        "baseline_mib": worst["baseline_mib"],
        "peak_mib": worst["peak_mib"],
        "runs": runs,
    }


def rows_to_results(
    emulator: Emulator, pid: int, folder: Path, env: dict[str, str], count: int, rounds: int
) -> dict[str, Any]:
    rows = write_rows(folder / f"rows-{count}.jsonl", count)
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "sdk": []}
    for number in range(rounds):
        for who in ("ours", "sdk") if number % 2 == 0 else ("sdk", "ours"):
            runs[who].append(one_run(emulator, pid, folder, env, who, rows))
    rows.unlink()
    return {who: best(figures) for who, figures in runs.items()}


def retry_safety(emulator: Emulator, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """Kill each task once its batch exists; run it again; count the batches."""
    import openai

    rows = write_rows(folder / "retry-rows.jsonl", RETRY_ROWS)
    start_date = datetime.now(timezone.utc).isoformat()
    figures = {}
    for who in ("ours_task", "official_task"):
        emulator.reset(**RETRY_TIMINGS)
        config = {"rows": str(rows), "output": str(folder / f"{who}.out.jsonl"), "start_date": start_date}
        if who == "official_task":
            lines = "".join(
                json.dumps({"custom_id": f"r{i}", "method": "POST", "url": ENDPOINT, "body": BODY}) + "\n"
                for i in range(RETRY_ROWS)
            )
            with openai.OpenAI(api_key=API_KEY, base_url=emulator.base_url) as sdk:
                config["file_id"] = sdk.files.create(file=("in.jsonl", lines.encode()), purpose="batch").id
        log = folder / f"{who}-1.log"
        first = start_child(who, {**config, "try_number": 1}, env, log)
        started = time.monotonic()
        while not emulator.batches():
            if first.poll() is not None:
                raise RuntimeError(f"{who}: try 1 ended before its batch was listed:\n{log.read_text()[-3000:]}")
            if time.monotonic() - started > 120:
                first.kill()
                raise RuntimeError(f"{who}: try 1 created no batch in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        status_at_kill = emulator.batches()[0]["status"]
        if status_at_kill in TERMINAL:
            raise RuntimeError(f"{who}: the batch was {status_at_kill} when the kill landed; it must still run")
        log = folder / f"{who}-2.log"
        result = folder / f"{who}-2.result.json"
        second = finish_child(
            start_child(who, {**config, "try_number": 2, "result": str(result)}, env, log), log, result
        )
        if who == "ours_task":
            verify(Path(config["output"]), rows, "ours, the retried task")
        batches = emulator.batches()
        if any(batch["status"] != "completed" for batch in batches):
            raise RuntimeError(f"{who}: batches not completed after the retry: {[b['status'] for b in batches]}")
        figures[who] = {
            "batches": len(batches),
            "batch_creations": emulator.batch_creations(),
            "status_at_kill": status_at_kill,
            "killed_after_s": round(time.monotonic() - started, 2),
            "retry": second,
        }
    rows.unlink()
    return figures


def run(args: Any) -> dict[str, Any]:
    counts, rounds = ((1_000, 5_000), 1) if args.quick else ((5_000, 50_000), ROUNDS)
    with tempfile.TemporaryDirectory(prefix="bench-batches-") as tmp, emulator_process() as (process, base_url):
        folder = Path(tmp)
        emulator, env = Emulator(base_url), child_env(base_url, folder)
        results = {count: rows_to_results(emulator, process.pid, folder, env, count, rounds) for count in counts}
        retry = retry_safety(emulator, folder, env)
    return {
        "rows": table(results, retry),
        "row_counts": list(counts),
        "rounds": rounds,
        "figures": results,
        "retry": retry,
    }


def table(results: dict[int, dict[str, Any]], retry: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for count, figures in results.items():
        ours, sdk = figures["ours"], figures["sdk"]
        for who, figure in (("ours", ours), ("by hand", sdk)):
            note = f"client CPU {figure['cpu_s']:.1f} s"
            if figure["emulator_cpu_s"] is not None:
                note += f"; emulator CPU {figure['emulator_cpu_s']:.1f} s"
            rows.append(row(f"{count:,} rows, {who}: wall", figure["wall_s"], "s", note))
        for metric, label, better in (("wall_s", "wall", "faster"), ("cpu_s", "client CPU", "cheaper")):
            value = ratio(ours[metric], sdk[metric])
            rows.append(row(f"{count:,} rows, ours / by hand ({label})", value, "x", f"< 1: ours is {better}"))
        for who, figure in (("ours", ours), ("by hand", sdk)):
            peak = figure["peak_mib"]
            note = f"{figure['baseline_mib']:.0f} MiB after imports"
            if who == "ours":
                note = f"target < {TARGET_MIB} MiB: {'met' if peak < TARGET_MIB else 'NOT met'}; {note}"
            rows.append(row(f"{count:,} rows, {who}: peak RSS", peak, "MiB", note))
            growth = peak - figure["baseline_mib"]
            rows.append(row(f"{count:,} rows, {who}: growth", growth, "MiB", "peak - after imports"))
        growth_ratio = ratio(*(figure["peak_mib"] - figure["baseline_mib"] for figure in (sdk, ours)))
        rows.append(row(f"{count:,} rows, by hand / ours (growth)", growth_ratio, "x", "> 1: ours holds less"))
    small, large = min(results), max(results)
    for who, name in (("ours", "ours"), ("sdk", "by hand")):
        grew = [results[count][who]["peak_mib"] - results[count][who]["baseline_mib"] for count in (small, large)]
        note = f"{large // small}x the rows: growth at {large:,} minus at {small:,}"
        rows.append(row(f"{name}: growth, {small:,} -> {large:,} rows", grew[1] - grew[0], "MiB", note))
    for who, name, expected in (("ours_task", "ours", 1), ("official_task", "official", None)):
        figure = retry[who]
        count = figure["batches"]
        verdict = (
            f"target {expected}: {'met' if count == expected else 'NOT met'}" if expected else "a new batch per try"
        )
        note = f"{verdict}; killed while {figure['status_at_kill']}; {figure['batch_creations']} POST /v1/batches"
        rows.append(row(f"retry after a kill, {name}: batches", count, "", note))
    return rows


# -- the children ------------------------------------------------------------------------


class Measure:
    """Baseline at construction (after the imports); ``done()`` the figures of the work since."""

    def __init__(self) -> None:
        self.baseline, self.cpu, self.wall = peak_rss_mib(), process_cpu_s(), time.perf_counter()

    def done(self, **extra: Any) -> dict[str, Any]:
        wall, cpu = time.perf_counter() - self.wall, process_cpu_s() - self.cpu
        return {"wall_s": wall, "cpu_s": cpu, "baseline_mib": self.baseline, "peak_mib": peak_rss_mib(), **extra}


class TaskInstance:
    """What an operator reads of its task instance, and the XComs it pushes (kept in memory)."""

    def __init__(self, try_number: int, dag_id: str, task_id: str, run_id: str, map_index: int) -> None:
        self.dag_id, self.task_id, self.run_id, self.map_index = dag_id, task_id, run_id, map_index
        self.try_number, self.start_date = try_number, datetime.now(timezone.utc)
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get(key)


def run_task(operator: Any, *, try_number: int = 1, start_date: str | None = None) -> Any:
    """Render and execute ``operator`` as a worker would, with a minimal context (no deferral)."""
    from types import SimpleNamespace

    from airflow.sdk.bases.operator import ExecutorSafeguard

    ti = TaskInstance(try_number, **IDENTITY)
    started = datetime.fromisoformat(start_date) if start_date else ti.start_date
    dag_run = SimpleNamespace(dag_id=ti.dag_id, run_id=ti.run_id, start_date=started)
    context = {"ti": ti, "task_instance": ti, "dag_run": dag_run, "run_id": ti.run_id, "ds": "2024-01-01", "params": {}}
    operator.render_template_fields(context)
    ExecutorSafeguard.test_mode = True  # execute() outside a task runner, as tests do
    return operator.execute(context)


def our_operator(config: dict[str, Any]) -> Any:
    from airflow_provider_openai_adv.operators.batches import OpenAIBatchOperator

    return OpenAIBatchOperator(
        task_id=IDENTITY["task_id"], input=config["rows"], id_column="id", endpoint=ENDPOINT, body=BODY,
        output_path=config["output"], deferrable=False, poll_interval=POLL,
    )  # fmt: skip


def import_ours() -> None:
    """What our operator's run imports, so that the baseline holds it."""
    import airflow_provider_openai_adv.bulk.batch_files
    import airflow_provider_openai_adv.bulk.results
    import airflow_provider_openai_adv.bulk.rows
    import airflow_provider_openai_adv.bulk.template
    import airflow_provider_openai_adv.client.http
    import airflow_provider_openai_adv.hooks.connection
    import airflow_provider_openai_adv.hooks.storage
    import airflow_provider_openai_adv.jobs.batches
    import airflow_provider_openai_adv.jobs.engine
    import airflow_provider_openai_adv.operators.batches  # noqa: F401


def child_ours(config: dict[str, Any]) -> dict[str, Any]:
    import_ours()
    operator = our_operator(config)
    measure = Measure()
    summary = run_task(operator)
    return measure.done(summary={key: summary[key] for key in ("total", "succeeded", "failed")})


def child_sdk(config: dict[str, Any]) -> dict[str, Any]:
    import openai

    client = openai.OpenAI(api_key=API_KEY, base_url=config["base_url"])
    measure = Measure()
    batch_id = by_hand(client, Path(config["rows"]), Path(config["output"]))
    return measure.done(batch_id=batch_id)


def by_hand(client: Any, rows_path: Path, output_path: Path) -> str:
    """Rows to joined results with the openai SDK, the way its docs show the Batch API."""
    with rows_path.open() as source:
        rows = [json.loads(line) for line in source]
    requests_path = output_path.with_name(output_path.name + ".requests.jsonl")
    with requests_path.open("w") as sink:
        for item in rows:
            body = {"model": MODEL, "messages": [{"role": "user", "content": item["text"]}]}
            sink.write(json.dumps({"custom_id": item["id"], "method": "POST", "url": ENDPOINT, "body": body}) + "\n")
    with requests_path.open("rb") as upload:
        batch_file = client.files.create(file=upload, purpose="batch")
    batch = client.batches.create(input_file_id=batch_file.id, endpoint=ENDPOINT, completion_window="24h")
    while batch.status not in TERMINAL:
        time.sleep(POLL)
        batch = client.batches.retrieve(batch.id)
    results = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for line in client.files.content(file_id).text.splitlines():
                result = json.loads(line)
                results[result["custom_id"]] = result
    with output_path.open("w") as sink:
        for item in rows:
            result = results.get(item["id"]) or {}
            response = result.get("response") or {}
            ok = response.get("status_code") == 200
            record = {
                **item,
                "custom_id": item["id"],
                "status": "succeeded" if ok else "failed",
                "response": response.get("body") if ok else None,
                "error": None if ok else result.get("error") or response.get("body"),
            }
            sink.write(json.dumps(record) + "\n")
    requests_path.unlink()
    return batch.id


def child_ours_task(config: dict[str, Any]) -> dict[str, Any]:
    summary = run_task(our_operator(config), try_number=config["try_number"], start_date=config["start_date"])
    return {"succeeded": summary["succeeded"]}


def child_official_task(config: dict[str, Any]) -> dict[str, Any]:
    from airflow.providers.openai.operators.openai import OpenAITriggerBatchOperator

    operator = OpenAITriggerBatchOperator(
        task_id=IDENTITY["task_id"], file_id=config["file_id"], endpoint=ENDPOINT, conn_id="openai_default",
        deferrable=False, wait_for_completion=True, wait_seconds=POLL,
    )  # fmt: skip
    return {"batch_id": run_task(operator, try_number=config["try_number"], start_date=config["start_date"])}


CHILDREN = {"ours": child_ours, "sdk": child_sdk, "ours_task": child_ours_task, "official_task": child_official_task}

if __name__ == "__main__":
    role, settings = sys.argv[1], json.loads(sys.argv[2])
    figures = CHILDREN[role](settings)
    if settings.get("result"):
        Path(settings["result"]).write_text(json.dumps(figures))
