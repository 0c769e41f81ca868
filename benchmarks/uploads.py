"""A 1 GiB file up through the Uploads API and down again: memory and time, ours against the SDK.

A 1 GiB JSONL file (``--quick``: 128 MiB) is generated in a temporary folder: 1 MiB
lines, each numbered and padded with random base64, so a part sent twice, lost or out
of order changes its SHA-256. Each operation runs in a fresh child process against the
same emulator process, one after the other:

- *upload, ours*: ``OpenAIAdvHook().upload_file(path, purpose="batch", in_parts=True)``
  (``hooks/uploads.py``: 64 MiB parts, each streamed from the file);
- *upload, SDK*: ``client.uploads.upload_file_chunked(file=path, mime_type=
  "application/jsonl", purpose="batch")`` (it reads each 64 MiB part into memory);
- *download, ours*: ``hook.retrieve_file_content(file_id, output_path=...)``, of the
  file the SDK uploaded;
- *download, SDK*: ``client.files.content(file_id).write_to_file(...)``, the call the
  SDK's docs and most code use, of the file we uploaded: a non-streaming request, so
  the whole body is read into memory before ``write_to_file`` writes it;
- *download, SDK streamed*: ``client.files.with_streaming_response.content(file_id)``
  and ``stream_to_file(...)``, the streaming variant the SDK points to, of the same file.

That is one round; there are three (``--quick``: one, of 128 MiB), every other one in the
reverse order, each on a reset emulator, and of an operation's runs the table keeps the
shortest time and the largest growth. Writing a gigabyte takes a varying time on this
virtual machine (seen: 0.7 to 4.3 s for the same download, in kernel time), so: the
disk is synced before each operation (none pays for the writeback of the gigabyte the
one before wrote); before the downloads the parent downloads the file once, unmeasured,
and deletes it (the first file written after the uploads costs several times what the
next does, which would otherwise fall on whichever download goes first; each later one
writes into the pages its predecessor, checked and deleted, freed); and there are three
runs, not one.

Purpose ``batch`` (``routes/files.py`` serves the content of a file of any purpose; the
upload limits the emulator enforces are OpenAI's, 64 MB a part and 8 GB an upload,
which both clients' 64 MiB parts and 1 GiB fit, so they are left as they are). Each
child reports the wall time and CPU time of the operation alone and its peak RSS
(``VmHWM``) after the imports and the client's construction (the baseline) and at
the end: the *growth* is what the operation held at its worst, against the target of
at most 64 MiB. Every round trip is checked (each uploaded file's size on the emulator,
each downloaded file's size and SHA-256 against the source's); the benchmark fails
otherwise. The files are deleted afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
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
MIB = 1024 * 1024
TARGET_MIB = 64
ROUNDS = 3  # each operation runs this many times, the order reversed every other round
PURPOSE, MIME_TYPE = "batch", "application/jsonl"


# -- the parent ------------------------------------------------------------------------------


def generate(path: Path, mib: int) -> str:
    """Write ``mib`` JSON lines of exactly 1 MiB each; their SHA-256."""
    pad = base64.b64encode(random.Random(7).randbytes(MIB)).decode("ascii")
    digest = hashlib.sha256()
    with path.open("wb") as sink:
        for number in range(mib):
            head = f'{{"line": {number}, "pad": "'
            line = (head + pad[: MIB - len(head) - 3] + '"}\n').encode("ascii")
            digest.update(line)
            sink.write(line)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def child_env(base_url: str, folder: Path) -> dict[str, str]:
    home = folder / "airflow"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_OPENAI_ADV_DEFAULT": json.dumps(
            {"conn_type": "openai_adv", "host": base_url, "password": API_KEY, "extra": {}}
        ),
        "TMPDIR": str(folder),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def run_child(
    role: str, config: dict[str, Any], env: dict[str, str], folder: Path, emulator_pid: int
) -> dict[str, Any]:
    """Run one operation in a fresh interpreter; its figures, plus the emulator's CPU meanwhile."""
    result, log = folder / f"{role}.result.json", folder / f"{role}.log"
    command = [sys.executable, "-m", "benchmarks.uploads", role, json.dumps({**config, "result": str(result)})]
    os.sync()  # the previous operation's gigabyte written out: no operation pays for another's writeback
    emulator_cpu = cpu_seconds(emulator_pid)
    with log.open("wb") as sink:
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT).returncode
    after = cpu_seconds(emulator_pid)
    if code != 0 or not result.exists():
        raise RuntimeError(f"benchmark child {role} failed (exit {code}); its output ends:\n{log.read_text()[-3000:]}")
    figures = json.loads(result.read_text())
    figures["emulator_cpu_s"] = after - emulator_cpu if after is not None and emulator_cpu is not None else None
    result.unlink()
    log.unlink()
    return figures


def warm_up(base_url: str, file_id: str, scratch: Path) -> None:
    """Download the file once, unmeasured, and delete it: the pages it frees are what the
    first measured download writes into, as each later one writes into its predecessor's."""
    request = urllib.request.Request(
        f"{base_url}/files/{file_id}/content", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=600) as response, scratch.open("wb") as sink:
        while chunk := response.read(MIB):
            sink.write(chunk)
    scratch.unlink()


def check_download(path: Path, size: int, digest: str, who: str) -> None:
    got = path.stat().st_size
    if got != size or sha256(path) != digest:
        raise RuntimeError(f"{who}: downloaded {got} bytes that differ from the {size} uploaded")
    path.unlink()


def one_round(base_url: str, pid: int, folder: Path, source: Path, digest: str, backwards: bool) -> dict[str, Any]:
    """Both uploads, then the three downloads, each in a fresh child; every round trip checked."""
    env, size, figures = child_env(base_url, folder), source.stat().st_size, {}

    def in_order(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return items[::-1] if backwards else items

    def measure(role: str, **config: Any) -> dict[str, Any]:
        figures[role] = run_child(role, {"base_url": base_url, **config}, env, folder, pid)
        return figures[role]

    uploaded = {}
    for who in in_order(("ours", "sdk")):
        file_id = measure(f"{who}_upload", path=str(source))["file_id"]
        stored = EmulatorControl(base_url).api("GET", f"/files/{file_id}")
        if stored["bytes"] != size or stored["purpose"] != PURPOSE:
            raise RuntimeError(f"{who}: the upload made {stored!r}, not a {PURPOSE} file of {size} bytes")
        uploaded[who] = file_id
    warm_up(base_url, uploaded["ours"], folder / "warm-up.jsonl")
    # Each downloads the file the other uploaded: the hash checks both round trips.
    for role, uploader in in_order(
        (("ours_download", "sdk"), ("sdk_download", "ours"), ("sdk_download_streamed", "ours"))
    ):
        target = folder / f"{role}.jsonl"
        measure(role, file_id=uploaded[uploader], output=str(target))
        check_download(target, size, digest, role)
    EmulatorControl(base_url).control("POST", "/reset", {})  # its files gone: the next round's disk
    return figures


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The shortest times and the largest growth over an operation's runs (each run kept too)."""
    worst = max(runs, key=lambda run: run["peak_mib"] - run["baseline_mib"])
    fastest = min(runs, key=lambda run: run["wall_s"])
    return {**fastest, "baseline_mib": worst["baseline_mib"], "peak_mib": worst["peak_mib"], "runs": runs}


def run(args: Any) -> dict[str, Any]:
    mib, rounds = (128, 1) if args.quick else (1024, ROUNDS)
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp, emulator_process() as (process, base_url):
        folder = Path(tmp)
        source = folder / "big.jsonl"
        digest = generate(source, mib)
        for number in range(rounds):
            for role, figure in one_round(base_url, process.pid, folder, source, digest, number % 2 == 1).items():
                runs.setdefault(role, []).append(figure)
        source.unlink()
    figures = {role: best(role_runs) for role, role_runs in runs.items()}
    return {"mib": mib, "rounds": rounds, "figures": figures, "rows": table(mib, figures)}


def table(mib: int, figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    label = f"{mib // 1024} GiB" if mib >= 1024 else f"{mib} MiB"
    names = {
        "ours_upload": f"upload {label}, ours (in parts)",
        "sdk_upload": f"upload {label}, SDK upload_file_chunked",
        "ours_download": f"download {label}, ours (to a path)",
        "sdk_download": f"download {label}, SDK files.content",
        "sdk_download_streamed": f"download {label}, SDK with_streaming_response",
    }
    rows = []
    for role, name in names.items():
        figure = figures[role]
        growth = figure["peak_mib"] - figure["baseline_mib"]
        verdict = (
            f"target <= {TARGET_MIB} MiB: {'met' if growth <= TARGET_MIB else 'NOT met'}; " if "ours" in role else ""
        )
        note = f"{verdict}peak {figure['peak_mib']:.0f} MiB, {figure['baseline_mib']:.0f} after imports"
        rows.append(row(f"{name}: growth", growth, "MiB", note))
    for role, name in names.items():
        figure = figures[role]
        emulator_cpu = figure["emulator_cpu_s"]
        note = f"{mib / figure['wall_s']:.0f} MiB/s; client CPU {figure['cpu_s']:.1f} s" + (
            f", emulator CPU {emulator_cpu:.1f} s" if emulator_cpu is not None else ""
        )
        rows.append(row(f"{name}: wall", figure["wall_s"], "s", note))
    for operation, ours, sdks in (
        ("upload", "ours_upload", ("sdk_upload",)),
        ("download", "ours_download", ("sdk_download", "sdk_download_streamed")),
    ):
        for sdk in sdks:
            against = names[sdk].split(", ", 1)[1]
            wall = ratio(figures[ours]["wall_s"], figures[sdk]["wall_s"])
            rows.append(row(f"{operation}: ours / {against} (wall)", wall, "x", "< 1: ours is faster"))
    return rows


# -- the children ------------------------------------------------------------------------


def measured(operation: Any) -> dict[str, Any]:
    """Run ``operation()``; the wall and CPU time it took, and the peak RSS before and after."""
    baseline, cpu, wall = peak_rss_mib(), process_cpu_s(), time.perf_counter()
    extra = operation()
    wall, cpu = time.perf_counter() - wall, process_cpu_s() - cpu
    return {"wall_s": wall, "cpu_s": cpu, "baseline_mib": baseline, "peak_mib": peak_rss_mib(), **extra}


def our_hook() -> Any:
    import airflow_provider_openai_adv.client.multipart
    import airflow_provider_openai_adv.hooks.storage
    import airflow_provider_openai_adv.hooks.uploads  # noqa: F401
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    hook = OpenAIAdvHook()
    hook.client  # noqa: B018 - built from the connection before the baseline, as the SDK's client is
    return hook


def sdk_client(config: dict[str, Any]) -> Any:
    import openai

    return openai.OpenAI(api_key=API_KEY, base_url=config["base_url"])


def child_ours_upload(config: dict[str, Any]) -> dict[str, Any]:
    hook = our_hook()
    return measured(lambda: {"file_id": hook.upload_file(config["path"], purpose=PURPOSE, in_parts=True)["id"]})


def child_sdk_upload(config: dict[str, Any]) -> dict[str, Any]:
    client = sdk_client(config)

    def upload() -> dict[str, Any]:
        done = client.uploads.upload_file_chunked(file=Path(config["path"]), mime_type=MIME_TYPE, purpose=PURPOSE)
        return {"file_id": done.file.id}

    return measured(upload)


def child_ours_download(config: dict[str, Any]) -> dict[str, Any]:
    hook = our_hook()
    return measured(lambda: {"path": hook.retrieve_file_content(config["file_id"], output_path=config["output"])})


def child_sdk_download(config: dict[str, Any]) -> dict[str, Any]:
    client = sdk_client(config)

    def download() -> dict[str, Any]:
        client.files.content(config["file_id"]).write_to_file(config["output"])
        return {}

    return measured(download)


def child_sdk_download_streamed(config: dict[str, Any]) -> dict[str, Any]:
    client = sdk_client(config)

    def download() -> dict[str, Any]:
        with client.files.with_streaming_response.content(config["file_id"]) as response:
            response.stream_to_file(config["output"])
        return {}

    return measured(download)


CHILDREN = {
    "ours_upload": child_ours_upload,
    "sdk_upload": child_sdk_upload,
    "ours_download": child_ours_download,
    "sdk_download": child_sdk_download,
    "sdk_download_streamed": child_sdk_download_streamed,
}

if __name__ == "__main__":
    role, settings = sys.argv[1], json.loads(sys.argv[2])
    Path(settings["result"]).write_text(json.dumps(CHILDREN[role](settings)))
