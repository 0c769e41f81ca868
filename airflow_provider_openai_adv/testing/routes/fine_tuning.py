"""``/v1/fine_tuning/jobs`` and the 2023 API's ``/v1/fine-tunes``, over one job store.

The jobs, their state machine and training-data checks live in
``testing/fine_tuning.py``; this module checks requests and renders each generation's
shapes: ``fine_tuning.job`` (``ftjob-`` ids) and the legacy ``fine-tune`` (``ft-`` ids).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

from airflow_provider_openai_adv.testing.files import FileStore
from airflow_provider_openai_adv.testing.fine_tuning import (
    CHAT_BASES,
    COMPLETION_BASES,
    LEGACY_BASES,
    ORGANIZATION_ID,
    TERMINAL,
    FineTuneJob,
    FineTuningStore,
    data_format,
    fine_tunable_base,
)
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_metadata,
    optional,
    paginate,
    require,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.state import EmulatorState

COMMON_HYPERPARAMETERS = ("batch_size", "learning_rate_multiplier", "n_epochs")
METHOD_HYPERPARAMETERS = {
    "supervised": COMMON_HYPERPARAMETERS,
    "dpo": (*COMMON_HYPERPARAMETERS, "beta"),
    "reinforcement": (
        *COMMON_HYPERPARAMETERS,
        "reasoning_effort",
        "compute_multiplier",
        "eval_interval",
        "eval_samples",
    ),
}
# name: (integers only, lowest, highest, lowest excluded), as the specification bounds them
LIMITS: dict[str, tuple[bool, float, float, bool]] = {
    "n_epochs": (True, 1, 50, False),
    "batch_size": (True, 1, 256, False),
    "learning_rate_multiplier": (False, 0, math.inf, True),
    "beta": (False, 0, 2, True),
    "compute_multiplier": (False, 0.00001, 10, True),
    "eval_interval": (True, 1, math.inf, False),
    "eval_samples": (True, 1, math.inf, False),
    "seed": (True, 0, 2**31 - 1, False),
    "prompt_loss_weight": (False, 0, math.inf, False),
    "classification_n_classes": (True, 2, math.inf, False),
}
REASONING_EFFORTS = ("default", "low", "medium", "high")
GRADERS = ("string_check", "text_similarity", "python", "score_model", "multi")
SUFFIX = re.compile(r"[A-Za-z0-9._-]+")
LEGACY_STATUS = {"validating_files": "pending", "queued": "pending"}
STREAM_POLL_SECONDS = 0.02


# -- request checks ---------------------------------------------------------------------


def check_number(value: Any, param: str, *, auto: bool = True) -> None:
    """``value`` fits ``LIMITS`` for ``param``'s last part (or is ``"auto"`` where allowed)."""
    if auto and value == "auto":
        return
    integer, low, high, low_excluded = LIMITS[param.rsplit(".", 1)[-1]]
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        expected = ("an integer" if integer else "a number") + (' or "auto"' if auto else "")
        raise invalid(f"Invalid type for '{param}': expected {expected}.", param=param, code="invalid_type")
    if (value <= low if low_excluded else value < low) or value > high:
        bound = f"{'above' if low_excluded else 'at least'} {low:g}" + (
            f" and at most {high:g}" if high < math.inf else ""
        )
        raise invalid(
            f"Invalid '{param}': {value} is out of range; expected {bound}.", param=param, code="invalid_value"
        )


def _fine_tune_file(request: Request, file_id: Any, param: str) -> dict[str, Any]:
    """The file object of an uploaded ``fine-tune`` file; 400 naming ``param`` otherwise."""
    if not isinstance(file_id, str):
        raise invalid(f"Invalid type for '{param}'.", param=param, code="invalid_type")
    stored = request.state.store(FileStore).files.get(file_id)
    if stored is None:
        raise invalid(f"Invalid '{param}': there is no file {file_id}.", param=param)
    if stored.purpose != "fine-tune":
        raise invalid(
            f"Invalid '{param}': file {file_id} has purpose '{stored.purpose}'; fine-tuning needs 'fine-tune'.",
            param=param,
        )
    return stored.to_api()


def _base(request: Request, model: Any, *, legacy: bool) -> str:
    base = fine_tunable_base(request.state, model, legacy=legacy) if isinstance(model, str) else None
    if base is None:
        choices = (*CHAT_BASES, *COMPLETION_BASES, *(LEGACY_BASES if legacy else ()))
        raise invalid(
            f"Model {model} cannot be fine-tuned: choose one of {', '.join(choices)} or a model fine-tuned here.",
            param="model",
            code="model_not_available",
        )
    return base


def _suffix(value: Any, limit: int) -> str | None:
    if value is not None and not (isinstance(value, str) and len(value) <= limit and SUFFIX.fullmatch(value)):
        raise invalid(
            f"Invalid 'suffix': expected 1 to {limit} characters among letters, digits, '-', '_' and '.'.",
            param="suffix",
        )
    return value


def _integrations(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 5:
        raise invalid("Invalid 'integrations': expected a list of at most 5 integrations.", param="integrations")
    for index, item in enumerate(value):
        item = item if isinstance(item, dict) else {}
        wandb = item.get("wandb")
        if item.get("type") != "wandb" or not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise invalid(
                f"Invalid 'integrations[{index}]': expected type 'wandb' and a wandb.project.",
                param=f"integrations[{index}]",
            )
    return value


def _hyperparameters(given: Any, method: str, param: str) -> dict[str, Any]:
    """The hyperparameters of ``method``: those given, checked, and the others at their default."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise invalid(f"Invalid type for '{param}': expected an object.", param=param, code="invalid_type")
    allowed = METHOD_HYPERPARAMETERS[method]
    for name, value in given.items():
        if name not in allowed:
            raise invalid(f"Unknown parameter: '{param}.{name}'.", param=f"{param}.{name}", code="unknown_parameter")
        if name == "reasoning_effort":
            check_choice(value, f"{param}.{name}", REASONING_EFFORTS)
        else:
            check_number(value, f"{param}.{name}")
    return {name: "default" if name == "reasoning_effort" else "auto" for name in allowed} | given


def _method(body: dict[str, Any], base: str) -> dict[str, Any]:
    """``method`` as a job keeps it; the deprecated top-level ``hyperparameters`` mean supervised."""
    method = body.get("method")
    if method is None:
        hyperparameters = _hyperparameters(body.get("hyperparameters"), "supervised", "hyperparameters")
        return {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    if body.get("hyperparameters") is not None:
        raise invalid(
            "Give hyperparameters under 'method' only, not also in 'hyperparameters'.", param="hyperparameters"
        )
    if not isinstance(method, dict):
        raise invalid("Invalid type for 'method': expected an object.", param="method", code="invalid_type")
    kind = method.get("type")
    if kind is None:
        raise invalid(
            "Missing required parameter: 'method.type'.", param="method.type", code="missing_required_parameter"
        )
    check_choice(kind, "method.type", METHOD_HYPERPARAMETERS)
    if kind != "supervised" and base not in CHAT_BASES:
        raise invalid(f"The {kind} method needs a chat model; {base} is not one.", param="method.type")
    config = method.get(kind) or {}
    if not isinstance(config, dict):
        raise invalid(f"Invalid type for 'method.{kind}': expected an object.", param=f"method.{kind}")
    grader = config.get("grader")
    if kind == "reinforcement" and not (isinstance(grader, dict) and grader.get("type") in GRADERS):
        raise invalid(
            f"'method.reinforcement.grader' must be a grader of type {', '.join(GRADERS)}.",
            param="method.reinforcement.grader",
        )
    hyperparameters = _hyperparameters(config.get("hyperparameters"), kind, f"method.{kind}.hyperparameters")
    return {"type": kind, kind: {**config, "hyperparameters": hyperparameters}}


# -- shapes -----------------------------------------------------------------------------


def _store(request: Request) -> FineTuningStore:
    return request.state.store(FineTuningStore)


def _job(request: Request, *, legacy: bool) -> FineTuneJob:
    param = "fine_tune_id" if legacy else "fine_tuning_job_id"
    job_id = request.path_params[param]
    job = _store(request).get(job_id, legacy=legacy)
    if job is None:
        raise not_found(f"No fine-tuning job {job_id}.", param=param)
    return job


def job_body(job: FineTuneJob) -> dict[str, Any]:
    """A ``fine_tuning.job`` object."""
    hyperparameters = job.hyperparameters
    return {
        "object": "fine_tuning.job",
        "id": job.id,
        "model": job.model,
        "created_at": int(job.created_at),
        "finished_at": job.finished_at,
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": ORGANIZATION_ID,
        "result_files": job.result_files,
        "status": job.status,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "hyperparameters": {name: hyperparameters[name] for name in COMMON_HYPERPARAMETERS},
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "seed": job.seed,
        "estimated_finish": job.estimated_finish,
        "integrations": job.integrations,
        "method": job.method,
        "metadata": job.metadata,
    }


def legacy_events(job: FineTuneJob) -> list[dict[str, Any]]:
    """The 2023 API's events, oldest first: the messages (it had no per-step metrics)."""
    return [
        {"object": "fine-tune-event", "created_at": e["created_at"], "level": e["level"], "message": e["message"]}
        for e in job.events
        if e["type"] == "message"
    ]


def fine_tune_body(state: EmulatorState, job: FineTuneJob, *, events: bool = True) -> dict[str, Any]:
    """A legacy ``fine-tune`` object; its list leaves the events out."""
    hyperparameters = job.hyperparameters
    files = state.store(FileStore).files
    body = {
        "object": "fine-tune",
        "id": job.id,
        "model": job.model,
        "created_at": int(job.created_at),
        "updated_at": int(job.changed_at),
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": ORGANIZATION_ID,
        "status": LEGACY_STATUS.get(job.status, job.status),
        "hyperparams": {
            **{
                name: None if hyperparameters[name] == "auto" else hyperparameters[name]
                for name in COMMON_HYPERPARAMETERS
            },
            **job.legacy_params,
        },
        **job.file_objects,
        "result_files": [files[file_id].to_api() for file_id in job.result_files if file_id in files],
    }
    if events:
        body["events"] = legacy_events(job)
    return body


def checkpoint_body(job: FineTuneJob, checkpoint: dict[str, Any]) -> dict[str, Any]:
    step = checkpoint["step"]
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint["id"],
        "created_at": checkpoint["created_at"],
        "fine_tuned_model_checkpoint": f"{job.fine_tuned_model}:ckpt-step-{step}",
        "step_number": step,
        "metrics": job.step_metrics(step),
        "fine_tuning_job_id": job.id,
    }


# -- current API ------------------------------------------------------------------------


def create_job(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    training = _fine_tune_file(request, require(body, "training_file"), "training_file")
    validation = body.get("validation_file")
    if validation is not None:
        validation = _fine_tune_file(request, validation, "validation_file")["id"]
    base = _base(request, model, legacy=False)
    method = _method(body, base)
    seed = body.get("seed")
    if seed is not None:
        check_number(seed, "seed", auto=False)
    job = _store(request).create(
        legacy=False,
        model=model,
        base=base,
        data_format=data_format(base, method["type"]),
        training_file=training["id"],
        validation_file=validation,
        method=method,
        seed=secrets.randbelow(2**31) if seed is None else seed,
        suffix=_suffix(body.get("suffix"), 64),
        metadata=check_metadata(body.get("metadata")),
        integrations=_integrations(body.get("integrations")),
    )
    return json_response(job_body(job))


def list_jobs(request: Request) -> Response:
    """Newest first; ``metadata[key]=value`` keeps jobs with those pairs, ``metadata=null`` those without."""
    wanted = {
        key[9:-1]: value for key, value in request.query.items() if key.startswith("metadata[") and key[-1] == "]"
    }
    without = request.query.get("metadata") == "null"
    jobs = [
        job_body(job)
        for job in reversed(_store(request).listed(legacy=False))
        if not (without and job.metadata) and all((job.metadata or {}).get(k) == v for k, v in wanted.items())
    ]
    return json_response(paginate(request, jobs, default_limit=20, max_limit=100))


def retrieve_job(request: Request) -> Response:
    return json_response(job_body(_job(request, legacy=False)))


def cancel_job(request: Request) -> Response:
    return json_response(job_body(_cancel(request, legacy=False)))


def list_job_events(request: Request) -> Response:
    with request.state.lock:
        events = list(reversed(_job(request, legacy=False).events))
    return json_response(paginate(request, events, default_limit=20, max_limit=100))


def list_job_checkpoints(request: Request) -> Response:
    """The checkpoints of a succeeded job's last epochs, newest first."""
    job = _job(request, legacy=False)
    shown = job.checkpoints if job.status == "succeeded" else []
    checkpoints = [checkpoint_body(job, checkpoint) for checkpoint in reversed(shown)]
    return json_response(paginate(request, checkpoints, default_limit=10, max_limit=100))


def _cancel(request: Request, *, legacy: bool) -> FineTuneJob:
    job = _job(request, legacy=legacy)
    if not _store(request).cancel(job):
        raise invalid(f"Job {job.id} has already {job.status}; only a job in progress can be cancelled.")
    return job


# -- the 2023 API -----------------------------------------------------------------------


def create_fine_tune(request: Request) -> Response:
    body = request.json()
    training = _fine_tune_file(request, require(body, "training_file"), "training_file")
    validation = body.get("validation_file")
    if validation is not None:
        validation = _fine_tune_file(request, validation, "validation_file")
    model = body.get("model") or "curie"
    base = _base(request, model, legacy=True)
    for name in (
        "n_epochs",
        "batch_size",
        "learning_rate_multiplier",
        "prompt_loss_weight",
        "classification_n_classes",
    ):
        if body.get(name) is not None:
            check_number(body[name], name, auto=False)
    optional(body, "classification_positive_class", str)
    betas = optional(body, "classification_betas", list)
    if betas is not None and any(isinstance(beta, bool) or not isinstance(beta, (int, float)) for beta in betas):
        raise invalid("Invalid 'classification_betas': expected a list of numbers.", param="classification_betas")
    legacy_params: dict[str, Any] = {"prompt_loss_weight": body.get("prompt_loss_weight") or 0.01}
    if optional(body, "compute_classification_metrics", bool):
        if validation is None:
            raise invalid(
                "Classification metrics are computed on a 'validation_file'; give one.", param="validation_file"
            )
        if body.get("classification_n_classes") is None and body.get("classification_positive_class") is None:
            raise invalid(
                "Classification metrics need 'classification_n_classes' or 'classification_positive_class'.",
                param="classification_n_classes",
            )
        names = ("compute_classification_metrics", "classification_n_classes", "classification_positive_class")
        legacy_params |= {name: body.get(name) for name in (*names, "classification_betas")}
    hyperparameters = {
        "n_epochs": body.get("n_epochs") or 4,
        "batch_size": body.get("batch_size") or "auto",
        "learning_rate_multiplier": body.get("learning_rate_multiplier") or "auto",
    }
    job = _store(request).create(
        legacy=True,
        model=model,
        base=base,
        data_format=data_format(base, "supervised"),
        training_file=training["id"],
        validation_file=validation and validation["id"],
        method={"type": "supervised", "supervised": {"hyperparameters": hyperparameters}},
        seed=secrets.randbelow(2**31),
        suffix=_suffix(body.get("suffix"), 40),
        legacy_params=legacy_params,
        file_objects={"training_files": [training], "validation_files": [validation] if validation else []},
    )
    return json_response(fine_tune_body(request.state, job))


def list_fine_tunes(request: Request) -> Response:
    """Every legacy job, oldest first, without events, as the 2023 API listed them."""
    jobs = _store(request).listed(legacy=True)
    return json_response({"object": "list", "data": [fine_tune_body(request.state, job, events=False) for job in jobs]})


def retrieve_fine_tune(request: Request) -> Response:
    return json_response(fine_tune_body(request.state, _job(request, legacy=True)))


def cancel_fine_tune(request: Request) -> Response:
    return json_response(fine_tune_body(request.state, _cancel(request, legacy=True)))


def list_fine_tune_events(request: Request) -> Response:
    """The events so far; with ``stream=true``, server-sent events until the job finishes."""
    job = _job(request, legacy=True)
    stream = request.query.get("stream", "false").lower()
    check_choice(stream, "stream", ["true", "false"])
    if stream == "true":
        return Response(
            content_type="text/event-stream; charset=utf-8",
            stream=_event_stream(_store(request), job),
            headers=[("cache-control", "no-cache")],
        )
    return json_response({"object": "list", "data": legacy_events(job)})


async def _event_stream(store: FineTuningStore, job: FineTuneJob) -> AsyncIterator[bytes]:
    """Each event as it becomes due on the emulator clock, then ``[DONE]`` once the job has finished.

    A disconnected client is not noticed (uvicorn drops what is sent to it), so the
    stream also ends when the emulator is reset and this store is forgotten.
    """
    sent = 0
    while True:
        with store.state.lock:
            if store.state.store(FineTuningStore) is not store:
                return
            store.refresh(job)
            fresh = legacy_events(job)[sent:]
            finished = job.status in TERMINAL
        for event in fresh:
            yield b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"
        sent += len(fresh)
        if finished:
            yield b"data: [DONE]\n\n"
            return
        await asyncio.sleep(STREAM_POLL_SECONDS)


ROUTES = (
    Route("POST", "/fine_tuning/jobs", create_job),
    Route("GET", "/fine_tuning/jobs", list_jobs),
    Route("GET", "/fine_tuning/jobs/{fine_tuning_job_id}", retrieve_job),
    Route("POST", "/fine_tuning/jobs/{fine_tuning_job_id}/cancel", cancel_job),
    Route("GET", "/fine_tuning/jobs/{fine_tuning_job_id}/events", list_job_events),
    Route("GET", "/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", list_job_checkpoints),
    Route("POST", "/fine-tunes", create_fine_tune),
    Route("GET", "/fine-tunes", list_fine_tunes),
    Route("GET", "/fine-tunes/{fine_tune_id}", retrieve_fine_tune),
    Route("POST", "/fine-tunes/{fine_tune_id}/cancel", cancel_fine_tune),
    Route("GET", "/fine-tunes/{fine_tune_id}/events", list_fine_tune_events),
)
