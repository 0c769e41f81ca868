"""The emulator's upload exchanges fit OpenAI's current specification.

Uploads are created (with and without ``expires_after``), given parts, completed (with
an ``md5``), cancelled, and refused for each rule; then every exchange is validated.
A part is a multipart request, checked as ``tests/contract/test_media_contract.py``
checks them: the body rebuilt from the journal's fields and files and validated
against ``AddUploadPartRequest``. The spec declares only the 200 answers, so error
answers are checked against ``ErrorResponse``. Last, the limits: each one the emulator
enforces is read out of the spec's words.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import pytest

from airflow_provider_openai_adv.testing import uploads
from airflow_provider_openai_adv.testing.routes import common
from airflow_provider_openai_adv.testing.routes.uploads import MIME_TYPES
from tests.contract.openapi import form_object, validate_answer, validate_exchange, validate_schema

PART_REQUEST = "AddUploadPartRequest"


def run_uploads(http, emulator) -> None:
    def create(size, **extra):
        body = {"filename": "train.jsonl", "purpose": "fine-tune", "bytes": size, "mime_type": "text/jsonl", **extra}
        return http.post("/uploads", json=body).json()["id"]

    def part(upload_id, data):
        return http.post(f"/uploads/{upload_id}/parts", files={"data": ("blob", data)}).json().get("id")

    completed = create(6, expires_after={"anchor": "created_at", "seconds": 3600})
    parts = [part(completed, b"abc"), part(completed, b"def")]
    http.post(
        f"/uploads/{completed}/complete", json={"part_ids": parts[::-1], "md5": hashlib.md5(b"defabc").hexdigest()}
    )
    plain = create(3)
    http.post(f"/uploads/{plain}/complete", json={"part_ids": [part(plain, b"xyz")]})
    cancelled = create(10)
    part(cancelled, b"abc")
    http.post(f"/uploads/{cancelled}/cancel")
    http.post("/uploads", json={"filename": "a.png", "purpose": "vision", "bytes": 4, "mime_type": "image/png"})
    # refusals: each rule once
    emulator.set_upload_limits(part_bytes=4)
    refused = create(4)
    part(refused, b"12345")  # part too large
    http.post(f"/uploads/{refused}/complete", json={"part_ids": ["part_nope"]})  # unknown part
    http.post(f"/uploads/{refused}/complete", json={"part_ids": [part(refused, b"12")]})  # bytes differ
    part(cancelled, b"abc")  # not pending
    http.post(f"/uploads/{refused}/complete", json={"part_ids": [], "md5": "0" * 32})
    http.post("/uploads/upload_nope/cancel")  # 404


def upload_exchanges(emulator):
    return [entry for entry in emulator.requests if entry.path.startswith("/v1/uploads")]


def test_upload_exchanges_fit_the_current_spec(openai_emulator, http, current_spec, current_document):
    run_uploads(http, openai_emulator)
    exchanges = upload_exchanges(openai_emulator)
    statuses = {entry.response_json().get("status") for entry in exchanges if entry.status == 200}
    assert statuses == {"pending", "completed", "cancelled", None}  # None: a part
    assert sum(entry.status != 200 for entry in exchanges) == 6
    for entry in exchanges:
        if entry.path.endswith("/parts"):
            validate_schema(current_document, PART_REQUEST, form_object(current_document, PART_REQUEST, entry))
            if entry.status == 200:
                validate_answer(current_spec, entry)
        elif entry.status == 200:
            validate_exchange(current_spec, entry)
        if entry.status != 200:
            validate_schema(current_document, "ErrorResponse", entry.response_json())


def test_a_status_outside_the_specs_is_caught(openai_emulator, http, current_spec):
    """The check can fail: an upload answered with a status the spec does not list is reported."""
    from openapi_core.exceptions import OpenAPIError

    body = {"filename": "a.jsonl", "purpose": "batch", "bytes": 1, "mime_type": "text/jsonl"}
    http.post("/uploads", json=body)
    entry = openai_emulator.requests[-1]
    validate_exchange(current_spec, entry)
    wrong = dataclasses.replace(
        entry, response_body=json.dumps({**entry.response_json(), "status": "uploading"}).encode()
    )
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, wrong)


# -- the limits, as the spec words them -------------------------------------------------------


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_upload_limits_are_the_specs(current_document):
    paths, schemas = current_document["paths"], current_document["components"]["schemas"]
    create = words(paths["/uploads"]["post"]["summary"])
    (total,) = re.findall(r"at most (\d+) GB in total", create)
    assert int(total) << 30 == uploads.TOTAL_BYTES
    assert "expires after an hour after you create it" in create and uploads.LIFETIME_SECONDS == 3600
    (part,) = re.findall(
        r"Each Part can be at most (\d+) MB", words(paths["/uploads/{upload_id}/parts"]["post"]["summary"])
    )
    assert int(part) << 20 == uploads.PART_BYTES
    complete = words(paths["/uploads/{upload_id}/complete"]["post"]["summary"])
    assert "must match the number of bytes initially specified" in complete
    assert schemas["CreateUploadRequest"]["properties"]["purpose"]["enum"] == list(MIME_TYPES)
    seconds = schemas["FileExpirationAfter"]["properties"]["seconds"]
    assert (seconds["minimum"], seconds["maximum"]) == common.EXPIRY_SECONDS
