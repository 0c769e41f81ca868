"""Large files through the Uploads API: in parts, each retried on its own, resumed by a retried task."""

from __future__ import annotations

import hashlib
import os

import pytest

from airflow_provider_openai_adv.client.multipart import FilePart
from airflow_provider_openai_adv.exceptions import APIStatusError, OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.hooks.uploads import PROGRESS_KEY, upload_in_parts

PART = 1024  # bytes per part in these tests (OpenAI's is 64 MB)


class Progress(dict):
    """A task's state store, as far as an upload uses it."""

    def set(self, key, value):
        self[key] = json_copy(value)

    def delete(self, key):
        self.pop(key, None)


def json_copy(value):
    import json

    return json.loads(json.dumps(value))  # what a real store keeps: JSON, not the live object


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(os.urandom(5 * PART + 300))  # six parts, the last one short
    return path


@pytest.fixture
def hook(openai_emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    return OpenAIAdvHook()


def parts_sent(emulator):
    return [e for e in emulator.requests if e.path.endswith("/parts")]


def content_of(hook, file_id):
    return hook.retrieve_file_content(file_id)


def test_a_file_goes_up_in_parts_and_arrives_whole(openai_emulator, hook, source):
    part = FilePart.from_path("file", source)
    file = upload_in_parts(hook, part, source.stat().st_size, purpose="batch", part_bytes=PART)
    assert content_of(hook, file["id"]) == source.read_bytes()
    assert [e.files["data"][0]["size"] for e in parts_sent(openai_emulator)] == [PART] * 5 + [300]
    assert file["bytes"] == source.stat().st_size and file["purpose"] == "batch"


def test_upload_file_goes_through_the_uploads_api_when_asked(openai_emulator, hook, source):
    file = hook.upload_file(source, purpose="batch", in_parts=True)
    assert content_of(hook, file["id"]) == source.read_bytes()
    assert len(parts_sent(openai_emulator)) == 1  # a small file is one part of at most 64 MB
    assert [e.path for e in openai_emulator.requests if e.method == "POST"][0] == "/v1/uploads"


def test_a_failed_part_is_sent_again_on_its_own(openai_emulator, source):
    hook = OpenAIAdvHook()  # the default budget: two retries per request
    openai_emulator.add_fault(path="/v1/uploads/*/parts", status=503, skip=2, times=1)  # the third part, once
    file = upload_in_parts(hook, FilePart.from_path("file", source), source.stat().st_size, purpose="batch",
                           part_bytes=PART)  # fmt: skip
    assert content_of(hook, file["id"]) == source.read_bytes()
    assert [e.status for e in parts_sent(openai_emulator)] == [200, 200, 503, 200, 200, 200, 200]


def test_a_retried_task_resumes_where_the_last_try_stopped(openai_emulator, hook, source):
    progress = Progress()
    part = FilePart.from_path("file", source)
    size = source.stat().st_size
    openai_emulator.add_fault(path="/v1/uploads/*/parts", status=500, skip=3)  # the 4th part fails, and on
    with pytest.raises(APIStatusError):
        upload_in_parts(hook, part, size, purpose="batch", part_bytes=PART, progress=progress)
    assert len(progress[PROGRESS_KEY]["parts"]) == 3
    openai_emulator.clear_faults()
    file = upload_in_parts(hook, part, size, purpose="batch", part_bytes=PART, progress=progress)
    assert content_of(hook, file["id"]) == source.read_bytes()
    assert [e.status for e in parts_sent(openai_emulator)] == [200, 200, 200, 500, 200, 200, 200]
    assert len([e for e in openai_emulator.requests if e.path == "/v1/uploads"]) == 1  # one upload, resumed
    assert PROGRESS_KEY not in progress  # done: nothing left to resume


def test_an_upload_that_expired_meanwhile_is_started_afresh(openai_emulator, hook, source):
    progress = Progress()
    part = FilePart.from_path("file", source)
    size = source.stat().st_size
    openai_emulator.add_fault(path="/v1/uploads/*/parts", status=500, skip=2)
    with pytest.raises(APIStatusError):
        upload_in_parts(hook, part, size, purpose="batch", part_bytes=PART, progress=progress)
    openai_emulator.clear_faults()
    openai_emulator.advance_clock(2 * 3600)  # uploads live an hour
    file = upload_in_parts(hook, part, size, purpose="batch", part_bytes=PART, progress=progress)
    assert content_of(hook, file["id"]) == source.read_bytes()
    assert len([e for e in openai_emulator.requests if e.path == "/v1/uploads"]) == 2


def test_progress_of_another_file_is_not_resumed(openai_emulator, hook, source, tmp_path):
    progress = Progress({PROGRESS_KEY: {"upload_id": "upload_other", "filename": "other.jsonl", "bytes": 9,
                                        "purpose": "batch", "parts": ["part_x"]}})  # fmt: skip
    file = upload_in_parts(hook, FilePart.from_path("file", source), source.stat().st_size, purpose="batch",
                           part_bytes=PART, progress=progress)  # fmt: skip
    assert hashlib.sha256(content_of(hook, file["id"])).digest() == hashlib.sha256(source.read_bytes()).digest()


@pytest.mark.parametrize(("purpose", "problem"), [("user_data", "^purpose: 'user_data' is not supported"),
                                                  ("evals", "^purpose: 'evals' is not supported")])  # fmt: skip
def test_purposes_the_uploads_api_does_not_take_are_refused_before_any_request(openai_emulator, hook, source,
                                                                                purpose, problem):  # fmt: skip
    with pytest.raises(OpenAIValidationError, match=problem):
        hook.upload_file(source, purpose=purpose, in_parts=True)
    assert openai_emulator.requests == []
