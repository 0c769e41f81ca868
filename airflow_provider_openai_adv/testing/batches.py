"""Batches: a store and a state machine on the emulator clock that runs each line through the API's handlers.

A batch walks ``validating → in_progress → finalizing → completed``, or ends ``failed``
(its input file is not a valid batch), ``expired`` (its 24-hour window closed before
every line ran) or ``cancelling → cancelled``. As with fine-tuning jobs nothing runs in
the background: reading a batch replays what the clock has reached since — the check
of its input, each line due (one every ``per_request`` seconds, in file order), the
status changes.

Each line is answered by the handler that serves its ``url`` (``state.internal_api``),
so it gets the answer a direct request gets, unless a fault aimed at batch lines
answers it. Answers are appended to the batch's output or error file as lines run, and
the input is read on from where the last run stopped: memory stays flat whatever the
batch's size. The files join the files store when the batch ends.

Routes and shapes: ``routes/batches.py``.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing.files import FileStore, StoredFile
from airflow_provider_openai_adv.testing.http import invalid
from airflow_provider_openai_adv.testing.state import Store

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.state import EmulatorState

# The limits ``CreateBatchRequest`` states in words.
MAX_REQUESTS = 50_000  # input_file_id: "The file can contain up to 50,000 requests"
MAX_INPUT_BYTES = 200 * 1024 * 1024  # input_file_id: "and can be up to 200 MB in size"
MAX_EMBEDDING_INPUTS = 50_000  # endpoint: "a maximum of 50,000 embedding inputs across all requests"
COMPLETION_WINDOW_SECONDS = 24 * 3600  # completion_window: "Currently only `24h` is supported"
MAX_REPORTED_ERRORS = 100  # the emulator's choice: a batch lists the first 100 problems of its input

TERMINAL = ("completed", "failed", "expired", "cancelled")
NOT_RUN = {  # why a line never ran, as OpenAI words it in the error file
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "cancelled": ("batch_cancelled", "This request was not executed because the batch was cancelled."),
}


@dataclass(frozen=True)
class BatchTimings:
    """Seconds of emulator clock a batch spends validating, per line, finalizing and cancelling."""

    validating: float = 1.0
    per_request: float = 0.01
    finalizing: float = 1.0
    cancelling: float = 1.0


@dataclass
class Batch:
    id: str
    endpoint: str
    input_file_id: str
    input_path: Path  # the input's bytes as they were at creation (deleting the file later changes nothing)
    created_at: float
    timings: BatchTimings
    metadata: dict[str, str] | None
    output_expires_after: int | None  # seconds after their creation that the output and error files expire
    status: str = "validating"
    changed_at: float = 0.0  # when the batch entered its status
    stamps: dict[str, int] = field(default_factory=dict)  # in_progress_at, finalizing_at...: set as statuses change
    model: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    done: int = 0  # lines run, in file order
    completed: int = 0
    failed: int = 0
    offset: int = 0  # where the next line to run starts in the input
    started_at: float = 0.0  # when the lines started running
    usage: dict[str, int] = field(
        default_factory=lambda: {"input_tokens": 0, "cached_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0}
    )
    output_file_id: str | None = None
    error_file_id: str | None = None

    @property
    def expires_at(self) -> float:
        return self.created_at + COMPLETION_WINDOW_SECONDS

    def result_path(self, kind: str) -> Path:
        """Where the ``output`` or ``error`` file is written while the batch runs."""
        return self.input_path.with_name(f"{self.id}_{kind}.jsonl")

    def line_due(self, index: int) -> float:
        """When line ``index`` (from 0) has run."""
        return self.started_at + (index + 1) * self.timings.per_request


class BatchStore(Store):
    """The emulator's batches, in creation order; get it with ``state.store(BatchStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.timings = BatchTimings()  # batches keep the timings they were created with
        self.batches: dict[str, Batch] = {}

    def create(
        self,
        *,
        input_file: StoredFile,
        endpoint: str,
        metadata: dict[str, str] | None,
        output_expires_after: int | None,
    ) -> Batch:
        with self.state.lock:
            batch_id = new_batch_id("batch")
            input_path = self.state.storage_dir / f"{batch_id}_input.jsonl"
            try:  # the same bytes under a second name: the input survives its file's deletion
                os.link(input_file.path, input_path)
            except OSError:
                shutil.copyfile(input_file.path, input_path)
            now = self.state.clock.now()
            batch = Batch(
                id=batch_id,
                endpoint=endpoint,
                input_file_id=input_file.id,
                input_path=input_path,
                created_at=now,
                changed_at=now,
                timings=self.timings,
                metadata=metadata,
                output_expires_after=output_expires_after,
            )
            self.batches[batch.id] = batch
            return batch

    def get(self, batch_id: str) -> Batch | None:
        with self.state.lock:
            batch = self.batches.get(batch_id)
            if batch is not None:
                self.refresh(batch)
            return batch

    def listed(self) -> list[Batch]:
        """Every batch, oldest first, brought up to the clock."""
        with self.state.lock:
            for batch in self.batches.values():
                self.refresh(batch)
            return list(self.batches.values())

    def cancel(self, batch: Batch) -> bool:
        """Start cancelling ``batch`` unless it has ended; whether it is (now) cancelling."""
        with self.state.lock:
            self.refresh(batch)
            if batch.status in TERMINAL:
                return False
            if batch.status != "cancelling":
                _stamp(batch, "cancelling", self.state.clock.now())
            return True

    def refresh(self, batch: Batch) -> None:
        """Replay every check, line and status change the emulator clock has reached (``state.lock`` held)."""
        now = self.state.clock.now()
        while batch.status not in TERMINAL:
            if batch.status == "in_progress":
                self._run_lines(batch, min(now, batch.expires_at))
                if batch.done == batch.total:
                    _stamp(batch, "finalizing", batch.line_due(batch.total - 1))
                elif now >= batch.expires_at:
                    self._end(batch, max(batch.expires_at, batch.started_at), "expired")
                else:
                    return
                continue
            waits = {"validating": batch.timings.validating, "finalizing": batch.timings.finalizing}
            due = batch.changed_at + waits.get(batch.status, batch.timings.cancelling)
            if now < due:
                return
            if batch.status == "validating":
                self._validate(batch, due)
            else:
                self._end(batch, due, "completed" if batch.status == "finalizing" else "cancelled")

    def discard(self) -> None:
        for batch in self.batches.values():
            for path in (batch.input_path, batch.result_path("output"), batch.result_path("error")):
                path.unlink(missing_ok=True)

    # -- the steps ---------------------------------------------------------------------

    def _validate(self, batch: Batch, at: float) -> None:
        check = check_input(batch.input_path, batch.endpoint)
        if check.errors:
            batch.errors = check.errors
            _stamp(batch, "failed", at)
            return
        batch.total, batch.model = check.requests, check.model
        batch.started_at = at
        _stamp(batch, "in_progress", at)

    def _run_lines(self, batch: Batch, until: float) -> None:
        """Run, in file order, every line due by ``until``."""
        per_request = batch.timings.per_request
        due = batch.total if per_request <= 0 else math.floor((until - batch.started_at) / per_request + 1e-9)
        count = min(batch.total, due) - batch.done
        if count <= 0:
            return
        with batch.input_path.open("rb") as source, _Results(batch) as results:
            source.seek(batch.offset)
            for line in _request_lines(source, count):
                self._run_line(batch, line, results)
            batch.offset = source.tell()

    def _run_line(self, batch: Batch, line: dict[str, Any], results: _Results) -> None:
        body = line["body"]
        if body.get("stream"):
            answer = invalid("Streaming is not supported in batch requests.", param="stream").response()
        else:
            api = self.state.internal_api
            assert api is not None, "batches run on an emulator app's state"
            answer = api.answer_batch_line(batch.endpoint, json.dumps(body).encode(), line["custom_id"])
        batch.done += 1
        answer_body = json.loads(answer.body)
        response = {"status_code": answer.status, "request_id": "req_" + secrets.token_hex(16), "body": answer_body}
        if answer.status < 400:
            batch.completed += 1
            _add_usage(batch.usage, answer_body.get("usage") or {})
            results.write("output", line["custom_id"], response, None)
        else:
            batch.failed += 1
            results.write("error", line["custom_id"], response, None)

    def _end(self, batch: Batch, at: float, status: str) -> None:
        """End ``batch``: lines never run go to the error file (expired, cancelled), the files to the store."""
        if status in NOT_RUN and batch.done < batch.total:
            code, message = NOT_RUN[status]
            with batch.input_path.open("rb") as source, _Results(batch) as results:
                source.seek(batch.offset)
                for line in _request_lines(source, batch.total - batch.done):
                    results.write("error", line["custom_id"], None, {"code": code, "message": message})
        batch.output_file_id = self._keep(batch, "output")
        batch.error_file_id = self._keep(batch, "error")
        _stamp(batch, status, at)

    def _keep(self, batch: Batch, kind: str) -> str | None:
        """Add the ``output`` or ``error`` file to the files store, if the batch wrote one."""
        path = batch.result_path(kind)
        if not path.exists():
            return None
        expires_at = self.state.now() + batch.output_expires_after if batch.output_expires_after else None
        stored = self.state.store(FileStore).add(
            filename=path.name, purpose="batch_output", path=path, size=path.stat().st_size, expires_at=expires_at
        )
        return stored.id


def _stamp(batch: Batch, status: str, at: float) -> None:
    batch.status, batch.changed_at = status, at
    batch.stamps[f"{status}_at"] = int(at)


def _add_usage(total: dict[str, int], usage: dict[str, Any]) -> None:
    """Add a line's usage, in the chat and completions shape (``prompt_tokens``...) or the Responses one."""
    input_details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    output_details = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    total["input_tokens"] += usage.get("prompt_tokens", usage.get("input_tokens", 0))
    total["output_tokens"] += usage.get("completion_tokens", usage.get("output_tokens", 0))
    total["cached_tokens"] += input_details.get("cached_tokens", 0)
    total["reasoning_tokens"] += output_details.get("reasoning_tokens", 0)


class _Results:
    """Appends lines to a batch's output and error files, opening each on its first line."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.handles: dict[str, IO[bytes]] = {}

    def write(self, kind: str, custom_id: str, response: dict[str, Any] | None, error: dict[str, str] | None) -> None:
        handle = self.handles.get(kind)
        if handle is None:
            handle = self.handles[kind] = self.batch.result_path(kind).open("ab")
        record = {"id": new_batch_id("batch_req"), "custom_id": custom_id, "response": response, "error": error}
        handle.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")

    def __enter__(self) -> _Results:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for handle in self.handles.values():
            handle.close()


def _request_lines(source: IO[bytes], count: int) -> Iterator[dict[str, Any]]:
    """The next ``count`` requests of a checked input, read a line at a time."""
    while count > 0:
        raw = source.readline()
        if not raw:
            return
        if raw.strip():
            count -= 1
            yield json.loads(raw)


# -- checking the input ------------------------------------------------------------------


@dataclass
class InputCheck:
    requests: int = 0
    model: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, code: str, message: str, *, line: int | None = None, param: str | None = None) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"code": code, "message": message, "param": param, "line": line})


def check_input(path: Path, endpoint: str) -> InputCheck:
    """Check a batch's input a line at a time: each line a request for ``endpoint``, and the file's limits."""
    check = InputCheck()
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        check.problem("file_too_large", f"The input file has {size} bytes; a batch's input can be up to 200 MB.")
        return check
    seen: set[str] = set()
    embedding_inputs = 0
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            check.requests += 1
            if check.requests > MAX_REQUESTS:
                check.problem("too_many_requests", f"The input file has more than {MAX_REQUESTS} requests.")
                return check
            request = _check_line(check, raw, number, endpoint, seen)
            if request is None:
                continue
            check.model = check.model or _text(request["body"].get("model"))
            if endpoint == "/v1/embeddings":
                embedding_inputs += _embedding_inputs(request["body"].get("input"))
    if check.requests == 0:
        check.problem("empty_file", "The input file has no requests.")
    elif embedding_inputs > MAX_EMBEDDING_INPUTS:
        check.problem(
            "too_many_embedding_inputs",
            f"The requests hold {embedding_inputs} embedding inputs; a batch can hold {MAX_EMBEDDING_INPUTS}.",
        )
    return check


def _check_line(check: InputCheck, raw: bytes, number: int, endpoint: str, seen: set[str]) -> dict[str, Any] | None:
    """The line's request, or ``None`` after noting why it is not one."""
    try:
        request = json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        request = None
    if not isinstance(request, dict):
        check.problem("invalid_json_line", "This line is not parseable as valid JSON.", line=number)
        return None
    for name, kind in (("custom_id", str), ("method", str), ("url", str), ("body", dict)):
        if request.get(name) is None:
            check.problem(
                "missing_required_parameter", f"Missing required parameter: '{name}'.", line=number, param=name
            )
            return None
        if not isinstance(request[name], kind):
            expected = "an object" if kind is dict else "a string"
            check.problem("invalid_type", f"'{name}' must be {expected}.", line=number, param=name)
            return None
    if request["method"] != "POST":
        check.problem("invalid_method", "Only the POST method is supported.", line=number, param="method")
    elif request["url"] != endpoint:
        message = f"The url '{request['url']}' does not match the batch's endpoint '{endpoint}'."
        check.problem("mismatched_url", message, line=number, param="url")
    elif request["custom_id"] in seen:
        message = f"The custom_id '{request['custom_id']}' is used by an earlier line; each must be unique."
        check.problem("duplicate_custom_id", message, line=number, param="custom_id")
    else:
        seen.add(request["custom_id"])
        return request
    return None


def _embedding_inputs(value: Any) -> int:
    """How many inputs an embeddings request holds: a text or a token array is one."""
    if isinstance(value, list) and value and not all(isinstance(item, int) for item in value):
        return len(value)
    return 1


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def new_batch_id(prefix: str) -> str:
    """``batch_…`` and ``batch_req_…``: OpenAI joins these with an underscore."""
    return f"{prefix}_{secrets.token_hex(16)}"


def set_timings(state: EmulatorState, **seconds: float) -> BatchTimings:
    """Change how long new batches validate, take per line, finalize and cancel; ``reset()`` restores the defaults."""
    store = state.store(BatchStore)
    store.timings = replace(store.timings, **seconds)
    return store.timings
