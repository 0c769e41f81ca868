"""What goes on the wire: headers, base URLs, timeouts, multipart uploads, downloads."""

from __future__ import annotations

import hashlib
import io

import pytest

from airflow_provider_openai_adv import __version__
from airflow_provider_openai_adv.client import ClientConfig, FilePart, OpenAIClient
from airflow_provider_openai_adv.exceptions import APITimeoutError, NotFoundError


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
    openai_emulator.add_fault(path="/v1/models", latency=0.5)
    client = make_client(timeout=5, max_retries=0)
    with pytest.raises(APITimeoutError):
        client.request("GET", "models", timeout=0.1)
    assert client.get("models")["data"]


def test_multipart_fields_and_file_reach_the_server(openai_emulator, make_client, tmp_path):
    source = tmp_path / "train.jsonl"
    source.write_bytes(b'{"a": 1}\n')
    uploaded = make_client().upload("files", {"purpose": "fine-tune"}, [FilePart.from_path("file", source)]).json()
    assert uploaded["filename"] == "train.jsonl" and uploaded["bytes"] == 9
    entry = openai_emulator.requests[-1]
    assert entry.form == {"purpose": ["fine-tune"]}
    assert entry.files == {"file": [{"filename": "train.jsonl", "content_type": "application/jsonl", "size": 9}]}


def test_a_retried_upload_sends_the_whole_file_again(openai_emulator, make_client, tmp_path):
    source = tmp_path / "data.jsonl"
    source.write_bytes(b"x" * 100_000)
    openai_emulator.add_fault(path="/v1/files", method="POST", status=503, times=1)
    uploaded = make_client().upload("files", {"purpose": "batch"}, [FilePart.from_path("file", source)]).json()
    assert uploaded["bytes"] == 100_000
    assert [entry.status for entry in openai_emulator.requests] == [503, 200]


def test_download_to_a_path_is_atomic(openai_emulator, make_client, tmp_path):
    client = make_client()
    file_id = client.upload(
        "files", {"purpose": "batch"}, [FilePart.from_bytes("file", b"abc" * 1000, "a.jsonl")]
    ).json()["id"]
    target = tmp_path / "out" / "a.jsonl"
    assert client.download(f"files/{file_id}/content", target) == 3000
    assert target.read_bytes() == b"abc" * 1000
    with pytest.raises(NotFoundError):
        client.download("files/file-missing/content", tmp_path / "missing.jsonl")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.jsonl", "out"]  # no partial file left behind


def test_a_download_cut_off_midway_is_retried_from_the_start(openai_emulator, make_client, tmp_path):
    client = make_client()
    file_id = client.upload(
        "files", {"purpose": "batch"}, [FilePart.from_bytes("file", b"z" * 5000, "z.jsonl")]
    ).json()["id"]
    openai_emulator.add_fault(path=f"/v1/files/{file_id}/content", drop=True, times=1)
    target = tmp_path / "z.jsonl"
    assert client.download(f"files/{file_id}/content", target) == 5000
    assert target.read_bytes() == b"z" * 5000


def test_download_into_a_file_object(openai_emulator, make_client):
    client = make_client()
    file_id = client.upload("files", {"purpose": "batch"}, [FilePart.from_bytes("file", b"hello", "h.txt")]).json()[
        "id"
    ]
    buffer = io.BytesIO()
    assert client.download(f"files/{file_id}/content", buffer) == 5
    assert buffer.getvalue() == b"hello"


def test_the_client_works_without_airflow_installed_paths(openai_emulator):
    """The client layer imports nothing from Airflow."""
    import subprocess
    import sys

    code = (
        "import sys, airflow_provider_openai_adv.client as c, airflow_provider_openai_adv.exceptions;"
        "print(any(name == 'airflow' or name.startswith('airflow.') for name in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_streamed_bytes_arrive_unchanged(openai_emulator):
    """Uploads and downloads move bytes unchanged (checked by digest)."""
    payload = bytes(range(256)) * 4096
    client = OpenAIClient(ClientConfig(api_key=openai_emulator.api_key, base_url=openai_emulator.base_url))
    file_id = client.upload("files", {"purpose": "batch"}, [FilePart.from_bytes("file", payload, "b.bin")]).json()["id"]
    buffer = io.BytesIO()
    client.download(f"files/{file_id}/content", buffer)
    assert hashlib.sha256(buffer.getvalue()).digest() == hashlib.sha256(payload).digest()
