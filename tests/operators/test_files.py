"""File operators: upload, list, retrieve, read, delete — through Airflow, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.operators import (
    OpenAIDeleteFileOperator,
    OpenAIListFilesOperator,
    OpenAIRetrieveFileContentOperator,
    OpenAIRetrieveFileOperator,
    OpenAIUploadFileOperator,
)
from tests.dag_runs import names_argument
from tests.fine_tuning import training_jsonl

TRAINING = training_jsonl()


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(TRAINING)
    return path


def test_upload_streams_the_file_and_returns_its_object(make_dag, run_dag, openai_emulator, training_file):
    with make_dag() as dag:
        OpenAIUploadFileOperator(
            task_id="upload", file=str(training_file), purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": 3600},
        )  # fmt: skip
    uploaded = run_dag(dag).value("upload")
    request = openai_emulator.requests[-1]
    assert request.form == {
        "purpose": ["fine-tune"], "expires_after[anchor]": ["created_at"], "expires_after[seconds]": ["3600"]
    }  # fmt: skip
    assert request.files["file"][0]["size"] == len(TRAINING)
    assert uploaded["filename"] == "train.jsonl" and uploaded["purpose"] == "fine-tune"
    assert uploaded["expires_at"] == uploaded["created_at"] + 3600


def test_list_retrieve_content_and_delete(make_dag, run_dag, openai_emulator, tmp_path, training_file):
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    file_id = OpenAIAdvHook().upload_file(training_file, purpose="fine-tune")["id"]
    target = tmp_path / "out" / "{{ ds }}.jsonl"
    with make_dag() as dag:
        listed = OpenAIListFilesOperator(task_id="list", purpose="fine-tune", limit=5)
        meta = OpenAIRetrieveFileOperator(task_id="meta", file_id=file_id)
        content = OpenAIRetrieveFileContentOperator(task_id="content", file_id=file_id, output_path=str(target))
        delete = OpenAIDeleteFileOperator(task_id="delete", file_id=file_id)
        listed >> meta >> content >> delete
    outcome = run_dag(dag)
    assert [f["id"] for f in outcome.value("list")] == [file_id]
    assert outcome.value("meta")["bytes"] == len(TRAINING)
    written = outcome.value("content")
    assert written["file_id"] == file_id and written["path"].endswith(".jsonl") and "{{" not in written["path"]
    assert (tmp_path / "out").joinpath(written["path"].rsplit("/", 1)[-1]).read_bytes() == TRAINING
    assert outcome.value("delete") == {"id": file_id, "object": "file", "deleted": True}
    assert [(entry.method, entry.path) for entry in openai_emulator.requests[1:]] == [
        ("GET", "/v1/files"),
        ("GET", f"/v1/files/{file_id}"),
        ("GET", f"/v1/files/{file_id}/content"),
        ("DELETE", f"/v1/files/{file_id}"),
    ]
    assert openai_emulator.requests[1].query == {"purpose": "fine-tune", "limit": "5"}


def test_list_returns_every_page_without_a_limit(make_dag, run_dag, openai_emulator):
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    hook = OpenAIAdvHook()
    for index in range(3):
        hook.upload_file(b"{}\n", purpose="batch", filename=f"{index}.jsonl")
    with make_dag() as dag:
        OpenAIListFilesOperator(task_id="list", order="asc")
    assert [f["filename"] for f in run_dag(dag).value("list")] == ["0.jsonl", "1.jsonl", "2.jsonl"]


def test_bad_training_data_is_refused_naming_its_line_before_any_upload(openai_emulator, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(TRAINING + b'{"messages": [{"role": "user", "content": "no answer"}]}\n')
    task = OpenAIUploadFileOperator(task_id="upload", file=str(bad), purpose="fine-tune")
    with pytest.raises(OpenAIValidationError, match=r"^file: bad.jsonl is not valid chat fine-tuning data: line 13"):
        task.execute(context={})
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
    with pytest.raises(OpenAIValidationError, match=names_argument(named)):
        operator(task_id="bad", **arguments).execute(context={})
    assert openai_emulator.requests == []
