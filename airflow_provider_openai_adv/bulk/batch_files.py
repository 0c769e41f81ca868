"""Rows into Batch API input files, each within OpenAI's limits; results files back into an index.

A batch takes one JSONL file of at most 50,000 requests and 200 MB, and an embeddings
batch at most 50,000 inputs across its requests (``validation.BATCH_*``, from OpenAI's
spec). :func:`build_parts` writes the rows' request lines into as many such files as it
takes, in input order, checking that every ``custom_id`` is unique (in SQLite on disk,
so a million rows cost no memory). Each part is one batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_openai_adv.bulk.rows import Row, UniqueIds
from airflow_provider_openai_adv.bulk.template import RequestTemplate
from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.validation import BATCH_EMBEDDING_INPUTS, BATCH_FILE_BYTES, BATCH_REQUESTS


@dataclass(frozen=True)
class Limits:
    """How much one batch's input file may hold (OpenAI's limits by default; lower ones for tests)."""

    requests: int = BATCH_REQUESTS
    bytes: int = BATCH_FILE_BYTES
    embedding_inputs: int = BATCH_EMBEDDING_INPUTS

    def check(self) -> None:
        for name, most in (("requests", BATCH_REQUESTS), ("bytes", BATCH_FILE_BYTES)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
                raise OpenAIValidationError(f"max_{name}_per_batch: expected 1 to {most}, got {value!r}")


@dataclass
class Part:
    """One batch's input file."""

    number: int
    path: Path
    requests: int = 0
    bytes: int = 0
    embedding_inputs: int = 0


def build_parts(
    rows: Iterable[Row],
    template: RequestTemplate,
    folder: Path,
    limits: Limits = Limits(),
    *,
    keep: Callable[[Row], bool] = lambda row: True,
) -> list[Part]:
    """Write the request lines of the rows ``keep`` selects into part files in ``folder``."""
    seen = UniqueIds(folder)
    parts: list[Part] = []
    handle: Any = None
    try:
        for row in rows:
            seen.add(row)
            if not keep(row):
                continue
            request = template.line(row.custom_id, row.values)
            line = (json.dumps(request, ensure_ascii=False) + "\n").encode()
            inputs = _embedding_inputs(template, request["body"])
            if len(line) > limits.bytes:
                raise OpenAIValidationError(
                    f"input: row {row.position}'s request is over the {limits.bytes} bytes of a batch file"
                )
            if not parts or _full(parts[-1], line, inputs, limits):
                if handle is not None:
                    handle.close()
                parts.append(Part(len(parts), folder / f"part-{len(parts):04d}.jsonl"))
                handle = parts[-1].path.open("wb")
            handle.write(line)
            _add(parts[-1], line, inputs)
    finally:
        if handle is not None:
            handle.close()
        seen.close()
    return parts


def _add(part: Part, line: bytes, inputs: int) -> None:
    part.requests += 1
    part.bytes += len(line)
    part.embedding_inputs += inputs


def _full(part: Part, line: bytes, inputs: int, limits: Limits) -> bool:
    return (
        part.requests + 1 > limits.requests
        or part.bytes + len(line) > limits.bytes
        or part.embedding_inputs + inputs > limits.embedding_inputs
    )


def _embedding_inputs(template: RequestTemplate, body: dict[str, Any]) -> int:
    """How many inputs an embeddings request holds (a list of texts or token arrays, or one)."""
    if template.endpoint != "/v1/embeddings":
        return 0
    given = body.get("input")
    return len(given) if isinstance(given, list) and given and not isinstance(given[0], int) else 1
