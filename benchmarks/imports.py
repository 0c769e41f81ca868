"""DAG-parse cost: the time to import a module in a fresh interpreter that already
imported ``airflow.sdk`` (a DAG file imports Airflow anyway, so only the rest counts).

Each target is imported in its own subprocess, the targets interleaved over the repeats,
and the median is kept; a first untimed run per target warms the bytecode cache. The
child also counts the modules the import added. A ``module:Name`` target also fetches
``Name`` (our operators package loads an operator's module on first access). Targets that
cannot be imported (our operators before they exist, the official provider when not
installed) are skipped.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

from benchmarks._common import ratio, row

TARGETS = {
    "ours: hook": "airflow_provider_openai_adv.hooks.openai_adv",
    "openai SDK": "openai",
    "ours: client": "airflow_provider_openai_adv.client",
    # What a triggerer loads to run our trigger: it must not pull in requests.
    "ours: trigger": "airflow_provider_openai_adv.triggers.job",
    # What a DAG file does: the package resolves the class lazily, so name one.
    "ours: operators": "airflow_provider_openai_adv.operators:OpenAICreateChatCompletionOperator",
    # The response operator brings the wait engine with it (background responses).
    "ours: response operator": "airflow_provider_openai_adv.operators:OpenAICreateResponseOperator",
    "official provider: operators": "airflow.providers.openai.operators.openai",
}
CHILD = """\
import importlib, json, sys, time
import airflow.sdk
before = len(sys.modules)
started = time.perf_counter()
module, _, name = sys.argv[1].partition(":")
imported = importlib.import_module(module)
if name:
    getattr(imported, name)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "modules": len(sys.modules) - before,
    "requests": "requests" in sys.modules,
}))
"""


def import_once(module: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CHILD, module], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        raise ImportError(lines[-1] if lines else f"exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loads(result: dict[str, Any]) -> str:
    return f"{result['modules']} modules added" + (", requests among them" if result["requests"] else ", no requests")


def run(args: Any) -> dict[str, Any]:
    repeats = 3 if args.quick else 9
    with tempfile.TemporaryDirectory(prefix="bench-airflow-home-") as home:
        env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # deployments import from bytecode; the warm-up writes it
        targets, skipped = {}, {}
        for label, module in TARGETS.items():
            try:
                import_once(module, env)
                targets[label] = module
            except ImportError as error:
                skipped[label] = str(error)
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in targets}
        for _ in range(repeats):
            for label, module in targets.items():
                runs[label].append(import_once(module, env))
    medians = {label: statistics.median(r["seconds"] for r in results) * 1000 for label, results in runs.items()}
    rows = [row(label, medians[label], "ms", f"{_loads(runs[label][0])}; {TARGETS[label]}") for label in targets]
    rows += [row(label, None, "ms", f"skipped: {reason}") for label, reason in skipped.items()]
    for ours in ("ours: hook", "ours: client", "ours: operators"):
        if ours in medians:
            sdk_ours = ratio(medians.get("openai SDK"), medians[ours])
            rows.append(row(f"openai SDK / {ours}", sdk_ours, "x", "> 1: ours is cheaper"))
    for ours in ("ours: operators", "ours: response operator"):
        if "official provider: operators" in medians and ours in medians:
            official = ratio(medians["official provider: operators"], medians[ours])
            rows.append(row(f"official provider / {ours}", official, "x", "> 1: ours is cheaper"))
    return {"repeats": repeats, "median_ms": medians, "runs": runs, "skipped": skipped, "rows": rows}
