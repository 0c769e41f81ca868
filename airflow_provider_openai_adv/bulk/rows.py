"""The rows of a bulk job: a list, or a JSONL, CSV or Parquet file, a row at a time.

A file is streamed (a local path or an object-storage URI); a list is used as given (it
came from XCom or the DAG file, so it is in memory already). Each row is a mapping of
column to value; a list item that is not a mapping is the row ``{"value": item}``.

Each row has a ``custom_id``, how OpenAI joins a result to its request: the value of
``id_column`` when given (text, unique, at most :data:`MAX_ID_LENGTH` characters), else
``row-<position>`` (0-based). The same input read twice gives the same rows and ids in
the same order — what lets a task resuming on another worker join results to rows
without having kept anything but the input.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
MAX_ID_LENGTH = 512  # custom ids travel in every line and every result; keep them ids, not documents
PARQUET_BATCH = 2_048  # rows read from a Parquet file at a time
_CSV_FIELD_LIMIT = 64 << 20  # one CSV field may be a long document, not an unbounded one


@dataclass(frozen=True)
class Row:
    position: int
    custom_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class RowSource:
    """Where the rows come from and how to read them.

    :param source: a list of rows, or a local path or object-storage URI.
    :param input_format: ``jsonl``, ``csv`` or ``parquet``; by default from the file's suffix.
    :param columns: the columns to keep (Parquet reads only these); all by default.
    :param id_column: the column holding each row's ``custom_id``; the position by default.
    """

    source: Any
    input_format: str | None = None
    columns: Sequence[str] | None = None
    id_column: str | None = None

    def check(self) -> None:
        """Refuse, before anything is read or sent, what cannot be an input."""
        if self.input_format is not None and self.input_format not in FORMATS:
            raise OpenAIValidationError(f"input_format: {self.input_format!r} is not one of {', '.join(FORMATS)}")
        if isinstance(self.source, (list, tuple)):
            if not self.source:
                raise OpenAIValidationError("input: the list of rows is empty")
        elif self.source is None or not str(self.source).strip():
            raise OpenAIValidationError("input: give a list of rows, or a JSONL, CSV or Parquet file")
        else:
            self.format()  # a file we know how to read
        if self.columns is not None and (
            isinstance(self.columns, str) or not all(isinstance(name, str) and name for name in self.columns)
        ):
            raise OpenAIValidationError("columns: expected a list of column names")
        if self.id_column is not None and (not isinstance(self.id_column, str) or not self.id_column):
            raise OpenAIValidationError("id_column: expected a column name")

    def format(self) -> str:
        if self.input_format is not None:
            if self.input_format not in FORMATS:
                raise OpenAIValidationError(f"input_format: {self.input_format!r} is not one of {', '.join(FORMATS)}")
            return self.input_format
        name = str(self.source).lower()
        suffix = next((suffix for suffix in SUFFIXES if name.endswith(suffix)), None)
        if suffix is None:
            raise OpenAIValidationError(
                f"input_format: cannot tell the format of {self.source}; name it (jsonl, csv or parquet)"
            )
        return SUFFIXES[suffix]

    def __iter__(self) -> Iterator[Row]:
        """Every row, in order, with its ``custom_id``."""
        for position, values in enumerate(self._values()):
            if self.columns is not None:
                missing = [name for name in self.columns if name not in values]
                if missing:
                    raise OpenAIValidationError(f"input: row {position} has no column {', '.join(missing)}")
                values = {name: values[name] for name in self.columns}
            yield Row(position, self._custom_id(position, values), values)

    def _custom_id(self, position: int, values: dict[str, Any]) -> str:
        if self.id_column is None:
            return f"row-{position}"
        if self.id_column not in values:
            raise OpenAIValidationError(f"id_column: row {position} has no column {self.id_column!r}")
        value = values[self.id_column]
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
            raise OpenAIValidationError(f"id_column: row {position} has no usable id ({value!r})")
        if len(str(value)) > MAX_ID_LENGTH:
            raise OpenAIValidationError(f"id_column: row {position}'s id is over {MAX_ID_LENGTH} characters")
        return str(value)

    def _values(self) -> Iterator[dict[str, Any]]:
        if isinstance(self.source, (list, tuple)):
            yield from (item if isinstance(item, dict) else {"value": item} for item in self.source)
            return
        from airflow_provider_openai_adv.hooks.storage import open_source

        reader = {"jsonl": _jsonl, "csv": _csv, "parquet": self._parquet}[self.format()]
        with open_source(self.source, argument="input") as handle:
            yield from reader(handle)

    def _parquet(self, handle: Any) -> Iterator[dict[str, Any]]:
        require_pyarrow("input")
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, columns=list(self.columns or []) or None):
                yield from batch.to_pylist()
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
            raise OpenAIValidationError(f"input: {self.source} is not a readable Parquet file: {error}") from None


class UniqueIds:
    """The ``custom_id`` of every row seen so far, in SQLite on disk (flat memory whatever the
    row count): a row whose id was seen before is refused, naming ``id_column``."""

    def __init__(self, folder: Path) -> None:
        self.db = sqlite3.connect(folder / "custom_ids.sqlite")
        self.db.execute("create table if not exists id (custom_id text primary key)")

    def add(self, row: Row) -> None:
        try:
            self.db.execute("insert into id values (?)", (row.custom_id,))
        except sqlite3.IntegrityError:
            raise OpenAIValidationError(f"id_column: row {row.position}'s id {row.custom_id!r} is used twice") from None

    def close(self) -> None:
        self.db.close()


def require_pyarrow(argument: str) -> None:
    """Parquet is optional: refuse it up front, naming the argument, when pyarrow is absent."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise OpenAIValidationError(
            f"{argument}: Parquet needs pyarrow (pip install 'airflow-provider-openai-adv[parquet]')"
        ) from None


def _jsonl(handle: Any) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            value = loads(line)
        except UnsafeJSONError as problem:
            raise OpenAIValidationError(f"input: line {number}: {problem}") from None
        if not isinstance(value, dict):
            raise OpenAIValidationError(f"input: line {number}: expected a JSON object, got {type(value).__name__}")
        yield value


def _csv(handle: Any) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    try:
        yield from (dict(row) for row in csv.DictReader(text))
    except (csv.Error, UnicodeDecodeError) as error:
        raise OpenAIValidationError(f"input: not a readable CSV file: {error}") from None
    finally:
        text.detach()  # the handle is the caller's to close
