"""Fine-tuning jobs as the wait engine sees them: today's ``/fine_tuning/jobs`` and the
2023 ``/fine-tunes``, their statuses, and their progress as task-log lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from airflow_provider_openai_adv.jobs.kinds import JobKind, JobState

METRIC_NAMES = ("train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy")
REATTACH_TAG = "airflow_task"  # metadata key marking who started a job, so a retry finds it
STATUSES = {"succeeded": JobState.SUCCEEDED, "failed": JobState.FAILED, "cancelled": JobState.CANCELLED}


def job_line(kind: JobKind, job: dict[str, Any]) -> str:
    """Status, trained tokens and the estimated finish, when the API gives them."""
    parts = [f"{kind.noun} {job.get('id')} is {job.get('status')}"]
    if isinstance(job.get("trained_tokens"), int) and job["trained_tokens"]:
        parts.append(f"{job['trained_tokens']} tokens trained")
    finish = job.get("estimated_finish")
    if isinstance(finish, (int, float)) and not isinstance(finish, bool) and 0 < finish < 1e11:
        parts.append(f"estimated finish {datetime.fromtimestamp(finish, timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return ", ".join(parts)


def event_line(event: dict[str, Any]) -> str:
    """One event as a log line; metrics events as step, progress and losses."""
    data = event.get("data")
    if event.get("type") == "metrics" and isinstance(data, dict) and _number(data.get("step")):
        step, total = data["step"], data.get("total_steps")
        progress = f"/{total} ({100 * float(step) / float(total):.0f}%)" if _number(total) and total > 0 else ""
        metrics = ", ".join(f"{name}={float(data[name]):.4g}" for name in METRIC_NAMES if _number(data.get(name)))
        return f"step {step}{progress}" + (f": {metrics}" if metrics else "")
    return str(event.get("message") or event.get("type") or "event")


def _number(value: Any) -> bool:
    """A JSON number that can be computed with as a float: JSON integers have no bound, and
    ``10**400`` as a step would raise ``OverflowError`` in arithmetic or formatting."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


FINE_TUNE = JobKind(
    name="fine_tune",
    noun="fine-tuning job",
    id_name="fine_tune_id",
    retrieve="fine_tuning/jobs/{fine_tune_id}",
    cancel="fine_tuning/jobs/{fine_tune_id}/cancel",
    events="fine_tuning/jobs/{fine_tune_id}/events",
    statuses=STATUSES,
    result_field="fine_tuned_model",
    dashboard="https://platform.openai.com/finetune/{id}",
    job_line=job_line,
    event_line=event_line,
)

LEGACY_FINE_TUNE = replace(
    FINE_TUNE,
    name="legacy_fine_tune",
    retrieve="fine-tunes/{fine_tune_id}",
    cancel="fine-tunes/{fine_tune_id}/cancel",
    events="fine-tunes/{fine_tune_id}/events",
    events_newest_first=False,  # the 2023 API listed events oldest first, in one page
    events_paginated=False,
    dashboard=None,
)

KINDS = {kind.name: kind for kind in (FINE_TUNE, LEGACY_FINE_TUNE)}
