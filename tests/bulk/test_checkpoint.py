"""The checkpoint of direct bulk requests: finished rows kept beside the output, for the next try."""

from __future__ import annotations

import json

from airflow_provider_openai_adv.bulk.checkpoint import Checkpoint


def test_a_local_checkpoint_is_appended_and_a_line_torn_by_a_kill_is_dropped(tmp_path):
    output = tmp_path / "out.jsonl"
    checkpoint = Checkpoint(output, "job-1", tmp_path / "staging")
    assert checkpoint.open() == []
    checkpoint.append(b'{"custom_id": "a"}\n')
    checkpoint.close()
    with (tmp_path / "out.jsonl.checkpoint" / "results.jsonl").open("ab") as handle:
        handle.write(b'{"custom_id": "b", "resp')  # the kill
    again = Checkpoint(output, "job-1", tmp_path / "staging2")
    again.open()
    again.append(b'{"custom_id": "c"}\n')
    again.close()
    (path,) = again.files()
    assert path.read_bytes() == b'{"custom_id": "a"}\n{"custom_id": "c"}\n'
    again.remove()
    assert not (tmp_path / "out.jsonl.checkpoint").exists()


def test_a_checkpoint_of_another_job_is_discarded(tmp_path):
    first = Checkpoint(tmp_path / "out.jsonl", "job-1", tmp_path / "s1")
    first.open()
    first.append(b'{"custom_id": "a"}\n')
    first.close()
    other = Checkpoint(tmp_path / "out.jsonl", "job-2", tmp_path / "s2")
    other.open()
    other.close()
    assert [path.read_bytes() for path in other.files()] == [b""]


def test_an_object_storage_checkpoint_is_numbered_part_files(tmp_path):
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())
    output = f"memory://{tmp_path.name}/out.parquet"
    checkpoint = Checkpoint(output, "job-1", tmp_path / "s1", every=3600, size=30)
    checkpoint.open()
    for name in "abc":
        checkpoint.append(json.dumps({"custom_id": name}).encode() + b"\n")  # 20 bytes: a part every two
    checkpoint.close()
    folder = ObjectStoragePath(f"{output}.checkpoint")
    assert sorted(path.name for path in folder.iterdir()) == ["job.json", "part-000001.jsonl", "part-000002.jsonl"]
    again = Checkpoint(output, "job-1", tmp_path / "s2")
    earlier = again.open()
    assert [path.read_bytes().count(b"\n") for path in earlier] == [2, 1]
    again.append(b'{"custom_id": "d"}\n')
    again.close()
    assert "part-000003.jsonl" in {path.name for path in folder.iterdir()}
    again.remove()
    assert not folder.exists()
