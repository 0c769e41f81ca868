"""The openai SDK reads every batch and upload answer of the emulator into its own types.

The client is built with ``_strict_response_validation=True``: the SDK then validates
each answer with its pydantic models (types, statuses, required fields) instead of
building them leniently, so an answer it would misread fails here. The SDK is a test
dependency only (it comes with ``apache-airflow-providers-openai``).
"""

from __future__ import annotations

import hashlib
import json

import pytest

openai = pytest.importorskip("openai")

from openai.types import Batch, FileObject, Upload  # noqa: E402
from openai.types.uploads import UploadPart  # noqa: E402

VALIDATING, PER_REQUEST, FINALIZING, CANCELLING = 100, 10, 100, 100


@pytest.fixture
def client(openai_emulator):
    openai_emulator.set_batch_timings(
        validating=VALIDATING, per_request=PER_REQUEST, finalizing=FINALIZING, cancelling=CANCELLING
    )
    with openai.OpenAI(
        base_url=openai_emulator.base_url,
        api_key=openai_emulator.api_key,
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client


def input_file(client, count: int, *, bad: str | None = None) -> str:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Question {i}"}]},
        }
        for i in range(count)
    ]
    text = "\n".join([*(json.dumps(line) for line in lines), *([bad] if bad else [])])
    return client.files.create(file=("in.jsonl", text.encode()), purpose="batch").id


def create(client, count: int, **extra) -> Batch:
    return client.batches.create(
        input_file_id=input_file(client, count, bad=extra.pop("bad", None)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
        **extra,
    )


def test_a_batch_through_its_statuses_is_typed(client, openai_emulator):
    batch = create(client, 3, metadata={"task_id": "dag.task"})
    assert isinstance(batch, Batch) and batch.status == "validating" and batch.metadata == {"task_id": "dag.task"}
    assert batch.in_progress_at is None and batch.output_file_id is None
    openai_emulator.advance_clock(VALIDATING + PER_REQUEST + 1)
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.request_counts.completed == 1
    assert running.in_progress_at == batch.created_at + VALIDATING
    openai_emulator.advance_clock(3 * PER_REQUEST)
    assert client.batches.retrieve(batch.id).status == "finalizing"
    openai_emulator.advance_clock(FINALIZING)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts.total == 3 and done.model == "gpt-4o-mini"
    assert done.usage.input_tokens > 0 and done.usage.output_tokens_details.reasoning_tokens == 0
    output = client.files.retrieve(done.output_file_id)
    assert isinstance(output, FileObject) and output.purpose == "batch_output"
    lines = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in lines] == ["r0", "r1", "r2"]


def test_a_failed_batch_has_typed_errors(client, openai_emulator):
    batch = create(client, 1, bad="{oops")
    openai_emulator.advance_clock(VALIDATING + 1)
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.failed_at is not None
    (error,) = failed.errors.data
    assert (error.code, error.line, error.param) == ("invalid_json_line", 2, None)


def test_cancelling_expiring_and_listing_are_typed(client, openai_emulator):
    cancelled = create(client, 10)
    openai_emulator.set_batch_timings(per_request=3600)
    expiring = create(client, 30)
    openai_emulator.advance_clock(VALIDATING + 2 * PER_REQUEST + 1)
    cancelling = client.batches.cancel(cancelled.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    openai_emulator.advance_clock(24 * 3600)
    assert client.batches.retrieve(cancelled.id).status == "cancelled"
    expired = client.batches.retrieve(expiring.id)
    assert expired.status == "expired" and expired.expired_at == expired.expires_at
    with pytest.raises(openai.BadRequestError, match="Cannot cancel a batch with status cancelled"):
        client.batches.cancel(cancelled.id)
    first = client.batches.list(limit=1)
    assert [batch.id for batch in first.data] == [expiring.id] and first.has_more
    assert [batch.id for batch in client.batches.list(limit=1)] == [expiring.id, cancelled.id]  # every page


def test_a_bad_batch_request_is_the_sdks_bad_request_error(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h")
    assert caught.value.param == "input_file_id"
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")


def test_an_upload_in_parts_is_typed(client):
    upload = client.uploads.create(bytes=6, filename="data.jsonl", mime_type="text/jsonl", purpose="batch")
    assert isinstance(upload, Upload) and upload.status == "pending" and upload.file is None
    parts = [client.uploads.parts.create(upload.id, data=data) for data in (b"abc", b"def")]
    assert all(isinstance(part, UploadPart) for part in parts)
    done = client.uploads.complete(
        upload.id, part_ids=[part.id for part in parts], md5=hashlib.md5(b"abcdef").hexdigest()
    )
    assert done.status == "completed" and isinstance(done.file, FileObject) and done.file.bytes == 6
    assert client.files.content(done.file.id).content == b"abcdef"
    other = client.uploads.create(bytes=1, filename="x.jsonl", mime_type="text/jsonl", purpose="batch")
    assert client.uploads.cancel(other.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError) as caught:
        client.uploads.parts.create(other.id, data=b"x")
    assert caught.value.param == "upload_id"


def test_upload_file_chunked_goes_through_the_part_limit(client, openai_emulator, tmp_path):
    openai_emulator.set_upload_limits(part_bytes=1024)
    source = tmp_path / "data.jsonl"
    source.write_bytes(bytes(range(256)) * 17)  # 4,352 bytes: five parts of at most 1,024
    with pytest.raises(openai.BadRequestError):
        client.uploads.upload_file_chunked(file=source, mime_type="text/jsonl", purpose="batch")  # 64 MB parts
    done = client.uploads.upload_file_chunked(file=source, mime_type="text/jsonl", purpose="batch", part_size=1024)
    assert done.status == "completed" and done.file.bytes == source.stat().st_size
    assert client.files.content(done.file.id).content == source.read_bytes()


def test_an_answer_the_sdk_would_misread_fails(client, openai_emulator):
    """The check can fail: a batch without its required fields is refused by the strict SDK."""
    openai_emulator.add_fault(path="/v1/batches/*", status=200, body='{"object": "batch", "status": "validating"}')
    with pytest.raises(openai.APIResponseValidationError):
        client.batches.retrieve("batch_any")
