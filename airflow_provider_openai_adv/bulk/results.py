"""Results out: each result found by its row's ``custom_id``, written in the rows' order.

Results arrive in any order (a batch's output and error files; concurrent direct
requests), possibly more than once for a row (a resubmission replaces an expired line).
:class:`ResultIndex` keeps, in SQLite on disk, where each ``custom_id``'s latest result
line is; :class:`ResultWriter` then walks the input rows in order and writes one record
per row — its columns, ``custom_id``, ``status``, ``response`` and ``error`` — to JSONL
or Parquet, locally or in object storage. Memory stays flat whatever the row count.

A result line is in the Batch API's output shape, which direct requests write too::

    {"custom_id": "row-0", "response": {"status_code": 200, "body": {...}}, "error": null}
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from airflow_provider_openai_adv.bulk.rows import Row, require_pyarrow
from airflow_provider_openai_adv.exceptions import InvalidResponseError, OpenAIValidationError
from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads

SUCCEEDED, FAILED, EXPIRED, CANCELLED, MISSING = "succeeded", "failed", "expired", "cancelled", "missing"
OUTPUT_FORMATS = ("jsonl", "parquet")
PARQUET_ROWS = 5_000  # records per Parquet row group
_NOT_RUN = {"batch_expired": EXPIRED, "batch_cancelled": CANCELLED}


@dataclass(frozen=True)
class Result:
    status: str
    response: Any = None  # the answer's body, when the request succeeded
    error: Any = None  # OpenAI's error object (or the batch's), when it did not
    parsed: Any = None  # the answer's validated value, when a schema was asked for

    @classmethod
    def of(cls, line: dict[str, Any]) -> Result:
        """A result line, read as hostile input: whatever its shape, a :class:`Result`."""
        response = line.get("response") if isinstance(line.get("response"), dict) else {}
        status_code, body = response.get("status_code"), response.get("body")
        if isinstance(status_code, int) and 200 <= status_code < 300:
            return cls(SUCCEEDED, body)
        error = line.get("error") if isinstance(line.get("error"), dict) else None
        if error is not None and error.get("code") in _NOT_RUN:
            return cls(_NOT_RUN[error["code"]], error=error)
        body_error = body.get("error") if isinstance(body, dict) else None
        return cls(FAILED, error=error or body_error or {"message": f"status {status_code}", "body": body})


class ResultIndex:
    """Where each ``custom_id``'s latest result line is, across result files (SQLite on disk)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []
        self.db = sqlite3.connect(folder / "results.sqlite")
        self.db.execute("create table if not exists result (custom_id text primary key, file int, start int, size int)")

    def add(self, path: Path) -> int:
        """Index a JSONL file of result lines (a later file's line wins); how many lines it held."""
        number = len(self.files)
        self.files.append(path)
        count = 0
        with path.open("rb") as handle, self.db:
            start = 0
            for line in handle:
                custom_id = _custom_id(line, path, count + 1)
                if custom_id is not None:
                    self.db.execute(
                        "insert or replace into result values (?, ?, ?, ?)", (custom_id, number, start, len(line))
                    )
                    count += 1
                start += len(line)
        return count

    def __len__(self) -> int:
        return self.db.execute("select count(*) from result").fetchone()[0]

    def __contains__(self, custom_id: object) -> bool:
        return self.db.execute("select 1 from result where custom_id = ?", (custom_id,)).fetchone() is not None

    def get(self, custom_id: str) -> Result | None:
        found = self.db.execute("select file, start, size from result where custom_id = ?", (custom_id,)).fetchone()
        if found is None:
            return None
        number, start, size = found
        with self.files[number].open("rb") as handle:
            handle.seek(start)
            return Result.of(loads(handle.read(size)))

    def close(self) -> None:
        self.db.close()


def _custom_id(line: bytes, path: Path, number: int) -> str | None:
    if not line.strip():
        return None
    try:
        value = loads(line)
    except UnsafeJSONError as problem:
        raise InvalidResponseError(f"{path.name} line {number} is {problem}") from None
    custom_id = value.get("custom_id") if isinstance(value, dict) else None
    if not isinstance(custom_id, str):
        raise InvalidResponseError(f"{path.name} line {number} has no custom_id")
    return custom_id


@dataclass
class Summary:
    """What XCom holds of a bulk job: where the results are, how they went, the tokens spent."""

    path: str = ""
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((SUCCEEDED, FAILED, EXPIRED), 0))
    usage: dict[str, int] = field(default_factory=dict)
    sample_errors: list[str] = field(default_factory=list)

    def count(self, row: Row, result: Result) -> None:
        self.total += 1
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        if result.status == SUCCEEDED and isinstance(result.response, dict):
            _add_usage(self.usage, result.response.get("usage"))
        elif result.status != SUCCEEDED and len(self.sample_errors) < 5:
            self.sample_errors.append(f"{row.custom_id}: {_error_text(result.error)}")

    def to_xcom(self) -> dict[str, Any]:
        return {"path": self.path, "total": self.total, **self.counts, "usage": self.usage}


def _add_usage(total: dict[str, int], usage: Any) -> None:
    if isinstance(usage, dict):
        for key, value in usage.items():
            if isinstance(value, int) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)[:300]
    return str(error)[:300]


class ResultWriter:
    """Writes one record per row, in the order given, to JSONL or Parquet.

    The file is written in a local staging folder and moved (or, for object storage,
    copied) to ``destination`` only when complete: a failed task leaves no partial output.
    """

    def __init__(
        self, destination: Any, output_format: str | None = None, parse: Callable[[Any], Any] | None = None
    ) -> None:
        self.destination = destination
        self.parse = parse
        self.format = output_format or format_of(destination)
        self.staging = Path(tempfile.mkdtemp(prefix="openai-adv-results-"))
        self.local = self.staging / "results"
        self.summary = Summary(path=str(destination))
        self._records: list[dict[str, Any]] = []
        self._handle: Any = None
        self._parquet: Any = None

    def __enter__(self) -> ResultWriter:
        if self.format == "jsonl":
            self._handle = self.local.open("w", encoding="utf-8")
        return self

    def write(self, row: Row, result: Result) -> None:
        if self.parse is not None:
            result = _parsed(result, self.parse)
        self.summary.count(row, result)
        record = {**row.values, "custom_id": row.custom_id, "status": result.status}
        parts = {"response": result.response, "error": result.error}
        if self.parse is not None:
            parts["parsed"] = result.parsed
        if self.format == "jsonl":
            record.update(parts)
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        record.update({name: _json_or_none(value) for name, value in parts.items()})
        self._records.append(record)
        if len(self._records) >= PARQUET_ROWS:
            self._flush_parquet()

    def __exit__(self, error_type: Any, *rest: Any) -> None:
        try:
            if self.format == "parquet":
                self._flush_parquet()
                if self._parquet is not None:
                    self._parquet.close()
            elif self._handle is not None:
                self._handle.close()
            if error_type is None:
                _publish(self.local, self.destination)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _flush_parquet(self) -> None:
        if not self._records:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            table = pa.Table.from_pylist(self._records)
            self._parquet = pq.ParquetWriter(self.local, table.schema)
        else:
            table = pa.Table.from_pylist(self._records, schema=self._parquet.schema)
        self._parquet.write_table(table)
        self._records = []


def _parsed(result: Result, parse: Callable[[Any], Any]) -> Result:
    """A succeeded result with its validated value, or failed when the answer does not fit."""
    from airflow_provider_openai_adv.structured import StructuredOutputError

    if result.status != SUCCEEDED:
        return result
    try:
        return replace(result, parsed=parse(result.response))
    except StructuredOutputError as error:
        problem = {"type": "structured_output", "message": str(error), "field": error.field}
        return Result(FAILED, response=result.response, error=problem)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def check_output(destination: Any, output_format: str | None) -> str:
    """The output's format, from ``output_format`` or the destination's suffix; refused
    before any request when it is unknown or needs a library that is absent."""
    from airflow_provider_openai_adv.validation import require_choice

    require_choice("output_format", output_format, OUTPUT_FORMATS)
    chosen = output_format or format_of(destination)
    if chosen == "parquet":
        require_pyarrow("output_format" if output_format else "output_path")
    return chosen


def format_of(destination: Any) -> str:
    name = str(destination).lower()
    for suffix, output_format in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return output_format
    raise OpenAIValidationError(
        f"output_path: cannot tell the format of {destination}; end it in .jsonl or .parquet, or name output_format"
    )


def _publish(local: Path, destination: Any) -> None:
    """Move the finished file into place: renamed locally, streamed to object storage."""
    from airflow_provider_openai_adv.client.staging import partial_path
    from airflow_provider_openai_adv.hooks.storage import is_remote, local_path, storage_path

    if is_remote(destination):
        with local.open("rb") as source, storage_path(destination).open("wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        return
    target = local_path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    shutil.move(str(local), partial)
    os.replace(partial, target)


def results_in_order(rows: Iterator[Row], index: ResultIndex) -> Iterator[tuple[Row, Result]]:
    """Each row with its result (``missing`` when no result line names its ``custom_id``)."""
    for row in rows:
        yield row, index.get(row.custom_id) or Result(MISSING, error={"message": "no result for this row"})
