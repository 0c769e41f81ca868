"""Faults that answer in the handler's stead with any status and body, or lose the answer."""

from __future__ import annotations

import json

import pytest
import requests

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}


# -- odd successful bodies --------------------------------------------------------------


def test_a_fault_can_answer_200_with_a_raw_json_body(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", status=200, body="{}", times=1)
    response = http.get("/models")
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_") and response.headers["openai-version"]
    entry = openai_emulator.requests[-1]
    assert entry.status == 200 and entry.response_json() == {} and not entry.answer_lost
    assert http.get("/models").json()["data"]  # retired after one answer


def test_a_non_json_body_is_sent_as_html(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/chat/completions", status=200, body="<html>Sign in to the proxy</html>")
    response = http.post("/chat/completions", json=CHAT)
    assert response.status_code == 200 and response.text == "<html>Sign in to the proxy</html>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_the_content_type_can_be_chosen(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", status=200, body='{"data": [', content_type="application/json")
    response = http.get("/models")
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, '{"error": {"message": "odd", "type": "server_error"}}', "application/json"),
        (502, "<html>Bad gateway</html>", "text/html; charset=utf-8"),
        (201, "", "text/html; charset=utf-8"),
    ],
)
def test_any_status_answers_with_the_body_given(openai_emulator, http, status, body, content_type):
    openai_emulator.add_fault(path="/v1/models", status=status, body=body)
    response = http.get("/models")
    assert (response.status_code, response.text, response.headers["content-type"]) == (status, body, content_type)


def test_a_success_status_without_a_body_sends_an_empty_one(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", status=200, headers={"x-extra": "1"})
    response = http.get("/models")
    assert response.status_code == 200 and response.content == b"" and response.headers["x-extra"] == "1"


def test_a_fault_answer_over_the_control_endpoint(openai_emulator, http):
    control = openai_emulator.base_url.removesuffix("/v1") + "/_emulator"
    fault = {"path": "/v1/models", "status": 200, "body": "[]", "times": 1}
    assert requests.post(control + "/faults", json=fault).json() == {"ok": True}
    assert http.get("/models").json() == []


# -- answers lost after the work is done ---------------------------------------------------


def test_a_lost_upload_answer_still_stores_the_file(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/files", method="POST", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.post("/files", files={"file": ("a.txt", b"kept")}, data={"purpose": "user_data"})
    (stored,) = http.get("/files").json()["data"]
    assert http.get(f"/files/{stored['id']}/content").content == b"kept"
    entry = next(e for e in openai_emulator.requests if e.method == "POST")
    assert entry.status == 200 and entry.answer_lost is True
    assert entry.response_json()["id"] == stored["id"]


def test_a_lost_delete_answer_still_deletes(openai_emulator, http):
    file_id = http.post("/files", files={"file": ("a.txt", b"x")}, data={"purpose": "user_data"}).json()["id"]
    openai_emulator.add_fault(path=f"/v1/files/{file_id}", method="DELETE", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.delete(f"/files/{file_id}")
    assert http.get(f"/files/{file_id}").status_code == 404
    assert http.delete(f"/files/{file_id}").status_code == 404  # a retry finds it gone


def test_a_lost_job_creation_answer_still_creates_the_job(openai_emulator, http):
    lines = [
        {"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": f"A{i}"}]}
        for i in range(10)
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    file_id = http.post("/files", files={"file": ("t.jsonl", data)}, data={"purpose": "fine-tune"}).json()["id"]
    openai_emulator.add_fault(path="/v1/fine_tuning/jobs", method="POST", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.post("/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": file_id})
    (job,) = http.get("/fine_tuning/jobs").json()["data"]
    assert job["training_file"] == file_id


def test_a_lost_error_answer_is_journalled_with_its_status(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/chat/completions", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.post("/chat/completions", json={**CHAT, "model": "gpt-nope"})
    entry = openai_emulator.requests[-1]
    assert (entry.status, entry.answer_lost) == (404, True)


def test_a_lost_stream_sends_nothing(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/chat/completions", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        http.post("/chat/completions", json={**CHAT, "stream": True}, stream=True).content  # noqa: B018
    assert openai_emulator.requests[-1].answer_lost is True
    assert http.post("/chat/completions", json=CHAT).status_code == 200


def test_skip_lets_the_first_matching_requests_through(openai_emulator, http):
    openai_emulator.add_fault(path="/v1/models", status=503, skip=2, times=1)
    assert [http.get("/models").status_code for _ in range(4)] == [200, 200, 503, 200]
