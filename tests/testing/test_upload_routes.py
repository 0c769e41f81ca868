"""Uploads in the emulator, over HTTP: parts on disk, completion in the order given, and every rule
the spec states (sizes, expiry, statuses, part ids, md5)."""

from __future__ import annotations

import hashlib

import pytest
import requests

from airflow_provider_openai_adv.testing.uploads import UploadLimits, UploadStore


def create(http, size, **extra) -> dict:
    body = {"filename": "train.jsonl", "purpose": "fine-tune", "bytes": size, "mime_type": "text/jsonl", **extra}
    response = http.post("/uploads", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def send_part(http, upload_id, data: bytes):
    return http.post(f"/uploads/{upload_id}/parts", files={"data": ("blob", data, "application/octet-stream")})


def add_part(http, upload_id, data: bytes) -> str:
    response = send_part(http, upload_id, data)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def complete(http, upload_id, part_ids, **extra):
    return http.post(f"/uploads/{upload_id}/complete", json={"part_ids": part_ids, **extra})


def assert_refused(response, param, words=""):
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and words in error["message"] and error["type"] == "invalid_request_error"


def test_an_upload_is_pending_for_an_hour(http):
    upload = create(http, 10)
    assert upload["id"].startswith("upload_") and upload["object"] == "upload"
    assert upload["status"] == "pending" and upload["expires_at"] == upload["created_at"] + 3600
    assert (upload["bytes"], upload["filename"], upload["purpose"]) == (10, "train.jsonl", "fine-tune")
    assert "file" not in upload


def test_completion_joins_the_parts_in_the_order_given_into_a_file(http, openai_emulator):
    upload = create(http, 12)
    first, second, third = (add_part(http, upload["id"], data) for data in (b"hello", b" ", b"world"))
    part = send_part(http, upload["id"], b"!").json()
    assert part["object"] == "upload.part" and part["upload_id"] == upload["id"] and part["id"].startswith("part_")
    done = complete(http, upload["id"], [third, second, first, part["id"]]).json()
    assert done["status"] == "completed"
    stored = done["file"]
    assert stored["object"] == "file" and stored["bytes"] == 12
    assert (stored["filename"], stored["purpose"]) == ("train.jsonl", "fine-tune")
    assert http.get(f"/files/{stored['id']}/content").content == b"world hello!"
    assert http.get(f"/files/{stored['id']}").json() == stored
    parts = openai_emulator.state.store(UploadStore).uploads[upload["id"]].parts.values()
    assert not any(part.path.exists() for part in parts)  # the parts' bytes are gone; the file has them


def test_a_matching_md5_completes_and_a_wrong_one_is_refused(http):
    upload = create(http, 6)
    parts = [add_part(http, upload["id"], b"abc"), add_part(http, upload["id"], b"def")]
    assert_refused(complete(http, upload["id"], parts, md5="0" * 32), "md5", "does not match")
    done = complete(http, upload["id"], parts, md5=hashlib.md5(b"abcdef").hexdigest())  # still pending: try again
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_the_parts_listed_must_hold_the_bytes_announced(http):
    upload = create(http, 6)
    parts = [add_part(http, upload["id"], b"abc"), add_part(http, upload["id"], b"def")]
    assert_refused(complete(http, upload["id"], parts[:1]), "part_ids", "3 bytes")


def test_unknown_foreign_and_repeated_part_ids_are_refused(http):
    upload, other = create(http, 3), create(http, 3)
    mine, foreign = add_part(http, upload["id"], b"abc"), add_part(http, other["id"], b"abc")
    assert_refused(complete(http, upload["id"], ["part_nope"]), "part_ids", "not a part of")
    assert_refused(complete(http, upload["id"], [foreign]), "part_ids", "not a part of")
    assert_refused(complete(http, upload["id"], [mine, mine]), "part_ids", "twice")
    assert_refused(complete(http, upload["id"], [7]), "part_ids", "not a part of")
    assert complete(http, upload["id"], [mine]).status_code == 200


def test_a_part_failing_then_sent_again_completes(http, openai_emulator):
    upload = create(http, 6)
    openai_emulator.add_fault(path="/v1/uploads/*/parts", status=500, times=1)
    assert send_part(http, upload["id"], b"abc").status_code == 500  # not kept
    first = add_part(http, upload["id"], b"abc")
    openai_emulator.add_fault(path="/v1/uploads/*/parts", lose_answer=True, times=1)
    with pytest.raises(requests.ConnectionError):
        send_part(http, upload["id"], b"def")  # kept, but its id never reached the client
    second = add_part(http, upload["id"], b"def")
    assert len(openai_emulator.state.store(UploadStore).uploads[upload["id"]].parts) == 3
    done = complete(http, upload["id"], [first, second]).json()  # the lost part is simply not listed
    assert http.get(f"/files/{done['file']['id']}/content").content == b"abcdef"


# -- limits -----------------------------------------------------------------------------------


def test_the_default_limits_are_openais():
    assert UploadLimits() == UploadLimits(part_bytes=64 * 1024 * 1024, total_bytes=8 * 1024**3)


def test_a_part_over_the_part_limit_is_refused(http, openai_emulator):
    openai_emulator.set_upload_limits(part_bytes=1024)
    upload = create(http, 2048)
    assert_refused(send_part(http, upload["id"], b"x" * 1025), "data", "at most 1024")
    parts = [add_part(http, upload["id"], b"x" * 1024) for _ in range(2)]  # sent again, in limit-sized parts
    assert complete(http, upload["id"], parts).status_code == 200


def test_parts_stop_at_the_total_limit(http, openai_emulator):
    openai_emulator.set_upload_limits(part_bytes=1024, total_bytes=2048)
    upload = create(http, 2048)
    for _ in range(2):
        add_part(http, upload["id"], b"x" * 1024)
    assert_refused(send_part(http, upload["id"], b"x"), "data", "at most 2048")
    assert_refused(http.post("/uploads", json={**BODY, "bytes": 2049}), "bytes", "2048")


def test_the_limits_control_endpoint_and_reset(openai_emulator, http):
    control = openai_emulator.base_url.removesuffix("/v1") + "/_emulator/upload_limits"
    assert requests.post(control, json={"part_bytes": 4}).status_code == 200
    assert_refused(send_part(http, create(http, 5)["id"], b"12345"), "data")
    openai_emulator.reset()
    assert openai_emulator.set_upload_limits() == UploadLimits()


# -- statuses ---------------------------------------------------------------------------------


def test_an_upload_expires_after_an_hour_of_emulator_clock(http, openai_emulator):
    upload = create(http, 6)
    part = add_part(http, upload["id"], b"abc")
    openai_emulator.advance_clock(3599)
    add_part(http, upload["id"], b"def")
    openai_emulator.advance_clock(2)
    assert_refused(send_part(http, upload["id"], b"ghi"), "upload_id", "expired")
    assert_refused(complete(http, upload["id"], [part]), "upload_id", "expired")
    assert_refused(http.post(f"/uploads/{upload['id']}/cancel"), "upload_id", "expired")
    parts = openai_emulator.state.store(UploadStore).uploads[upload["id"]].parts.values()
    assert not any(part.path.exists() for part in parts)


def test_a_cancelled_upload_takes_nothing_more(http, openai_emulator):
    upload = create(http, 3)
    part = add_part(http, upload["id"], b"abc")
    cancelled = http.post(f"/uploads/{upload['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and "file" not in cancelled
    assert_refused(send_part(http, upload["id"], b"abc"), "upload_id", "cancelled")
    assert_refused(complete(http, upload["id"], [part]), "upload_id", "cancelled")
    assert_refused(http.post(f"/uploads/{upload['id']}/cancel"), "upload_id", "cancelled")


def test_a_completed_upload_takes_nothing_more(http):
    upload = create(http, 3)
    part = add_part(http, upload["id"], b"abc")
    assert complete(http, upload["id"], [part]).status_code == 200
    assert_refused(send_part(http, upload["id"], b"abc"), "upload_id", "completed")
    assert_refused(complete(http, upload["id"], [part]), "upload_id", "completed")
    assert_refused(http.post(f"/uploads/{upload['id']}/cancel"), "upload_id", "completed")


def test_an_unknown_upload_is_a_404(http):
    for response in (
        send_part(http, "upload_nope", b"x"),
        complete(http, "upload_nope", []),
        http.post("/uploads/upload_nope/cancel"),
    ):
        assert response.status_code == 404 and response.json()["error"]["param"] == "upload_id"


def test_a_part_needs_its_data_as_a_file(http):
    upload = create(http, 3)
    response = http.post(f"/uploads/{upload['id']}/parts", files={"other": ("blob", b"abc")})
    assert_refused(response, "data", "Missing required parameter")
    assert_refused(http.post(f"/uploads/{upload['id']}/parts", json={"data": "abc"}), None, "multipart")


# -- create's checks --------------------------------------------------------------------------

BODY = {"filename": "data.jsonl", "purpose": "batch", "bytes": 10, "mime_type": "text/jsonl"}


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"filename": None}, "filename", "Missing required parameter"),
        ({"bytes": None}, "bytes", "Missing required parameter"),
        ({"bytes": "10"}, "bytes", "Invalid type"),
        ({"bytes": 0}, "bytes", "from 1"),
        ({"bytes": 8 * 1024**3 + 1}, "bytes", str(8 * 1024**3)),
        ({"purpose": "user_data"}, "purpose", "Supported values"),
        ({"mime_type": None}, "mime_type", "Missing required parameter"),
        ({"mime_type": "image/png"}, "mime_type", "not supported for purpose 'batch'"),
        ({"purpose": "vision", "mime_type": "application/pdf"}, "mime_type", "not supported"),
        ({"expires_after": {"anchor": "created_at", "seconds": 10}}, "expires_after", "3600"),
        ({"colour": "blue"}, "colour", "Unknown parameter"),
    ],
)
def test_a_bad_create_request_gets_a_400_naming_the_param(http, change, param, words):
    body = {key: value for key, value in {**BODY, **change}.items() if value is not None}
    assert_refused(http.post("/uploads", json=body), param, words)


@pytest.mark.parametrize(
    ("purpose", "mime_type"),
    [
        ("batch", "application/jsonl"),
        ("fine-tune", "text/jsonl; charset=utf-8"),
        ("assistants", "application/pdf"),
        ("assistants", "text/markdown"),
        ("vision", "image/png"),
    ],
)
def test_each_purpose_takes_its_mime_types(http, purpose, mime_type):
    assert http.post("/uploads", json={**BODY, "purpose": purpose, "mime_type": mime_type}).status_code == 200


def test_expires_after_sets_the_completed_files_expiry(http):
    upload = create(http, 3, expires_after={"anchor": "created_at", "seconds": 7200})
    stored = complete(http, upload["id"], [add_part(http, upload["id"], b"abc")]).json()["file"]
    assert stored["expires_at"] == stored["created_at"] + 7200
    assert upload["expires_at"] == upload["created_at"] + 3600  # the upload's own hour is unchanged


def test_complete_refuses_unknown_parameters(http):
    upload = create(http, 3)
    part = add_part(http, upload["id"], b"abc")
    assert_refused(complete(http, upload["id"], [part], checksum="x"), "checksum", "Unknown parameter")
    assert_refused(http.post(f"/uploads/{upload['id']}/complete", json={}), "part_ids", "Missing required")
