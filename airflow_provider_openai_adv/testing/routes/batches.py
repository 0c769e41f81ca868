"""``/v1/batches``: create, retrieve, list and cancel batches, in OpenAI's ``Batch`` shape.

The batches, their state machine and their input checks live in ``testing/batches.py``;
this module checks requests and renders batches. A ``Batch`` property the spec does not
let be null (``output_file_id``, ``errors``, ``in_progress_at``...) is left out until it
has a value.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.batches import Batch, BatchStore
from airflow_provider_openai_adv.testing.files import FileStore
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_expires_after,
    check_metadata,
    paginate,
    require,
)
from airflow_provider_openai_adv.testing.routing import Route

ENDPOINTS = (  # CreateBatchRequest.endpoint's enum
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
RUNNABLE = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations")
COMPLETION_WINDOWS = ("24h",)
STAMPS = (  # in the order OpenAI lists them
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
)


def _store(request: Request) -> BatchStore:
    return request.state.store(BatchStore)


def runnable_endpoints(request: Request) -> list[str]:
    """The endpoints the emulator can run batches for: those it serves (``/v1/responses`` when it does)."""
    api = request.state.internal_api
    return [endpoint for endpoint in RUNNABLE if api is not None and api.serves("POST", endpoint)]


def batch_body(batch: Batch) -> dict[str, Any]:
    """A ``batch`` object."""
    optional = {
        "model": batch.model,
        "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
    }
    stamps = {**batch.stamps, "expires_at": int(batch.expires_at)}
    usage = batch.usage
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        **{name: value for name, value in optional.items() if value is not None},
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": batch.status,
        "created_at": int(batch.created_at),
        **{name: stamps[name] for name in STAMPS if name in stamps},
        "request_counts": {"total": batch.total, "completed": batch.completed, "failed": batch.failed},
        "usage": {
            "input_tokens": usage["input_tokens"],
            "input_tokens_details": {"cached_tokens": usage["cached_tokens"]},
            "output_tokens": usage["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": usage["reasoning_tokens"]},
            "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        },
        "metadata": batch.metadata,
    }


def _batch(request: Request) -> Batch:
    batch_id = request.path_params["batch_id"]
    batch = _store(request).get(batch_id)
    if batch is None:
        raise not_found(f"No batch found with id '{batch_id}'.", param="batch_id")
    return batch


def create_batch(request: Request) -> Response:
    body = request.json()
    file_id = require(body, "input_file_id")
    endpoint = require(body, "endpoint")
    check_choice(endpoint, "endpoint", ENDPOINTS)
    runnable = runnable_endpoints(request)
    if endpoint not in runnable:
        raise invalid(
            f"The emulator cannot run batches for {endpoint}; it runs them for {', '.join(runnable)}.",
            param="endpoint",
        )
    check_choice(require(body, "completion_window"), "completion_window", COMPLETION_WINDOWS)
    metadata = check_metadata(body.get("metadata"))
    output_expires_after = check_expires_after(body.get("output_expires_after"), "output_expires_after")
    stored = request.state.store(FileStore).files.get(file_id)
    if stored is None:
        raise invalid(f"Invalid 'input_file_id': no file with id '{file_id}'.", param="input_file_id")
    if stored.purpose != "batch":
        raise invalid(
            f"Invalid 'input_file_id': {file_id} was uploaded with purpose '{stored.purpose}'; "
            "a batch's input needs purpose 'batch'.",
            param="input_file_id",
        )
    batch = _store(request).create(
        input_file=stored, endpoint=endpoint, metadata=metadata, output_expires_after=output_expires_after
    )
    return json_response(batch_body(batch))


def retrieve_batch(request: Request) -> Response:
    return json_response(batch_body(_batch(request)))


def list_batches(request: Request) -> Response:
    """Newest first, ``limit`` (1–100, 20 by default) at a time after the ``after`` cursor."""
    batches = [batch_body(batch) for batch in reversed(_store(request).listed())]
    return json_response(paginate(request, batches, default_limit=20, max_limit=100))


def cancel_batch(request: Request) -> Response:
    """A batch in progress starts cancelling (again: the same batch); an ended one cannot be cancelled."""
    batch = _batch(request)
    if not _store(request).cancel(batch):
        raise invalid(f"Cannot cancel a batch with status {batch.status}.")
    return json_response(batch_body(batch))


ROUTES = (
    Route("POST", "/batches", create_batch),
    Route("GET", "/batches", list_batches),
    Route("GET", "/batches/{batch_id}", retrieve_batch),
    Route("POST", "/batches/{batch_id}/cancel", cancel_batch),
)
