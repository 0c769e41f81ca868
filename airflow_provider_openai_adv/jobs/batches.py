"""Batches as the wait engine sees them: ``/batches``, their statuses, and their progress.

A batch has no event list; what moves is its ``request_counts``, so its status line is
the counts (and how many requests a minute finish, once some have), logged when they
change. ``completed`` is the only status that produced results for every line it ran —
whether enough of them succeeded is the batch operator's call, not the engine's.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.jobs.kinds import JobKind, JobState

STATUSES = {
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
    "expired": JobState.EXPIRED,
}
REATTACH_TAG = "airflow_task"  # metadata key marking who created a batch, so a retry finds it


def job_line(kind: JobKind, job: dict[str, Any]) -> str:
    """Status and request counts: ``batch b is in_progress: 1200/5000 done, 3 failed``."""
    line = f"{kind.noun} {job.get('id')} is {job.get('status')}"
    counts = job.get("request_counts")
    if isinstance(counts, dict) and all(_count(counts.get(key)) for key in ("total", "completed", "failed")):
        done = counts["completed"] + counts["failed"]
        line += f": {done}/{counts['total']} done, {counts['failed']} failed"
    return line


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def errors_of(batch: dict[str, Any], limit: int = 5) -> list[str]:
    """OpenAI's validation errors of a failed batch, as lines (``line 3: message (code)``)."""
    errors = batch.get("errors")
    entries = errors.get("data") if isinstance(errors, dict) else None
    lines = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        where = f"line {entry['line']}: " if isinstance(entry.get("line"), int) else ""
        code = f" ({entry['code']})" if entry.get("code") else ""
        lines.append(f"{where}{entry.get('message') or 'error'}{code}")
        if len(lines) == limit:
            break
    return lines


def failure_line(kind: JobKind, batch: dict[str, Any]) -> str:
    """Why a batch did not succeed: its status, and OpenAI's validation errors if any."""
    reason = f"{kind.noun} {batch.get('id')} {batch.get('status', 'unknown')}"
    errors = errors_of(batch)
    return f"{reason}: {'; '.join(errors)}" if errors else reason


BATCH = JobKind(
    name="batch",
    noun="batch",
    id_name="batch_id",
    retrieve="batches/{batch_id}",
    cancel="batches/{batch_id}/cancel",
    statuses=STATUSES,
    result_field="output_file_id",
    dashboard="https://platform.openai.com/batches/{id}",
    job_line=job_line,
    failure_line=failure_line,
)

KINDS = {BATCH.name: BATCH}
