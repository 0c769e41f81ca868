"""Serving lifecycle: an outage on the same port with the state kept, disposal, HTTPS."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests

from airflow_provider_openai_adv.testing import OpenAIEmulator, TLSFiles
from airflow_provider_openai_adv.testing.tls import write_test_certificates


def session_for(emulator: OpenAIEmulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emulator.api_key}"
    return session


def training_file(session: requests.Session, base_url: str) -> str:
    lines = [
        {"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": f"A{i}"}]}
        for i in range(10)
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    response = session.post(base_url + "/files", files={"file": ("t.jsonl", data)}, data={"purpose": "fine-tune"})
    return response.json()["id"]


# -- outages ------------------------------------------------------------------------------


def test_an_outage_refuses_connections_then_comes_back_on_the_same_port_with_its_state():
    with OpenAIEmulator() as emulator, session_for(emulator) as session:
        base_url, port = emulator.base_url, emulator.port
        file_id = training_file(session, base_url)
        job = session.post(base_url + "/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": file_id})
        emulator.advance_clock(1.5)
        with emulator.outage():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((emulator.host, port), timeout=2)
            with pytest.raises(requests.ConnectionError):  # the pooled keep-alive connection is gone too
                session.get(base_url + "/models", timeout=2)
            emulator.advance_clock(10)
        assert emulator.base_url == base_url
        assert [f["id"] for f in session.get(base_url + "/files").json()["data"]] == [file_id]
        assert session.get(f"{base_url}/fine_tuning/jobs/{job.json()['id']}").json()["status"] == "succeeded"
        assert emulator.state.clock.offset == 11.5
        assert emulator.requests[0].path == "/v1/files"  # the journal too


def test_stop_keeps_the_storage_and_close_deletes_it():
    emulator = OpenAIEmulator().start()
    storage = emulator.state.storage_dir
    emulator.stop()
    assert storage.is_dir()
    emulator.start()
    session = session_for(emulator)
    assert session.get(emulator.base_url + "/models").status_code == 200
    session.close()
    emulator.close()
    assert not storage.exists()


def test_a_given_storage_dir_is_left_in_place(tmp_path):
    with OpenAIEmulator(storage_dir=tmp_path / "store"):
        pass
    assert (tmp_path / "store").is_dir()


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> TLSFiles:
    return write_test_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_emulator(tls):
    with OpenAIEmulator(tls=tls) as emulator:
        yield emulator


def test_the_emulator_serves_https_trusted_through_the_test_ca(https_emulator, tls):
    assert https_emulator.base_url.startswith("https://127.0.0.1:")
    headers = {"Authorization": f"Bearer {https_emulator.api_key}"}
    for base_url in (https_emulator.base_url, https_emulator.base_url.replace("127.0.0.1", "localhost")):
        response = requests.get(base_url + "/models", verify=str(tls.cafile), headers=headers)
        assert response.status_code == 200 and response.json()["data"]


def test_without_the_test_ca_the_certificate_is_refused(https_emulator):
    headers = {"Authorization": f"Bearer {https_emulator.api_key}"}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https_emulator.base_url + "/models", headers=headers)


def test_image_urls_use_https_too(https_emulator, tls):
    headers = {"Authorization": f"Bearer {https_emulator.api_key}"}
    answer = requests.post(
        https_emulator.base_url + "/images/generations",
        json={"prompt": "a fox", "size": "256x256"},
        verify=str(tls.cafile),
        headers=headers,
    ).json()
    url = answer["data"][0]["url"]
    assert url.startswith("https://")
    assert requests.get(url, verify=str(tls.cafile)).headers["content-type"] == "image/png"


def test_the_certificate_names_localhost_and_the_loopback_address(tls):
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(tls.certfile.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_the_shell_form_serves_https(tls):
    command = [sys.executable, "-m", "airflow_provider_openai_adv.testing.emulator", "--port", "0"]
    command += ["--ssl-certfile", str(tls.certfile), "--ssl-keyfile", str(tls.keyfile)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().split()[-1]
        assert base_url.startswith("https://127.0.0.1:")
        headers = {"Authorization": "Bearer sk-any"}
        assert requests.get(base_url + "/models", verify=str(tls.cafile), headers=headers, timeout=10).ok
    finally:
        process.terminate()
        process.wait(timeout=10)
