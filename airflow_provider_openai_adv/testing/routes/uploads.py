"""``/v1/uploads``: create an upload, add parts (multipart, streamed to disk), complete it into a file, cancel it.

The uploads and their parts live in ``testing/uploads.py``; this module checks the
rules the spec states and renders the ``Upload`` and ``UploadPart`` shapes.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_expires_after,
    optional,
    reject_unknown,
    require,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.uploads import Part, Upload, UploadStore

CREATE_FIELDS = ("filename", "purpose", "bytes", "mime_type", "expires_after")  # additionalProperties: false
COMPLETE_FIELDS = ("part_ids", "md5")
JSON_LINES = ("text/jsonl", "application/jsonl", "application/x-jsonlines", "application/x-ndjson", "application/json")
# The purposes CreateUploadRequest lists, and the MIME types each takes: the spec points to
# OpenAI's guides for them (file search's supported files for assistants, images for vision).
MIME_TYPES: dict[str, tuple[str, ...]] = {
    "assistants": (
        "text/x-c",
        "text/x-c++",
        "text/x-csharp",
        "text/css",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/x-golang",
        "text/html",
        "text/x-java",
        "text/javascript",
        "application/json",
        "text/markdown",
        "application/pdf",
        "text/x-php",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "text/x-python",
        "text/x-script.python",
        "text/x-ruby",
        "application/x-sh",
        "text/x-tex",
        "application/typescript",
        "text/plain",
    ),
    "batch": JSON_LINES,
    "fine-tune": JSON_LINES,
    "vision": ("image/png", "image/jpeg", "image/gif", "image/webp"),
}


def _store(request: Request) -> UploadStore:
    return request.state.store(UploadStore)


def upload_body(upload: Upload) -> dict[str, Any]:
    """An ``upload`` object; ``file`` once it is completed."""
    body: dict[str, Any] = {
        "id": upload.id,
        "object": "upload",
        "bytes": upload.bytes,
        "created_at": upload.created_at,
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": upload.status,
        "expires_at": upload.expires_at,
    }
    if upload.file is not None:
        body["file"] = upload.file.to_api()
    return body


def part_body(part: Part) -> dict[str, Any]:
    return {"id": part.id, "object": "upload.part", "created_at": part.created_at, "upload_id": part.upload_id}


def _upload(request: Request) -> Upload:
    upload_id = request.path_params["upload_id"]
    upload = _store(request).get(upload_id)
    if upload is None:
        raise not_found(f"No upload found with id '{upload_id}'.", param="upload_id")
    return upload


def _require_pending(upload: Upload, action: str) -> None:
    """Parts, completion and cancellation are for a pending upload only (not a completed, cancelled or expired one)."""
    if upload.status != "pending":
        raise invalid(f"Cannot {action} upload {upload.id}: its status is {upload.status}.", param="upload_id")


def create_upload(request: Request) -> Response:
    body = request.json()
    reject_unknown(body, CREATE_FIELDS)
    filename = require(body, "filename")
    purpose = require(body, "purpose")
    size = require(body, "bytes", int)
    mime_type = require(body, "mime_type")
    check_choice(purpose, "purpose", MIME_TYPES)
    if mime_type.split(";")[0].strip().lower() not in MIME_TYPES[purpose]:
        raise invalid(
            f"Invalid 'mime_type': {mime_type!r} is not supported for purpose '{purpose}'; "
            f"supported: {', '.join(MIME_TYPES[purpose])}.",
            param="mime_type",
        )
    limit = _store(request).limits.total_bytes
    if not 0 < size <= limit:
        raise invalid(f"Invalid 'bytes': {size}; an upload holds from 1 to {limit} bytes.", param="bytes")
    file_expires_after = check_expires_after(body.get("expires_after"), "expires_after")
    upload = _store(request).create(
        filename=filename, purpose=purpose, size=size, file_expires_after=file_expires_after
    )
    return json_response(upload_body(upload))


def add_part(request: Request) -> Response:
    upload = _upload(request)
    form = request.require_form()
    _require_pending(upload, "add a part to")
    data = form.file("data")
    if data is None:
        raise invalid(
            "Missing required parameter: 'data' (a file part).", param="data", code="missing_required_parameter"
        )
    limits = _store(request).limits
    if data.size > limits.part_bytes:
        raise invalid(f"The part has {data.size} bytes; a part can be at most {limits.part_bytes}.", param="data")
    if upload.received + data.size > limits.total_bytes:
        raise invalid(
            f"The part would bring upload {upload.id} to {upload.received + data.size} bytes; "
            f"an upload can hold at most {limits.total_bytes}.",
            param="data",
        )
    part = _store(request).add_part(upload, form.take_file("data"))
    return json_response(part_body(part))


def _listed_parts(upload: Upload, part_ids: list[Any]) -> list[Part]:
    """The parts ``part_ids`` names, in that order: each a part of this upload, named once."""
    parts = []
    for part_id in part_ids:
        part = upload.parts.get(part_id) if isinstance(part_id, str) else None
        if part is None:
            raise invalid(f"Invalid 'part_ids': {part_id!r} is not a part of upload {upload.id}.", param="part_ids")
        if part in parts:
            raise invalid(f"Invalid 'part_ids': {part_id} is listed twice.", param="part_ids")
        parts.append(part)
    return parts


def complete_upload(request: Request) -> Response:
    upload = _upload(request)
    body = request.json()
    reject_unknown(body, COMPLETE_FIELDS)
    part_ids = require(body, "part_ids", list)
    md5 = optional(body, "md5")
    _require_pending(upload, "complete")
    parts = _listed_parts(upload, part_ids)
    total = sum(part.size for part in parts)
    if total != upload.bytes:
        raise invalid(
            f"The parts listed hold {total} bytes; upload {upload.id} was created for {upload.bytes}.",
            param="part_ids",
        )
    joined, digest = _store(request).join(parts)
    if md5 is not None and md5.lower() != digest:
        joined.unlink()
        raise invalid(f"The md5 checksum {md5} does not match the uploaded bytes' ({digest}).", param="md5")
    _store(request).complete(upload, joined)
    return json_response(upload_body(upload))


def cancel_upload(request: Request) -> Response:
    upload = _upload(request)
    _require_pending(upload, "cancel")
    _store(request).cancel(upload)
    return json_response(upload_body(upload))


ROUTES = (
    Route("POST", "/uploads", create_upload),
    Route("POST", "/uploads/{upload_id}/parts", add_part),
    Route("POST", "/uploads/{upload_id}/complete", complete_upload),
    Route("POST", "/uploads/{upload_id}/cancel", cancel_upload),
)
