"""One model of a fine-tuning job's status, read by the operator, the sensor and the trigger.

The job's own ``status`` (``validating_files``, ``running``, ``succeeded``…, and the 2023
API's ``pending``) says whether waiting is over; an :class:`Outcome` says how a wait
ended, and is what a trigger event carries. Anything but ``SUCCESS`` is a failure,
reported with its reason — a cancelled job is never mistaken for a finished one.
No Airflow import here.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIAdvError


class FineTuneStatus(str, Enum):
    VALIDATING_FILES = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    PENDING = "pending"  # the 2023 API's "not started yet"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def of(cls, job: dict[str, Any]) -> FineTuneStatus | None:
        """The job's status; ``None`` for one this version does not know (treated as still going)."""
        try:
            return cls(job.get("status"))
        except ValueError:
            return None

    @property
    def is_terminal(self) -> bool:
        return self in (FineTuneStatus.SUCCEEDED, FineTuneStatus.FAILED, FineTuneStatus.CANCELLED)

    @property
    def is_success(self) -> bool:
        return self is FineTuneStatus.SUCCEEDED


class Outcome(str, Enum):
    """How waiting for a job ended."""

    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    ERROR = "error"  # the job could not be read (after the client's retries)


class FineTuneFailed(OpenAIAdvError):
    """A fine-tuning job did not succeed: it failed, was cancelled, or the wait timed out."""

    def __init__(self, message: str, *, outcome: Outcome, fine_tune_id: str | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.fine_tune_id = fine_tune_id


def is_finished(job: dict[str, Any]) -> bool:
    status = FineTuneStatus.of(job)
    return status is not None and status.is_terminal


def job_event(job: dict[str, Any]) -> dict[str, Any]:
    """The event of a finished job: primitives only, as a trigger event must be."""
    status = FineTuneStatus.of(job)
    outcome = {FineTuneStatus.SUCCEEDED: Outcome.SUCCESS, FineTuneStatus.CANCELLED: Outcome.CANCELLED}.get(
        status, Outcome.FAILED
    )
    return {
        "status": outcome.value,
        "fine_tune_id": job.get("id"),
        "fine_tuned_model": job.get("fine_tuned_model"),
        "message": failure_reason(job) if outcome is not Outcome.SUCCESS else "",
    }


def failure_reason(job: dict[str, Any]) -> str:
    """Why a job did not succeed, in OpenAI's words when it gave any."""
    error = job.get("error") or {}
    details = error.get("message") if isinstance(error, dict) else None
    status = job.get("status", "unknown")
    text = f"fine-tuning job {job.get('id')} {status}"
    return f"{text}: {details}" if details else text


def check_event(event: dict[str, Any] | None) -> dict[str, Any]:
    """Accept a trigger event only when it reports success; raise, naming the reason, otherwise."""
    if not isinstance(event, dict) or "status" not in event:
        raise FineTuneFailed(f"unexpected trigger event: {event!r}", outcome=Outcome.ERROR)
    try:
        outcome = Outcome(event["status"])
    except ValueError:
        raise FineTuneFailed(f"unexpected trigger event status: {event['status']!r}", outcome=Outcome.ERROR) from None
    if outcome is not Outcome.SUCCESS:
        message = event.get("message") or f"fine-tuning job {event.get('fine_tune_id')} {outcome.value}"
        raise FineTuneFailed(message, outcome=outcome, fine_tune_id=event.get("fine_tune_id"))
    return event
