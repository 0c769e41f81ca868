"""File operators: upload, list, retrieve, read, delete — executed as a worker would, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators import (
    OpenAIDeleteFileOperator,
    OpenAIListFilesOperator,
    OpenAIRetrieveFileContentOperator,
    OpenAIRetrieveFileOperator,
    OpenAIUploadFileOperator,
)
from tests.dag_runs import refused
from tests.fine_tuning import training_jsonl
from tests.tasks import run_task

TRAINING = training_jsonl()


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(TRAINING)
    return path


def test_upload_streams_the_file_and_returns_its_object(openai_emulator, training_file):
    uploaded = run_task(
        OpenAIUploadFileOperator(
            task_id="upload", file=str(training_file), purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": 3600},
        )
    ).value  # fmt: skip
    request = openai_emulator.requests[-1]
    assert request.form == {
        "purpose": ["fine-tune"], "expires_after[anchor]": ["created_at"], "expires_after[seconds]": ["3600"]
    }  # fmt: skip
    assert request.files["file"][0]["size"] == len(TRAINING)
    assert uploaded["filename"] == "train.jsonl" and uploaded["purpose"] == "fine-tune"
    assert uploaded["expires_at"] == uploaded["created_at"] + 3600


def test_list_retrieve_content_and_delete(openai_emulator, tmp_path, training_file):
    file_id = OpenAIAdvHook().upload_file(training_file, purpose="fine-tune")["id"]
    target = tmp_path / "out" / "{{ ds }}.jsonl"
    listed = run_task(OpenAIListFilesOperator(task_id="list", purpose="fine-tune", limit=5)).value
    meta = run_task(OpenAIRetrieveFileOperator(task_id="meta", file_id=file_id)).value
    written = run_task(
        OpenAIRetrieveFileContentOperator(task_id="content", file_id=file_id, output_path=str(target))
    ).value
    deleted = run_task(OpenAIDeleteFileOperator(task_id="delete", file_id=file_id)).value
    assert [f["id"] for f in listed] == [file_id]
    assert meta["bytes"] == len(TRAINING)
    assert written == {"file_id": file_id, "path": str(tmp_path / "out" / "2024-01-01.jsonl")}  # templated
    assert (tmp_path / "out" / "2024-01-01.jsonl").read_bytes() == TRAINING
    assert deleted == {"id": file_id, "object": "file", "deleted": True}
    assert [(entry.method, entry.path) for entry in openai_emulator.requests[1:]] == [
        ("GET", "/v1/files"),
        ("GET", f"/v1/files/{file_id}"),
        ("GET", f"/v1/files/{file_id}/content"),
        ("DELETE", f"/v1/files/{file_id}"),
    ]
    assert openai_emulator.requests[1].query == {"purpose": "fine-tune", "limit": "5"}


def test_list_returns_every_page_without_a_limit(openai_emulator):
    hook = OpenAIAdvHook()
    for index in range(3):
        hook.upload_file(b"{}\n", purpose="batch", filename=f"{index}.jsonl")
    listed = run_task(OpenAIListFilesOperator(task_id="list", order="asc")).value
    assert [f["filename"] for f in listed] == ["0.jsonl", "1.jsonl", "2.jsonl"]


def test_an_id_is_one_path_segment(openai_emulator):
    """A templated id cannot reach another endpoint: it is sent encoded, as one segment."""
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^OpenAI API error 404 .*No such File object: file-abc/\.\./"):
        run_task(OpenAIRetrieveFileOperator(task_id="meta", file_id="file-abc/../../models"))
    assert [entry.raw_path for entry in openai_emulator.requests] == ["/v1/files/file-abc%2F..%2F..%2Fmodels"]


def test_bad_training_data_is_refused_naming_its_line_before_any_upload(openai_emulator, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(TRAINING + b'{"messages": [{"role": "user", "content": "no answer"}]}\n')
    task = OpenAIUploadFileOperator(task_id="upload", file=str(bad), purpose="fine-tune")
    with refused(match=r"^file: bad.jsonl is not valid chat fine-tuning data: line 13"):
        run_task(task)
    assert openai_emulator.requests == []


@pytest.mark.parametrize(
    ("operator", "arguments", "named"),
    [
        (OpenAIUploadFileOperator, {"file": "/no/such/file.jsonl", "purpose": "fine-tune"}, "file"),
        (OpenAIUploadFileOperator, {"file": "/etc/hostname", "purpose": "homework"}, "purpose"),
        (OpenAIListFilesOperator, {"order": "sideways"}, "order"),
        (OpenAIListFilesOperator, {"limit": 0}, "limit"),
        (OpenAIRetrieveFileOperator, {"file_id": ""}, "file_id"),
        (OpenAIDeleteFileOperator, {"file_id": "  "}, "file_id"),
        (OpenAIRetrieveFileContentOperator, {"file_id": "", "output_path": "/tmp/x"}, "file_id"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, operator, arguments, named):
    with refused(named):
        run_task(operator(task_id="bad", **arguments))
    assert openai_emulator.requests == []
