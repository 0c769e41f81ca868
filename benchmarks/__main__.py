"""``python -m benchmarks [NAME ...] [--quick]``: run the benchmarks, print a table per
benchmark, and write every figure to ``.bench/results.json`` (replaced on each run).

Only the standard library is imported here; each benchmark runs in a fresh interpreter
of its own and imports what it measures, so that none pays for what another loaded (a
full garbage-collector pass, for one, takes longer the more a process holds).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS

RESULTS = Path(__file__).resolve().parent.parent / ".bench" / "results.json"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if unit == "x" else f"{value:,.1f}"


def print_table(name: str, rows: list[dict[str, Any]]) -> None:
    width = max(len(r["name"]) for r in rows)
    print(f"\n== {name} ==")
    for r in rows:
        value = format_value(r["value"], r["unit"])
        print(f"  {r['name']:<{width}}  {value:>10} {r['unit']:<6}  {r['note']}".rstrip())


def run_alone(name: str, quick: bool) -> dict[str, Any]:
    """Benchmark ``name``'s figures, from a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        result_file = Path(folder) / "result.json"
        command = [sys.executable, "-m", "benchmarks", name, "--result-file", str(result_file)]
        subprocess.run([*command, *(["--quick"] if quick else [])], check=True)
        return json.loads(result_file.read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="short durations, for a smoke run")
    parser.add_argument("--result-file", help=argparse.SUPPRESS)  # run the one NAME here, its figures there
    args = parser.parse_args(argv)
    if args.result_file:
        (name,) = args.names
        result = importlib.import_module(f"benchmarks.{name}").run(args)
        Path(args.result_file).write_text(json.dumps(result))
        return
    if unknown := set(args.names) - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    report = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "quick": args.quick,
        "benchmarks": {},
    }
    quick = " (quick)" if args.quick else ""
    print(f"Python {report['python']} on {report['platform']}, {report['cpu_count']} CPUs{quick}")
    for name in args.names or BENCHMARKS:
        result = run_alone(name, args.quick)
        report["benchmarks"][name] = result
        print_table(name, result["rows"])
        sys.stdout.flush()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
