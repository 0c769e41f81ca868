"""A 200 MB upload and download with bounded memory.

Run in a fresh interpreter so the peak RSS it reports belongs to this transfer alone
(the emulator runs in that process too, so both sides must stream).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SIZE_MB = 200
RSS_GROWTH_LIMIT_MB = 64  # generous: the transfer itself needs a few MB of buffers

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, os, sys, tempfile
    from pathlib import Path
    from airflow_provider_openai_adv.client import ClientConfig, FilePart, OpenAIClient
    from airflow_provider_openai_adv.testing import OpenAIEmulator

    def peak_mb():  # VmHWM: this process's own peak (ru_maxrss would start at the parent's RSS)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

    size_mb = int(sys.argv[1])
    work = Path(tempfile.mkdtemp())
    with OpenAIEmulator(storage_dir=work / "emulator") as emulator:
        client = OpenAIClient(ClientConfig(api_key=emulator.api_key, base_url=emulator.base_url))
        warm = client.upload("files", {"purpose": "batch"}, [FilePart.from_bytes("file", b"warm-up", "w.jsonl")])
        client.download("files/{file_id}/content", work / "warm.jsonl", file_id=warm["id"])
        source = work / "big.jsonl"
        block = os.urandom(1 << 20)
        digest = hashlib.sha256()
        with source.open("wb") as handle:
            for _ in range(size_mb):
                handle.write(block)
                digest.update(block)
        baseline = peak_mb()
        uploaded = client.upload("files", {"purpose": "batch"}, [FilePart.from_path("file", source)])
        after_upload = peak_mb()
        target = work / "copy.jsonl"
        written = client.download("files/{file_id}/content", target, file_id=uploaded["id"])
        after_download = peak_mb()
        copy_digest = hashlib.sha256()
        with target.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy_digest.update(chunk)
        print(json.dumps({
            "uploaded_bytes": uploaded["bytes"], "downloaded_bytes": written,
            "same": copy_digest.digest() == digest.digest(),
            "upload_growth_mb": after_upload - baseline, "download_growth_mb": after_download - baseline,
        }))
    """
)


def test_a_200_mb_file_goes_up_and_down_with_bounded_memory():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(SIZE_MB)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["uploaded_bytes"] == result["downloaded_bytes"] == SIZE_MB << 20
    assert result["same"]
    assert result["upload_growth_mb"] < RSS_GROWTH_LIMIT_MB, result
    assert result["download_growth_mb"] < RSS_GROWTH_LIMIT_MB, result
