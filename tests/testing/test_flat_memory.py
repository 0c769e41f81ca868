"""A 5,000-line batch and a 128 MB upload pass through the emulator with flat memory.

Each runs in a fresh interpreter so that the peak RSS it reports belongs to that work
alone. The batch's lines are embeddings of 1,536 dimensions: held in memory, the
parsed answers would take about 250 MB, written as they come they take a line's worth.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

RSS_GROWTH_LIMIT_MB = 64  # generous: a line, or a copy chunk, at a time needs far less

COMMON = """
import hashlib, json, os, sys, tempfile
from pathlib import Path
import requests
from airflow_provider_openai_adv.testing import OpenAIEmulator

def peak_mb():  # VmHWM: this process's own peak (ru_maxrss would start at the parent's RSS)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

work = Path(tempfile.mkdtemp())
emulator = OpenAIEmulator(storage_dir=work / "emulator").start()
http = requests.Session()
http.headers["Authorization"] = f"Bearer {emulator.api_key}"
base = emulator.base_url
"""

BATCH_SCRIPT = COMMON + textwrap.dedent(
    """
    def run_batch(count):
        lines = "".join(
            json.dumps({
                "custom_id": f"r{i}", "method": "POST", "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", "input": f"text {i}"},
            }) + "\\n"
            for i in range(count)
        )
        uploaded = http.post(base + "/files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"})
        file_id = uploaded.json()["id"]
        request = {"input_file_id": file_id, "endpoint": "/v1/embeddings", "completion_window": "24h"}
        batch_id = http.post(base + "/batches", json=request).json()["id"]
        before = peak_mb()
        emulator.advance_clock(10**6)
        batch = http.get(base + f"/batches/{batch_id}").json()  # every line runs in this request
        after = peak_mb()
        lines_out, size = 0, 0
        with http.get(base + f"/files/{batch['output_file_id']}/content", stream=True) as answer:
            for raw in answer.iter_lines():
                lines_out += 1
                size += len(raw)
                assert json.loads(raw)["custom_id"] == f"r{lines_out - 1}"
        return batch, lines_out, size, after - before

    run_batch(20)  # warm-up: imports, first allocations
    count = int(sys.argv[1])
    batch, lines_out, size, growth = run_batch(count)
    print(json.dumps({
        "status": batch["status"], "completed": batch["request_counts"]["completed"], "lines": lines_out,
        "output_mb": size / 2**20, "growth_mb": growth,
    }))
    emulator.close()
    """
)

UPLOAD_SCRIPT = COMMON + textwrap.dedent(
    """
    from requests_toolbelt import MultipartEncoder

    def send_part(upload_id, path):
        with path.open("rb") as handle:
            form = MultipartEncoder({"data": (path.name, handle, "application/octet-stream")})
            headers = {"Content-Type": form.content_type}
            answer = http.post(base + f"/uploads/{upload_id}/parts", data=form, headers=headers)
        return answer.json()["id"]

    part_mb, parts = int(sys.argv[1]), int(sys.argv[2])
    digest = hashlib.md5()
    paths = [work / f"part{index}" for index in range(parts)]
    for path in paths:  # a megabyte at a time: nothing large is allocated before the measure
        with path.open("wb") as handle:
            for _ in range(part_mb):
                block = os.urandom(1 << 20)
                digest.update(block)
                handle.write(block)
    body = {"filename": "big.jsonl", "purpose": "batch", "bytes": (part_mb << 20) * parts, "mime_type": "text/jsonl"}
    (work / "warm").write_bytes(b"x")
    warm = http.post(base + "/uploads", json={**body, "bytes": 1}).json()
    http.post(base + f"/uploads/{warm['id']}/complete", json={"part_ids": [send_part(warm["id"], work / "warm")]})
    before = peak_mb()
    upload = http.post(base + "/uploads", json=body).json()
    part_ids = [send_part(upload["id"], path) for path in paths]
    request = {"part_ids": part_ids, "md5": digest.hexdigest()}
    done = http.post(base + f"/uploads/{upload['id']}/complete", json=request).json()
    growth = peak_mb() - before
    print(json.dumps({"status": done["status"], "bytes": done["file"]["bytes"], "growth_mb": growth}))
    emulator.close()
    """
)


def run(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_5000_line_batch_runs_with_flat_memory():
    result = run(BATCH_SCRIPT, "5000")
    assert result["status"] == "completed" and result["completed"] == result["lines"] == 5000
    assert result["growth_mb"] < RSS_GROWTH_LIMIT_MB, result


def test_a_128_mb_upload_is_joined_with_flat_memory():
    result = run(UPLOAD_SCRIPT, "32", "4")
    assert result["status"] == "completed" and result["bytes"] == 128 << 20
    assert result["growth_mb"] < RSS_GROWTH_LIMIT_MB, result
