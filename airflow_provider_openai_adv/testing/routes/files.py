"""``/v1/files``: upload (multipart, streamed to disk), list, retrieve, content, delete."""

from __future__ import annotations

from airflow_provider_openai_adv.testing.files import FileStore, StoredFile
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import check_choice, paginate
from airflow_provider_openai_adv.testing.routing import Route

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_FILE_BYTES = 512 * 1024 * 1024


def file_or_404(request: Request, file_id: str) -> StoredFile:
    stored = request.state.store(FileStore).files.get(file_id)
    if stored is None:
        raise not_found(f"No such File object: {file_id}", param="id")
    return stored


def upload_file(request: Request) -> Response:
    form = request.require_form()
    upload = form.take_file("file")
    if upload is None:
        raise invalid("Missing required parameter: 'file'.", param="file")
    purpose = form.get("purpose")
    if not purpose:
        raise invalid("Missing required parameter: 'purpose'.", param="purpose")
    check_choice(purpose, "purpose", PURPOSES)
    if upload.size > MAX_FILE_BYTES:
        raise invalid(f"File is too large: {upload.size} bytes; the limit is 512 MB.", param="file")
    expires_at = None
    seconds = form.get("expires_after[seconds]")
    if seconds is not None:
        if form.get("expires_after[anchor]") != "created_at" or not seconds.isdigit():
            raise invalid("'expires_after' needs anchor=created_at and a number of seconds.", param="expires_after")
        expires_at = request.state.now() + int(seconds)
    stored = request.state.store(FileStore).add(
        filename=upload.filename, purpose=purpose, path=upload.path, size=upload.size, expires_at=expires_at
    )
    return json_response(stored.to_api())


def list_files(request: Request) -> Response:
    order = request.query.get("order", "desc")
    check_choice(order, "order", ["asc", "desc"])
    purpose = request.query.get("purpose")
    files = [f for f in request.state.store(FileStore).files.values() if purpose is None or f.purpose == purpose]
    if order == "desc":  # the dict keeps upload order
        files.reverse()
    return json_response(paginate(request, [f.to_api() for f in files], default_limit=10000, max_limit=10000))


def retrieve_file(request: Request) -> Response:
    return json_response(file_or_404(request, request.path_params["file_id"]).to_api())


def retrieve_file_content(request: Request) -> Response:
    stored = file_or_404(request, request.path_params["file_id"])
    return Response(status=200, content_type="application/octet-stream", file=stored.path)


def delete_file(request: Request) -> Response:
    stored = file_or_404(request, request.path_params["file_id"])
    request.state.store(FileStore).delete(stored)
    return json_response({"id": stored.id, "object": "file", "deleted": True})


ROUTES = (
    Route("POST", "/files", upload_file),
    Route("GET", "/files", list_files),
    Route("GET", "/files/{file_id}", retrieve_file),
    Route("GET", "/files/{file_id}/content", retrieve_file_content),
    Route("DELETE", "/files/{file_id}", delete_file),
)
