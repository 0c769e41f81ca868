"""``make demo``: run the fine-tune pipeline end to end with ``airflow dags test``.

check data → upload → fine-tune (deferred) → evaluate against the base model → promote
or delete → clean up → the evaluation table.

Without ``OPENAI_API_KEY`` the DAG talks to the OpenAI emulator, started here on a
free loopback port (fine-tunes take seconds there) and stopped afterwards; with it, to
OpenAI (a real fine-tune: minutes, and a few cents). Airflow runs on a throwaway SQLite
metadata database under ``.demo/``. The full log is kept in ``.demo/dags-test.log``;
the console shows the tasks and what they printed, ending with the evaluation table.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / ".demo"
DAG_ID = "openai_adv_fine_tune_pipeline"
EMULATED_FINE_TUNE = "2,2,6"  # seconds validating, queued, running: long enough to watch
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[\w+\s*\] (?P<message>.*?) \[[\w.]+\]")
# Log lines worth seeing on the console: the fine-tune's progress (its events; the
# per-step metrics stay in the log file) and the outcome.
SHOWN_LOGS = re.compile(r"\[ftjob-\w+\] (?!step )|fine-tuning job .* is |Fine-tuned model ready|Quality gate")
TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
RUN_END = re.compile(r"DagRun Finished: .*state=(\w+)")


@contextmanager
def openai_target():
    """Yield (base URL, API key, label, poll seconds): OpenAI itself, or an emulator run for the demo."""
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        yield "https://api.openai.com/v1", key, "OpenAI (OPENAI_API_KEY is set)", "30"
        return
    emulator = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_openai_adv.testing.emulator", "--port", "0",
         "--storage-dir", str(DEMO_DIR / "emulator-files"), "--fine-tune-seconds", EMULATED_FINE_TUNE],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        banner = emulator.stdout.readline().strip()
        if not banner.startswith("OpenAI emulator listening on "):
            raise SystemExit(f"the emulator did not start: {banner!r}")
        yield banner.rsplit(" ", 1)[-1], "sk-emulator-key", "the OpenAI emulator (no API key needed)", "1"
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def airflow_env(base_url: str, api_key: str, poll_seconds: str) -> dict[str, str]:
    home = DEMO_DIR / "airflow-home"
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "example_dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        PYTHONWARNINGS="ignore::UserWarning",  # e.g. "install graphviz", irrelevant here
        OPENAI_ADV_POLL_SECONDS=poll_seconds,
        AIRFLOW_CONN_OPENAI_ADV_DEFAULT=json.dumps(
            {"conn_type": "openai_adv", "host": base_url, "password": api_key, "extra": {"max_retries": 3}}
        ),
    )
    return env


def run_dag(env: dict[str, str]) -> str:
    """Run ``airflow dags test``; echo the task names and what tasks print; return the run's state."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_path = DEMO_DIR / "dags-test.log"
    state = "unknown"
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            [airflow, "dags", "test", DAG_ID, "--conf", json.dumps({"output_dir": str(DEMO_DIR / "output")})],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        for line in process.stdout:
            log.write(line)
            if started := TASK_START.search(line):
                print(f"\n── task {started.group(1)}")
            elif finished := RUN_END.search(line):
                state = finished.group(1)
            elif (logged := LOG_LINE.match(line)) and SHOWN_LOGS.search(logged["message"]):
                print("   " + logged["message"])
            elif not logged or "ERROR" in line or "Traceback" in line:
                print("   " + line.rstrip())
    print(f"\nFull log: {log_path.relative_to(REPO)}")
    return state if process.returncode == 0 else "failed"


def main() -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    with openai_target() as (base_url, api_key, label, poll_seconds):
        print(f"Running DAG {DAG_ID!r} against {label}: {base_url}")
        env = airflow_env(base_url, api_key, poll_seconds)
        migrate = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"], env=env, capture_output=True, text=True
        )
        if migrate.returncode != 0:
            print(migrate.stdout[-3000:], migrate.stderr[-3000:])
            return 1
        state = run_dag(env)
    print(f"DAG run finished: {state}")
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
