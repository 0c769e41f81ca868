"""What goes on the wire: headers, base URLs, timeouts, multipart uploads, downloads, odd answers."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from airflow_provider_openai_adv import __version__
from airflow_provider_openai_adv.client import ClientConfig, FilePart, OpenAIClient
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    NotFoundError,
    OpenAIValidationError,
)


def upload_bytes(client, content: bytes, name: str = "a.jsonl") -> str:
    return client.upload("files", {"purpose": "batch"}, [FilePart.from_bytes("file", content, name)])["id"]


def test_every_request_carries_auth_organization_project_and_user_agent(openai_emulator, make_client):
    make_client(organization="org-123", project="proj_456", user_agent_suffix="apache-airflow/9.9").get("models")
    headers = openai_emulator.requests[-1].headers
    assert headers["authorization"] == "Bearer ***"  # the journal masks it; the emulator checked it
    assert headers["openai-organization"] == "org-123"
    assert headers["openai-project"] == "proj_456"
    assert headers["user-agent"].startswith(f"airflow-provider-openai-adv/{__version__} python-requests/")
    assert headers["user-agent"].endswith(" apache-airflow/9.9")


def test_organization_and_project_headers_are_left_out_when_unset(openai_emulator, make_client):
    make_client().get("models")
    headers = openai_emulator.requests[-1].headers
    assert "openai-organization" not in headers and "openai-project" not in headers


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_variants_reach_the_same_endpoint(openai_emulator, make_client, suffix):
    root = openai_emulator.base_url.removesuffix("/v1")
    make_client(base_url=root + suffix).get("models")
    assert openai_emulator.requests[-1].path == "/v1/models"


def test_one_pooled_connection_serves_many_requests(openai_emulator, make_client):
    client = make_client()
    for _ in range(5):
        client.get("models")
    assert len({entry.peer for entry in openai_emulator.requests}) == 1  # one keep-alive TCP connection


def test_a_per_request_timeout_overrides_the_default(openai_emulator, make_client):
    openai_emulator.add_fault(path="/v1/models", latency=0.5, times=1)
    client = make_client(timeout=30, max_retries=0)
    with pytest.raises(APITimeoutError):
        client.request("GET", "models", timeout=0.1)
    assert client.get("models")["data"]


def test_none_parameters_are_not_sent(openai_emulator, make_client):
    make_client().post("moderations", {"input": "hi", "model": None})
    assert openai_emulator.requests[-1].json() == {"input": "hi"}


def test_multipart_fields_and_file_reach_the_server(openai_emulator, make_client, tmp_path):
    source = tmp_path / "train.jsonl"
    source.write_bytes(b'{"a": 1}\n')
    form = {"purpose": "batch", "expires_after": {"anchor": "created_at", "seconds": 3600}, "unset": None}
    uploaded = make_client().upload("files", form, [FilePart.from_path("file", source)])
    assert uploaded["filename"] == "train.jsonl" and uploaded["bytes"] == 9
    entry = openai_emulator.requests[-1]
    assert entry.form == {
        "purpose": ["batch"],
        "expires_after[anchor]": ["created_at"],
        "expires_after[seconds]": ["3600"],
    }
    assert entry.files == {"file": [{"filename": "train.jsonl", "content_type": "application/jsonl", "size": 9}]}


def test_a_retried_upload_sends_the_whole_file_again(openai_emulator, make_client, tmp_path):
    source = tmp_path / "data.jsonl"
    source.write_bytes(b"x" * 100_000)
    openai_emulator.add_fault(path="/v1/files", method="POST", status=503, times=1)
    uploaded = make_client().upload("files", {"purpose": "batch"}, [FilePart.from_path("file", source)])
    assert uploaded["bytes"] == 100_000
    assert [entry.status for entry in openai_emulator.requests] == [503, 200]


# -- ids in paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_id", "raw_path"),
    [
        ("../models/ft:gpt-4o-mini:org::abc", "/v1/files/..%2Fmodels%2Fft:gpt-4o-mini:org::abc"),
        ("file-abc?purpose=x", "/v1/files/file-abc%3Fpurpose=x"),
        ("file-abc#frag", "/v1/files/file-abc%23frag"),
        ("file a%2F", "/v1/files/file%20a%252F"),
    ],
)
def test_an_id_is_one_encoded_path_segment(openai_emulator, make_client, file_id, raw_path):
    with pytest.raises(NotFoundError, match="No such File object"):
        make_client().get("files/{file_id}", file_id=file_id)
    entry = openai_emulator.requests[-1]
    assert entry.raw_path == raw_path
    assert entry.query == {}


def test_a_fine_tuned_model_id_keeps_its_colons(openai_emulator, make_client):
    with pytest.raises(NotFoundError):
        make_client().get("models/{model}", model="ft:gpt-4o-mini:org::abc")
    assert openai_emulator.requests[-1].raw_path == "/v1/models/ft:gpt-4o-mini:org::abc"


@pytest.mark.parametrize("bad", [None, "", "  ", "None", "null", ".", "..", 42])
def test_an_id_that_cannot_be_one_is_refused_before_any_request(openai_emulator, make_client, bad):
    with pytest.raises(OpenAIValidationError, match="^file_id: "):
        make_client().delete("files/{file_id}", file_id=bad)
    assert openai_emulator.requests == []


def test_a_path_template_is_not_a_place_for_values(make_client):
    client = make_client()
    with pytest.raises(ValueError, match="not an endpoint template"):
        client.url("files/file-abc?purpose=x")
    with pytest.raises(ValueError, match="takes ids"):
        client.url("files/{file_id}")


# -- deletes and lost answers --------------------------------------------------------------


def test_a_delete_whose_answer_was_lost_is_done_when_the_retry_finds_it_gone(openai_emulator, make_client):
    client = make_client()
    file_id = upload_bytes(client, b"{}\n")
    openai_emulator.add_fault(path=f"/v1/files/{file_id}", method="DELETE", lose_answer=True, times=1)
    assert client.delete("files/{file_id}", file_id=file_id) == {"id": file_id, "deleted": True}
    assert [entry.status for entry in openai_emulator.requests if entry.method == "DELETE"] == [200, 404]
    assert openai_emulator.state.files == {}


def test_a_delete_of_what_never_existed_still_fails(openai_emulator, make_client):
    with pytest.raises(NotFoundError):
        make_client().delete("files/{file_id}", file_id="file-never")


# -- odd successful answers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<html><body>Sign in to the proxy</body></html>", "not valid JSON"),
        ("[]", "expected a JSON object, got list"),
        ('"text"', "expected a JSON object, got str"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ("[" * 500 + "]" * 500, "nested more than"),
        ("", "not valid JSON"),
    ],
)
def test_a_success_answer_that_is_not_a_json_object_raises_our_error(openai_emulator, make_client, body, problem):
    openai_emulator.add_fault(path="/v1/models", status=200, body=body)
    with pytest.raises(InvalidResponseError, match=problem) as caught:
        make_client(max_retries=1).get("models")
    assert "GET http" in str(caught.value) and "request_id=req_" in str(caught.value)
    assert sum(entry.path == "/v1/models" for entry in openai_emulator.requests) == 2  # a GET is tried again


def test_an_odd_answer_to_a_create_is_not_sent_again(openai_emulator, make_client):
    openai_emulator.add_fault(path="/v1/fine_tuning/jobs", method="POST", status=200, body="<html>")
    with pytest.raises(InvalidResponseError):
        make_client().post("fine_tuning/jobs", {"model": "gpt-4o-mini"}, safe_to_repeat=False)
    assert len(openai_emulator.requests) == 1


def test_an_answer_larger_than_any_json_answer_is_refused(openai_emulator, make_client, monkeypatch):
    from airflow_provider_openai_adv.client import http

    monkeypatch.setattr(http, "MAX_JSON_BODY", 1000)
    openai_emulator.add_fault(path="/v1/models", status=200, body='{"data": "' + "x" * 5000 + '"}')
    with pytest.raises(InvalidResponseError, match="larger than"):
        make_client(max_retries=0).get("models")


# -- downloads -------------------------------------------------------------------------------


def test_download_to_a_path_is_atomic(openai_emulator, make_client, tmp_path):
    client = make_client()
    file_id = upload_bytes(client, b"abc" * 1000)
    target = tmp_path / "out" / "a.jsonl"
    assert client.download("files/{file_id}/content", target, file_id=file_id) == 3000
    assert target.read_bytes() == b"abc" * 1000
    with pytest.raises(NotFoundError):
        client.download("files/{file_id}/content", tmp_path / "missing.jsonl", file_id="file-missing")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.jsonl", "out"]  # no partial file left behind


def test_a_download_cut_off_midway_is_retried_from_the_start(openai_emulator, make_client, tmp_path):
    client = make_client()
    file_id = upload_bytes(client, b"z" * 5000, "z.jsonl")
    openai_emulator.add_fault(path=f"/v1/files/{file_id}/content", drop=True, times=1)
    target = tmp_path / "z.jsonl"
    assert client.download("files/{file_id}/content", target, file_id=file_id) == 5000
    assert target.read_bytes() == b"z" * 5000


def test_the_leftovers_of_a_killed_download_are_swept_by_the_next_one(openai_emulator, make_client, tmp_path):
    client = make_client()
    file_id = upload_bytes(client, b"fresh")
    stale = tmp_path / ".a.jsonl.0123456789ab.part"  # what a download killed an hour ago left
    live = tmp_path / ".a.jsonl.ba9876543210.part"  # one still being written by another process
    stale.write_bytes(b"half")
    live.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    client.download("files/{file_id}/content", tmp_path / "a.jsonl", file_id=file_id)
    assert sorted(path.name for path in tmp_path.iterdir()) == [live.name, "a.jsonl"]


def test_a_folder_is_not_a_download_destination(openai_emulator, make_client, tmp_path):
    with pytest.raises(OpenAIValidationError, match="^output_path: .* is a folder"):
        make_client().download("files/{file_id}/content", tmp_path, file_id="file-x")
    assert openai_emulator.requests == []


def test_download_into_a_file_object(openai_emulator, make_client):
    client = make_client()
    file_id = upload_bytes(client, b"hello", "h.txt")
    buffer = io.BytesIO()
    assert client.download("files/{file_id}/content", buffer, file_id=file_id) == 5
    assert buffer.getvalue() == b"hello"


def test_streamed_bytes_arrive_unchanged(openai_emulator):
    """Uploads and downloads move bytes unchanged (checked by digest)."""
    payload = bytes(range(256)) * 4096
    client = OpenAIClient(ClientConfig(api_key=openai_emulator.api_key, base_url=openai_emulator.base_url))
    file_id = upload_bytes(client, payload, "b.bin")
    buffer = io.BytesIO()
    client.download("files/{file_id}/content", buffer, file_id=file_id)
    assert hashlib.sha256(buffer.getvalue()).digest() == hashlib.sha256(payload).digest()


# -- connections ------------------------------------------------------------------------


def test_a_refused_connection_says_so(unused_port):
    client = OpenAIClient(ClientConfig(api_key="sk-x", base_url=f"http://127.0.0.1:{unused_port}/v1", max_retries=0))
    with pytest.raises(APIConnectionError, match="connection failed") as caught:
        client.get("models")
    assert not caught.value.may_have_reached_server
